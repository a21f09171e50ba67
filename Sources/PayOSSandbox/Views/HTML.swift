// Copyright (c) the Gatehouse authors
import GatehouseCore
import HTTPTypes
import Hummingbird

/// An HTML page answer.
struct HTML: ResponseGenerator {
    let html: String
    var status: HTTPResponse.Status = .ok

    func response(from request: Request, context: some RequestContext) -> Response {
        Response(
            status: status,
            headers: [.contentType: "text/html; charset=utf-8", .cacheControl: "no-store"],
            body: .init(byteBuffer: ByteBuffer(string: html))
        )
    }

    /// Escapes text for HTML element content and double-quoted attribute values.
    static func escape(_ text: String) -> String { HTMLEscaping.escape(text) }
}
