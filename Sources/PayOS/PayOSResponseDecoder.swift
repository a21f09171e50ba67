// Copyright (c) the Gatehouse authors
public import Sodium
import GatehouseCore
#if canImport(FoundationEssentials)
    public import FoundationEssentials
#else
    public import Foundation
#endif

/// An HTTP answer as the decoder needs it: status, headers, complete body. Free of any HTTP library type,
/// so response handling is a pure function that tests drive with real payloads.
public struct PayOSHTTPResponse: Sendable, Hashable {
    public var status: Int
    /// Header fields in arrival order; names compare case-insensitively.
    public var headers: [PayOSHTTPHeader]
    public var body: [UInt8]

    public init(status: Int, headers: [PayOSHTTPHeader] = [], body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// The first value of header `name` (ASCII case-insensitive).
    public func header(_ name: String) -> String? {
        let wanted = name.lowercased()
        return headers.first { $0.name.lowercased() == wanted }?.value
    }
}

/// One header field.
public struct PayOSHTTPHeader: Sendable, Hashable {
    public var name: String
    public var value: String
    public init(_ name: String, _ value: String) {
        self.name = name
        self.value = value
    }
}

/// Turns payOS answers into models or ``PayOSError``s, failing closed (spec 1.1).
///
/// * HTTP 401/403 → `unauthorized`; 408 → `timeout`; 429 → `rateLimited` with the wait asked for;
///   ≥ 500 → `unreachable`; another non-2xx → `business` when the body is an envelope with a code, else
///   `invalidResponse`.
/// * 2xx: the body must be a JSON envelope; `code != "00"` → `business(code)`; `data` absent or `null` →
///   `invalidResponse`; for signed operations a missing or wrong `signature` → `invalidSignature` (checked
///   over `data` exactly as received, every key included, before anything else reads it); then the model's keys
///   must be present with their types (keys payOS adds are ignored) → otherwise `invalidResponse`.
public enum PayOSResponseDecoder {
    /// Whether and how the answer's `data` is signed.
    public enum SignatureCheck: Sendable {
        /// Body signature (spec 4.2) in the envelope's `signature`, under this checksum key.
        case body(checksumKey: any GuardedBytes)
        /// Not signed (`/confirm-webhook`: no SDK checks it).
        case none

        /// Body signature under a checksum key given as text (tests, tools); copied into guarded memory.
        public static func body(checksumKey: String) -> SignatureCheck { .body(checksumKey: SecureBytes(utf8: checksumKey)) }
    }

    /// Decodes `response` as an envelope carrying `Model`.
    ///
    /// - Parameters:
    ///   - response: Status, headers and body.
    ///   - model: The expected `data` model.
    ///   - signature: How `data` is signed.
    ///   - now: Current time, for `Retry-After` given as an HTTP date.
    public static func decode<Model: PayOSJSONModel>(
        _ response: PayOSHTTPResponse,
        as model: Model.Type,
        signature: SignatureCheck,
        now: Date = Date()
    ) throws(PayOSError) -> Model {
        let data = try verifiedData(response, signature: signature, now: now)
        do {
            return try Model(json: data)
        } catch {
            throw PayOSError(.invalidResponse, httpStatus: response.status, schemaError: error)
        }
    }

    /// The envelope's `data` object after status, envelope-code and signature checks.
    public static func verifiedData(_ response: PayOSHTTPResponse, signature: SignatureCheck, now: Date = Date()) throws(PayOSError) -> JSONObject {
        let status = response.status
        let envelope = parseEnvelope(response.body)
        switch status {
        case 200..<300:
            break
        case 401, 403:
            throw PayOSError(.unauthorized, businessCode: envelope?.code, businessDescription: envelope?.desc, httpStatus: status)
        case 408:
            throw PayOSError(.timeout, httpStatus: status)
        case 429:
            throw PayOSError(.rateLimited, businessCode: envelope?.code, httpStatus: status, retryAfter: retryAfter(in: response, now: now))
        case 500...:
            throw PayOSError(.unreachable, businessCode: envelope?.code, httpStatus: status, retryAfter: retryAfter(in: response, now: now))
        default:
            if let envelope, !envelope.isSuccess {
                throw PayOSError.business(envelope.code, description: envelope.desc, httpStatus: status)
            }
            throw PayOSError(.invalidResponse, httpStatus: status)
        }

        guard let envelope else { throw PayOSError(.invalidResponse, httpStatus: status, detail: "body is not a payOS envelope") }
        guard envelope.isSuccess else {
            throw PayOSError.business(envelope.code, description: envelope.desc, httpStatus: status)
        }
        guard let dataValue = envelope.data, !dataValue.isNull else {
            throw PayOSError(.invalidResponse, httpStatus: status, detail: "success without data")
        }
        guard case .object(let data) = dataValue else {
            throw PayOSError(.invalidResponse, httpStatus: status, schemaError: PayOSSchemaError(.notAnObject, path: "data"))
        }
        if case .body(let checksumKey) = signature {
            guard let received = envelope.signature, !received.isEmpty else {
                throw PayOSError(.invalidSignature, httpStatus: status, detail: "response signature missing")
            }
            guard PayOSSignature.verifyBody(data, signature: received, checksumKey: checksumKey) else {
                throw PayOSError(.invalidSignature, httpStatus: status, detail: "response signature mismatch")
            }
        }
        return data
    }

