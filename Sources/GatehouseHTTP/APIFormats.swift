// Copyright (c) the Gatehouse authors
import Foundation
public import Hummingbird
import NIOCore
import GatehouseCore

/// Times on the API are ISO-8601 strings in UTC (`2024-01-15T14:00:00Z`); inside Gatehouse they are Unix ms.
public enum APITime {
    /// Parses an ISO-8601 date-time with an offset (`Z`, `+07:00`), with or without fractional seconds.
    public static func parse(_ text: String) -> Int64? {
        let plain = ISO8601DateFormatter()
        plain.formatOptions = [.withInternetDateTime]
        let fractional = ISO8601DateFormatter()
        fractional.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        guard let date = plain.date(from: text) ?? fractional.date(from: text) else { return nil }
        return Int64((date.timeIntervalSince1970 * 1000).rounded())
    }

    /// Formats Unix ms as ISO-8601 UTC with seconds.
    public static func format(_ millis: Int64) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.string(from: Date(timeIntervalSince1970: Double(millis) / 1000))
    }
}

/// An optional field that is in the JSON even when absent, as `null` (synthesised `Encodable` leaves a `nil` out),
/// for the answers whose contract promises the key.
@propertyWrapper
public struct AlwaysPresent<Value: Encodable>: Encodable {
    public var wrappedValue: Value?

    public init(wrappedValue: Value?) {
        self.wrappedValue = wrappedValue
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        if let wrappedValue { try container.encode(wrappedValue) } else { try container.encodeNil() }
    }
}

extension AlwaysPresent: Sendable where Value: Sendable {}

/// A JSON response with a chosen status, encoded with the API's encoder settings.
public struct JSONResponse<Value: Encodable & Sendable>: ResponseGenerator {
    public let status: HTTPResponse.Status
    public let value: Value
    public var headers: HTTPFields

    public init(status: HTTPResponse.Status = .ok, _ value: Value, headers: HTTPFields = [:]) {
        self.status = status
        self.value = value
        self.headers = headers
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        try APIJSON.response(status: status, body: APIJSON.encode(value), headers: headers)
    }
}

/// The API's JSON settings in one place, for ``JSONResponse`` and for routes that keep a body encoded once.
public enum APIJSON {
    /// `value` as the API writes JSON (slashes unescaped).
    public static func encode(_ value: some Encodable) throws -> ByteBuffer {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        return ByteBuffer(bytes: try encoder.encode(value))
    }

    /// A JSON answer: `body` with the content type and, unless `headers` says otherwise, `Cache-Control: no-store`.
    public static func response(status: HTTPResponse.Status = .ok, body: ByteBuffer, headers: HTTPFields = [:]) -> Response {
        var headers = headers
        headers[.contentType] = "application/json; charset=utf-8"
        if headers[.cacheControl] == nil { headers[.cacheControl] = "no-store" }
        return Response(status: status, headers: headers, body: .init(byteBuffer: body))
    }
}

extension Request {
    /// Decodes a JSON body, turning any problem into a `VALIDATION_ERROR` that names the field; a body over `limit`
    /// bytes (default: the context's upload limit) is `PAYLOAD_TOO_LARGE`. An ``APIError`` thrown by the type's own
    /// decoder is passed on as it is.
    public func decodeJSON<T: Decodable>(as type: T.Type, context: some RequestContext, limit: Int? = nil) async throws -> T {
        let buffer: ByteBuffer
        do {
            buffer = try await body.collect(upTo: limit ?? context.maxUploadSize)
        } catch {
            throw APIError.payloadTooLarge
        }
        guard buffer.readableBytes > 0 else { throw APIError.validation("a JSON body is required") }
        do {
            return try JSONDecoder().decode(T.self, from: Data(buffer.readableBytesView))
        } catch let error as DecodingError {
            throw APIError.validation(DecodingErrorMessage.describe(error))
        }
    }
}

/// An amount of money in a request: a whole number of VND. A fraction (`1.5`) or a string is refused naming the
/// field, instead of Foundation's generic "not valid JSON" (what it reports for a non-integer `Int64`).
public struct WholeVND: Decodable, Sendable, Hashable {
    public let value: Int64

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let value = try? container.decode(Int64.self) {
            self.value = value
            return
        }
        throw DecodingError.dataCorruptedError(in: container, debugDescription: "must be a whole number of VND")
    }
}
