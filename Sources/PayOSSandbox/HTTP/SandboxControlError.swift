// Copyright (c) the Gatehouse authors
public import HTTPTypes
public import Hummingbird
import PayOS

/// An error of the sandbox's own control API (`/sandbox/…`) and of its checkout form actions.
///
/// The body is Hummingbird's error shape plus a stable code: `{"error":{"code":"…","message":"…"}}`.
/// Messages describe sandbox test input only (never keys), so they are safe to return.
public struct SandboxControlError: Error, Hashable, HTTPResponseError, CustomStringConvertible {
    /// HTTP status of the answer.
    public let status: HTTPResponse.Status
    /// Stable machine-readable code, e.g. `invalid_input`, `payment_link_not_payable`.
    public let code: String
    /// Human-readable explanation.
    public let message: String

    public var description: String { "\(code): \(message)" }

    /// 400: the request body or a parameter is unusable.
    static func invalidInput(_ message: String) -> Self { .init(status: .badRequest, code: "invalid_input", message: message) }
    /// 404: no channel with that client id.
    static func channelNotFound(_ clientId: String) -> Self {
        .init(status: .notFound, code: "channel_not_found", message: "no channel with clientId '\(clientId)'")
    }
    /// 409: `POST /sandbox/channels` for a client id that exists (use `PUT /sandbox/channels/{clientId}` to replace).
    static func channelExists(_ clientId: String) -> Self {
        .init(status: .conflict, code: "channel_exists", message: "a channel with clientId '\(clientId)' already exists")
    }
    /// 404: no payment link with that order code or payment link id.
    static func paymentLinkNotFound(_ id: String) -> Self {
        .init(status: .notFound, code: "payment_link_not_found", message: "no payment link '\(id)'")
    }
    /// 409: an order code used by several channels; the caller must say which (`?clientId=` or `x-client-id`).
    static func ambiguousOrderCode(_ id: String) -> Self {
        .init(
            status: .conflict,
            code: "ambiguous_order_code",
            message: "order code \(id) exists in several channels; pass ?clientId= or the x-client-id header"
        )
    }
    /// 409: paying or cancelling a link whose status does not allow it.
    static func notPayable(status: String) -> Self {
        .init(status: .conflict, code: "payment_link_not_payable", message: "the payment link is \(status) and cannot be paid")
    }
    /// 409: cancelling a link that is paid or expired.
    static func notCancellable(status: String) -> Self {
        .init(status: .conflict, code: "payment_link_not_cancellable", message: "the payment link is \(status) and cannot be cancelled")
    }

    /// 409: forcing the status of a link that is already final.
    static func statusFinal(status: String) -> Self {
        .init(status: .conflict, code: "payment_link_final", message: "the payment link is \(status) and its status can no longer change")
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        let body: JSONValue = ["error": ["code": .string(code), "message": .string(message)]]
        return Response(
            status: status,
            headers: [.contentType: "application/json; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(bytes: body.compactBytes))
        )
    }
}

/// Typed field access over a JSON object with ``SandboxControlError`` for wrong types. `null` counts as absent.
struct ControlInput {
    let object: JSONObject

    init(_ object: JSONObject) {
        self.object = object
    }

    func optionalString(_ key: String) throws(SandboxControlError) -> String? {
        switch object[key] {
        case nil, .null?: return nil
        case .string(let s)?: return s
        default: throw .invalidInput("\(key) must be a string")
        }
    }

    func requiredString(_ key: String) throws(SandboxControlError) -> String {
        guard let value = try optionalString(key) else { throw .invalidInput("\(key) is required") }
        return value
    }

    func optionalInt(_ key: String) throws(SandboxControlError) -> Int64? {
        switch object[key] {
        case nil, .null?: return nil
        case .int(let i)?: return i
        default: throw .invalidInput("\(key) must be an integer")
        }
    }

    func optionalRate(_ key: String) throws(SandboxControlError) -> Double? {
        let value: Double
        switch object[key] {
        case nil, .null?: return nil
        case .int(let i)?: value = Double(i)
        case .double(let d)?: value = d
        default: throw .invalidInput("\(key) must be a number between 0 and 1")
        }
        guard value.isFinite, (0...1).contains(value) else { throw .invalidInput("\(key) must be between 0 and 1") }
        return value
    }

    func optionalBool(_ key: String) throws(SandboxControlError) -> Bool? {
        switch object[key] {
        case nil, .null?: return nil
        case .bool(let b)?: return b
        default: throw .invalidInput("\(key) must be true or false")
        }
    }
}
