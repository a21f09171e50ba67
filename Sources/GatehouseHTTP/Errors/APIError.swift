// Copyright (c) the Gatehouse authors
public import HTTPTypes
public import Hummingbird
import NIOCore
import Foundation
import Tenancy

/// An error answered to a client as `{"error": message, "code": CODE}` with a stable code.
///
/// Codes: the seed's `VALIDATION_ERROR` 400, `PAYOS_CONNECTION_ERROR` 503, `INTERNAL_ERROR` 500, plus
/// `UNAUTHORIZED` 401, `FORBIDDEN`/`OWNER_SUSPENDED` 403, `NOT_FOUND` 404, `CONFLICT` 409,
/// `PAYLOAD_TOO_LARGE` 413, `RATE_LIMITED` / `PAYOS_RATE_LIMITED` 429, `INVALID_SIGNATURE` 400, `PAYOS_CREDENTIALS_INVALID` 422
/// (with `part`), the vault's `KEK_IN_USE` 409 and `UNKNOWN_KEK_VERSION` 400 (admin key rotation), and payOS's own code
/// when payOS refused.
/// The message never contains a stack trace, SQL, a secret or another tenant's data.
public struct APIError: Error, Sendable, Hashable, CustomStringConvertible {
    public let status: HTTPResponse.Status
    public let code: String
    public let message: String
    /// Extra response headers (e.g. `Retry-After`).
    public var headers: HTTPFields
    /// Which part of the input failed, when the code has parts (`PAYOS_CREDENTIALS_INVALID`: `client_id_or_api_key`,
    /// `checksum_key`, `webhook_url`); answered as `part`.
    public var part: String? = nil

    public init(status: HTTPResponse.Status, code: String, message: String, headers: HTTPFields = [:]) {
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers
    }

    public static func validation(_ message: String) -> Self { .init(status: .badRequest, code: "VALIDATION_ERROR", message: message) }
    public static func notFound(_ what: String = "resource") -> Self { .init(status: .notFound, code: "NOT_FOUND", message: "\(what) not found") }
    public static func conflict(_ message: String) -> Self { .init(status: .conflict, code: "CONFLICT", message: message) }
    public static let unauthorized = Self(status: .unauthorized, code: "UNAUTHORIZED", message: "a valid API key is required")
    public static let ownerSuspended = Self(status: .forbidden, code: "OWNER_SUSPENDED", message: "this owner is suspended")
    public static let internalError = Self(status: .internalServerError, code: "INTERNAL_ERROR", message: "Internal payment error")
    public static let payloadTooLarge = Self(status: .contentTooLarge, code: "PAYLOAD_TOO_LARGE", message: "request body is too large")
    /// 429 `RATE_LIMITED` with `Retry-After` and the IETF `RateLimit-Policy` / `RateLimit` fields.
    static func rateLimited(_ decision: RateLimitDecision, advertised: RateLimitPolicy, instances: Int) -> Self {
        .init(
            status: .tooManyRequests, code: "RATE_LIMITED", message: "too many requests; retry after \(decision.retryAfterSeconds) s",
            headers: decision.rateLimitHeaders(policyName: "default", advertised: advertised, instances: instances, refused: true))
    }
    public static let serviceUnavailable = Self(
        status: .serviceUnavailable, code: "SERVICE_UNAVAILABLE", message: "a dependency is unavailable, retry later")

    public var description: String { "APIError(\(status.code) \(code))" }

    /// The JSON body.
    struct Body: Encodable {
        let error: String
        let code: String
        let success = false
        let part: String?
    }

    /// The JSON response.
    public func response() -> Response {
        var headers = self.headers
        headers[.contentType] = "application/json; charset=utf-8"
        headers[.cacheControl] = "no-store"
        let data = (try? JSONEncoder().encode(Body(error: message, code: code, part: part))) ?? Data(#"{"error":"Internal payment error","code":"INTERNAL_ERROR"}"#.utf8)
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}

/// An error of a lower module that knows what the client may see of it.
///
/// Each module's errors conform in a file of their own next to this one (`TenancyError+API.swift`, …): the mapping of
/// a module's error lives with that module's edge, and a new error type is one new conformance, not a case in a
/// central switch. Anything that does not conform is answered as a generic 500 `INTERNAL_ERROR`.
public protocol APIErrorConvertible: Error {
    /// The answer: status, stable code, and a message that never names an internal type, a secret or SQL.
    var apiError: APIError { get }
}

extension APIError: APIErrorConvertible {
    public var apiError: APIError { self }
}

extension APIError: HTTPResponseError {
    public func response(from request: Request, context: some RequestContext) throws -> Response { response() }
}

extension APIError {
    /// What the client may see of any error thrown below the edge. Unknown errors become a generic 500.
    public static func from(_ error: any Error) -> APIError {
        switch error {
        case let error as any APIErrorConvertible:
            return error.apiError
        case let error as HTTPError:
            switch error.status {
            case .contentTooLarge: return .payloadTooLarge
            case .badRequest: return .validation(error.body ?? "the request is malformed")
            case .notFound: return .notFound()
            case .methodNotAllowed: return .init(status: .methodNotAllowed, code: "METHOD_NOT_ALLOWED", message: "method not allowed")
            case .unauthorized: return .unauthorized
            default:
                return error.status.code < 500
                    ? .init(status: error.status, code: "BAD_REQUEST", message: error.body ?? "the request was refused")
                    : .internalError
            }
        case let error as DecodingError:
            return .validation(DecodingErrorMessage.describe(error))
        default:
            return .internalError
        }
    }
}

/// Turns a `DecodingError` into a message that names the field, without echoing values.
enum DecodingErrorMessage {
    static func describe(_ error: DecodingError) -> String {
        func path(_ codingPath: [any CodingKey]) -> String {
            let joined = codingPath.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
            return joined.isEmpty ? "body" : joined
        }
        switch error {
        case .keyNotFound(let key, let context): return "\(path(context.codingPath + [key])) is required"
        case .typeMismatch(_, let context): return "\(path(context.codingPath)) has the wrong type"
        case .valueNotFound(_, let context): return "\(path(context.codingPath)) must not be null"
        case .dataCorrupted(let context):
            if context.codingPath.isEmpty { return "the body is not valid JSON" }
            // Our own decoders explain the rule ("must be …"); Foundation's texts may echo input, so they are not shown.
            if context.debugDescription.hasPrefix("must ") { return "\(path(context.codingPath)) \(context.debugDescription)" }
            return "\(path(context.codingPath)) is invalid"
        @unknown default: return "the body is invalid"
        }
    }
}
