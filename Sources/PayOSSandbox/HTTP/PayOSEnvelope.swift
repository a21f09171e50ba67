// Copyright (c) the Gatehouse authors
public import HTTPTypes
import Hummingbird
public import PayOS

/// A payOS business error: HTTP 200 (unless stated) with a non-"00" string `code`, `desc`, and `data` null
/// (spec 1.1–1.2). Texts are payOS's where known; the others are marked [INF] in the spec and documented here.
public struct PayOSBusinessError: Error, Hashable, CustomStringConvertible {
    /// payOS's string code, e.g. "20", "101", "201", "231".
    public let code: String
    /// payOS's `desc`.
    public let desc: String
    /// The `data` member; null except for confirm-webhook failures (the probe's error text).
    public let data: JSONValue
    /// HTTP status; 200 for business errors, 400 for a failed webhook confirmation (spec 2.5 best guess).
    public let status: HTTPResponse.Status

    public var description: String { "payOS code \(code): \(desc)" }

    /// Code 20: a field is missing, mistyped or out of range (also unparsable JSON).
    public static let invalidInput = Self(code: "20", desc: "Thông tin truyền lên không đúng.", data: .null, status: .ok)
    /// Code 20 with the field prefix a Node client printed verbatim.
    public static let descriptionTooLong = Self(code: "20", desc: "description: Mô tả tối đa 25 kí tự", data: .null, status: .ok)
    /// An account not linked through payOS takes at most 9 characters of description.
    public static let descriptionTooLongForAccount = Self(code: "20", desc: "description: Mô tả tối đa 9 kí tự", data: .null, status: .ok)
    /// Code 201: the create signature does not match.
    public static let invalidSignature = Self(code: "201", desc: "Mã kiểm tra(signature) không hợp lệ", data: .null, status: .ok)
    /// Code 231: the order code is already used in this channel.
    public static let orderCodeExists = Self(code: "231", desc: "Đơn thanh toán đã tồn tại", data: .null, status: .ok)
    /// Code 101: no such order code / payment link id in this channel.
    public static let notFound = Self(code: "101", desc: "Đơn thanh toán không tồn tại", data: .null, status: .ok)
    /// Code 101 for an invoice payOS did not issue: payOS's real answer is unknown [INF]; 101 is its "not found".
    public static let invoiceNotFound = Self(code: "101", desc: "Hóa đơn không tồn tại", data: .null, status: .ok)
    /// Code 20 for cancelling a paid or expired link. payOS's real answer is unknown [INF]; code 20 is its generic refusal.
    public static func notCancellable(status: PaymentLinkStatus) -> Self {
        Self(code: "20", desc: "Đơn thanh toán không thể hủy (trạng thái \(status.rawValue))", data: .null, status: .ok)
    }
    /// Code 20 "Webhook url invalid" with the probe's error text as `data`, HTTP 400 (spec 2.5).
    public static func webhookURLInvalid(_ probeError: String) -> Self {
        Self(code: "20", desc: "Webhook url invalid", data: .string(probeError), status: .badRequest)
    }
}

/// payOS's JSON envelope `{code, desc, data, signature?}` as a Hummingbird response.
struct PayOSEnvelope: ResponseGenerator {
    let status: HTTPResponse.Status
    var body: JSONObject
    var extraHeaders: HTTPFields = [:]

    /// Success with `data`; with a key, `signature` is the body signature over `data` (create/get/cancel/invoices).
    static func success(_ data: JSONObject, signedWith checksumKey: String?) -> Self {
        var body: JSONObject = ["code": "00", "desc": "success", "data": .object(data)]
        if let checksumKey { body["signature"] = .string(PayOSSignature.body(data, checksumKey: checksumKey)) }
        return Self(status: .ok, body: body)
    }

    static func failure(_ error: PayOSBusinessError) -> Self {
        Self(status: error.status, body: ["code": .string(error.code), "desc": .string(error.desc), "data": error.data])
    }

    /// 401 for missing or wrong `x-client-id`/`x-api-key` (body from spec 12.2; payOS's real body is unknown).
    static let unauthorized = Self(status: .unauthorized, body: ["code": "401", "desc": "Unauthorized", "data": .null])

    /// Injected 500 (fault).
    static let injectedServerError = Self(status: .internalServerError, body: ["code": "500", "desc": "Internal Server Error", "data": .null])

    /// Injected 429 whose wait is in `Retry-After` (seconds) or `x-ratelimit-reset` (Unix seconds, `now` + the wait).
    static func injectedRateLimit(retryAfterSeconds: Int, header: SandboxFaults.RateLimitHeader, now: Int64) -> Self {
        let field: HTTPFields = switch header {
        case .retryAfter: [.retryAfter: String(retryAfterSeconds)]
        case .rateLimitReset: [.xRateLimitReset: String(now + Int64(retryAfterSeconds))]
        }
        return Self(status: .tooManyRequests, body: ["code": "429", "desc": "Too Many Requests", "data": .null], extraHeaders: field)
    }

    func response(from request: Request, context: some RequestContext) -> Response {
        var headers: HTTPFields = [.contentType: "application/json; charset=utf-8"]
        headers.append(contentsOf: extraHeaders)
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: JSONValue.object(body).compactBytes)))
    }
}

extension HTTPField.Name {
    static let xRateLimitReset = Self("x-ratelimit-reset")!
}
