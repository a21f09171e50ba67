// Copyright (c) the Gatehouse authors
public import HTTPTypes
import HummingbirdTesting
import NIOCore
public import PayOS
public import Testing

/// A response as the tests see it.
public struct HTTPResult: Sendable {
    public let status: HTTPResponse.Status
    public let headers: HTTPFields
    public let body: String

    public init(status: HTTPResponse.Status, headers: HTTPFields, body: String) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    public var json: JSONValue? { try? JSONValue(parsing: body) }
    public var isJSON: Bool { headers[.contentType]?.hasPrefix("application/json") == true }
    public var isHTML: Bool { headers[.contentType]?.hasPrefix("text/html") == true }
    public var location: String? { headers[.location] }
    public var setCookies: [String] { headers[values: .setCookie] }
    public var requestID: String? { headers[HTTPField.Name("X-Request-ID")!] }
    /// The `{error, code}` code of an error answer.
    public var errorCode: String? { json?["code"]?.stringValue }

    /// One request to `localhost:port` on a fresh connection (so concurrent requests, e.g. a long poll and a return,
    /// really run at the same time, and one request's connection state never leaks into the next). A body is sent as
    /// JSON unless `headers` name another content type.
    public static func fetch(
        port: Int, _ method: HTTPRequest.Method, _ path: String, headers: HTTPFields = [:], body: String? = nil
    ) async throws -> HTTPResult {
        var headers = headers
        if body != nil, headers[.contentType] == nil { headers[.contentType] = "application/json" }
        let request = TestClient.Request(path, method: method, authority: "localhost", headers: headers, body: body.map { ByteBuffer(string: $0) })
        let response = try await TestClient.withClient(host: "localhost", port: port) { client in try await client.execute(request) }
        return HTTPResult(status: response.status, headers: response.headers, body: response.body.map { String(buffer: $0) } ?? "")
    }

    /// Checks the edge's invariants on this answer to `method path`: an `X-Request-ID`; none of `forbiddenText` in the
    /// body (compared case-insensitively: SQL, internal type names, secrets); for a JSON error, a `{error, code}` body
    /// (except `/health…`, which answers its own document with 500 when unhealthy); and the API contract
    /// (``APIContract``: status, content type, headers and body as the OpenAPI document says).
    public func expectEdgeInvariants(
        _ method: HTTPRequest.Method, _ path: String, forbiddenText: [String], sourceLocation: SourceLocation = #_sourceLocation
    ) {
        let what = "\(method) \(path) → \(status.code)"
        APIContract.shared.expectConforms(method, path, self, sourceLocation: sourceLocation)
        #expect(requestID?.isEmpty == false, "every response carries X-Request-ID: \(what)", sourceLocation: sourceLocation)
        let lowered = body.lowercased()
        for text in forbiddenText where !text.isEmpty && lowered.contains(text.lowercased()) {
            Issue.record("response body contains forbidden text '\(text.prefix(12))…': \(what): \(body.prefix(300))", sourceLocation: sourceLocation)
        }
        guard status.code >= 400, isJSON, !path.hasPrefix("/health") else { return }
        #expect(json?["error"]?.stringValue?.isEmpty == false, "error JSON has a message: \(what)", sourceLocation: sourceLocation)
        #expect(json?["code"]?.stringValue?.isEmpty == false, "error JSON has a code: \(what)", sourceLocation: sourceLocation)
    }
}

/// A harness that could not set something up.
public struct HarnessError: Error, CustomStringConvertible {
    public let description: String

    public init(description: String) {
        self.description = description
    }
}
