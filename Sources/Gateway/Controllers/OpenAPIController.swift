// Copyright (c) the Gatehouse authors
public import Foundation
import HTTPTypes
public import Hummingbird
import NIOCore
import GatehouseHTTP

/// The API's OpenAPI 3.1 document (`OpenAPI/openapi.json`, a resource of this module): what owners' developers
/// generate clients from, and what the test suite and `scripts/api-contract` hold every response to.
///
/// The file in the bundle is the source of truth; it is read once at start-up (a missing or unparsable file stops
/// the application, like a missing template) and served as it is.
public struct OpenAPIDocument: Sendable {
    /// The document's bytes, exactly as in the bundle.
    public let bytes: [UInt8]

    /// Where the bundled document lives (the Gateway module's `OpenAPI` folder).
    public static var bundledURL: URL? {
        Bundle.module.url(forResource: "openapi", withExtension: "json", subdirectory: "OpenAPI")
    }

    /// Reads `url` (default: the bundled document) and checks that it is a JSON object.
    /// - Throws: ``RenterPagesError`` naming the file when it is missing or not a JSON object, so start-up stops.
    public init(contentsOf url: URL? = nil) throws {
        guard let url = url ?? Self.bundledURL, let data = FileManager.default.contents(atPath: url.path) else {
            throw RenterPagesError(.templateMissing, templateName: "openapi.json", detail: "no OpenAPI/openapi.json in \(Bundle.module.bundlePath)")
        }
        guard (try? JSONSerialization.jsonObject(with: data)) is [String: Any] else {
            throw RenterPagesError(.templateInvalid, templateName: "openapi.json", detail: "not a JSON object")
        }
        bytes = Array(data)
    }
}

/// `GET /openapi.json`: the document, to anyone (it holds no secret), cacheable by clients and proxies.
public struct OpenAPIController<Context: RequestContext>: Sendable {
    let body: ByteBuffer

    public init(document: OpenAPIDocument) {
        body = ByteBuffer(bytes: document.bytes)
    }

    public var endpoints: RouteCollection<Context> {
        RouteCollection(context: Context.self).get("/openapi.json") { _, _ in
            APIJSON.response(body: self.body, headers: [.cacheControl: "public, max-age=3600"])
        }
    }
}