    static func parseEnvelope(_ body: [UInt8]) -> PayOSEnvelope? {
        guard let value = try? JSONValue(parsing: body), case .object(let object) = value else { return nil }
        return try? PayOSEnvelope(json: object)
    }

    /// The wait a response asks for: `Retry-After` as delay-seconds or HTTP date, else `x-ratelimit-reset` as
    /// Unix seconds, the two the SDKs honour (spec 1). A time in the past is zero.
    public static func retryAfter(in response: PayOSHTTPResponse, now: Date) -> Duration? {
        if let wait = response.header("Retry-After").flatMap({ retryAfter($0, now: now) }) { return wait }
        return response.header("x-ratelimit-reset").flatMap { rateLimitReset($0, now: now) }
    }

    /// Parses an `x-ratelimit-reset` value, the Unix time (seconds, fractions accepted) when the limit resets, into
    /// the wait from `now`. Anything else is `nil`.
    public static func rateLimitReset(_ value: String, now: Date) -> Duration? {
        guard let reset = Double(trimmed(value)), reset.isFinite, reset >= 0 else { return nil }
        let wait = max(0, min(reset - now.timeIntervalSince1970, 86_400 * 365))
        return .milliseconds(Int64((wait * 1000).rounded(.up)))
    }

    /// `value` without leading and trailing spaces and tabs (optional whitespace around a header value).
    private static func trimmed(_ value: String) -> String {
        String(value.drop(while: { $0 == " " || $0 == "\t" }).reversed().drop(while: { $0 == " " || $0 == "\t" }).reversed())
    }

    /// Parses a `Retry-After` value: a non-negative number of seconds (fractions accepted, as the Python SDK
    /// does) or an IMF-fixdate such as `Wed, 21 Oct 2015 07:28:00 GMT`. Anything else is `nil`.
    public static func retryAfter(_ value: String, now: Date) -> Duration? {
        let text = trimmed(value)
        if let seconds = Double(text), seconds.isFinite {
            guard seconds >= 0 else { return nil }
            return .milliseconds(Int64((min(seconds, 86_400 * 365) * 1000).rounded()))
        }
        guard let date = HTTPDate.parse(text) else { return nil }
        let wait = date - now.timeIntervalSince1970
        return .milliseconds(Int64((max(0, min(wait, 86_400 * 365)) * 1000).rounded()))
    }
}

/// IMF-fixdate (RFC 9110 §5.6.7), the only HTTP-date form senders must generate.
enum HTTPDate {
    private static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
    private static let weekdays: Set<String> = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]

    /// Seconds since 1970 for `Sun, 06 Nov 1994 08:49:37 GMT`, or `nil`.
    static func parse(_ text: String) -> Double? {
        let parts = text.split(separator: " ", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 6, parts[0].count == 4, parts[0].hasSuffix(","), weekdays.contains(String(parts[0].dropLast())),
            parts[5] == "GMT", parts[1].count == 2, let day = Int(parts[1]),
            let monthIndex = months.firstIndex(of: parts[2]), parts[3].count == 4, let year = Int(parts[3])
        else { return nil }
        let clock = parts[4].split(separator: ":").map { Int($0) }
        guard parts[4].count == 8, clock.count == 3, let hour = clock[0], let minute = clock[1], let second = clock[2],
            (1...31).contains(day), (0...23).contains(hour), (0...59).contains(minute), (0...60).contains(second)
        else { return nil }
        let days = Int(CivilDateTime.daysSinceEpoch(year: Int64(year), month: monthIndex + 1, day: day))
        return Double(days * 86_400 + hour * 3_600 + minute * 60 + second)
    }
}
