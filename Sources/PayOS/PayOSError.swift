// Copyright (c) the Gatehouse authors
public import GatehouseCore
public import Sodium

/// Why a call to payOS failed.
///
/// `description` is generic and never contains keys or payloads (it may be shown in logs and, mapped by the
/// HTTP edge, to operators). The payOS business code, HTTP status and `Retry-After` are public properties;
/// transport details are only in `debugDescription`.
public struct PayOSError: Error, Sendable, Hashable, CustomStringConvertible, CustomDebugStringConvertible {
    /// Stable error codes; ``description`` doubles as a low-cardinality metrics label.
    public enum Code: String, ErrorCode {
        /// payOS could not be reached (connection refused/reset, DNS, TLS) or answered HTTP 5xx. Retried.
        case unreachable
        /// No complete answer within the request timeout (or HTTP 408). Retried.
        case timeout
        /// HTTP 429; see ``PayOSError/retryAfter``. Retried when the wait is within the policy's cap.
        case rateLimited
        /// HTTP 401/403: the client id or API key was refused.
        case unauthorized
        /// payOS answered with an envelope `code` other than `"00"`; see ``PayOSError/businessCode``.
        case business
        /// A signed answer whose signature is missing or wrong: the answer is not trusted.
        case invalidSignature
        /// An answer that is not the documented JSON (bad JSON, missing keys, wrong types, echo mismatch).
        case invalidResponse
        /// The request was refused before sending (see ``PayOSError/schemaError``).
        case invalidRequest
    }

    /// Well-known payOS business codes (spec 1.2).
    public enum BusinessCode {
        /// Generic invalid input (also "description too long", "Webhook url invalid").
        public static let invalidInput = "20"
        /// Payment link / order code not found.
        public static let notFound = "101"
        /// Create-request signature invalid.
        public static let invalidCreateSignature = "201"
        /// Order code already used for this payment channel.
        public static let orderCodeExists = "231"
    }

    public let code: Code
    /// The envelope `code` for ``Code/business`` (and for other errors when the body carried one).
    public let businessCode: String?
    /// The envelope `desc` (payOS's message, often Vietnamese). Carries no secrets, but is payOS's text:
    /// do not show it to renters verbatim.
    public let businessDescription: String?
    /// The HTTP status, when an answer arrived.
    public let httpStatus: Int?
    /// How long payOS asked to wait (`Retry-After`), when it did.
    public let retryAfter: Duration?
    /// What did not match, for ``Code/invalidResponse`` and ``Code/invalidRequest`` caused by the schema.
    public let schemaError: PayOSSchemaError?
    /// Transport detail for `debugDescription` only (never key material: errors from NIO/AsyncHTTPClient).
    let detail: String?

    public init(
        _ code: Code,
        businessCode: String? = nil,
        businessDescription: String? = nil,
        httpStatus: Int? = nil,
        retryAfter: Duration? = nil,
        schemaError: PayOSSchemaError? = nil,
        detail: String? = nil
    ) {
        self.code = code
        self.businessCode = businessCode
        self.businessDescription = businessDescription
        self.httpStatus = httpStatus
        self.retryAfter = retryAfter
        self.schemaError = schemaError
        self.detail = detail
    }

    /// A ``Code/business`` error with payOS's code and description.
    public static func business(_ businessCode: String, description: String?, httpStatus: Int? = 200) -> PayOSError {
        PayOSError(.business, businessCode: businessCode, businessDescription: description, httpStatus: httpStatus)
    }

    /// Whether payOS answered with business code `code`.
    public func isBusiness(_ code: String) -> Bool { self.code == .business && businessCode == code }

    /// Whether a retry may help (and is safe for the operations this module retries).
    public var isTransient: Bool { code == .unreachable || code == .timeout || code == .rateLimited }

    public var description: String {
        if code == .business, let businessCode { return "payOS request failed: business code \(businessCode)" }
        return "payOS request failed: \(code)"
    }

    public var debugDescription: String {
        var parts = ["code: \(code)"]
        if let businessCode { parts.append("businessCode: \(businessCode)") }
        if let businessDescription { parts.append("desc: \(businessDescription)") }
        if let httpStatus { parts.append("httpStatus: \(httpStatus)") }
        if let retryAfter { parts.append("retryAfter: \(retryAfter)") }
        if let schemaError { parts.append("schema: \(schemaError.debugDescription)") }
        if let detail { parts.append("detail: \(detail)") }
        return "PayOSError(\(parts.joined(separator: ", ")))"
    }
}

/// A merchant's payOS credentials, passed per call so one client serves every owner.
///
/// The API key and the checksum key stay in guarded memory (``GuardedBytes``: their own `SecureBytes`, or a slot of
/// the key cache's slab): signatures are computed from the guarded bytes, and the API key becomes ordinary bytes only
/// as the `x-api-key` header of the outgoing request, built at the last moment (``PayOSClient``). The client id is an
/// identifier, not a secret, and stays a `String`.
///
/// `description`, `debugDescription` and the reflection mirror show the client id only: the API key and the
/// checksum key never appear in logs, `dump()` or string interpolation.
public struct PayOSCredentials: Sendable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// Sent as `x-client-id`; an identifier, not a secret.
    public let clientId: String
    /// Sent as `x-api-key`.
    public let apiKey: any GuardedBytes
    /// Keys every signature (HMAC key = the UTF-8 text as given, never hex-decoded).
    public let checksumKey: any GuardedBytes

    /// Credentials whose keys are already in guarded memory (the vault's unsealed set, the key cache's slots).
    public init(clientId: String, apiKey: any GuardedBytes, checksumKey: any GuardedBytes) {
        self.clientId = clientId
        self.apiKey = apiKey
        self.checksumKey = checksumKey
    }

    /// Credentials given as text (a form, a test, the local sandbox): the keys are copied into guarded memory at
    /// once; the caller's strings are out of reach and cannot be wiped.
    public init(clientId: String, apiKey: String, checksumKey: String) {
        self.init(clientId: clientId, apiKey: SecureBytes(utf8: apiKey), checksumKey: SecureBytes(utf8: checksumKey))
    }

    public var description: String { "PayOSCredentials(clientId: \(clientId), apiKey: <redacted>, checksumKey: <redacted>)" }
    public var debugDescription: String { description }
    public var customMirror: Mirror {
        Mirror(self, children: ["clientId": clientId, "apiKey": "<redacted>", "checksumKey": "<redacted>"], displayStyle: .struct)
    }
}
