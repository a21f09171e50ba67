// Copyright (c) the Gatehouse authors
import Foundation
public import HTTPTypes
public import Hummingbird
import Logging
import NIOCore

/// What the two script-free consoles (the admin dashboard at `/admin`, the owner console at `/owner`) share at the
/// HTTP edge: form bodies, session cookies, the page headers and redirects.
public enum ConsoleHTTP {
    /// A session or sign-in cookie: `HttpOnly; SameSite=Strict`, scoped to the console's `path`, `Secure` when the
    /// public URL is https. `maxAge` 0 deletes it.
    public static func cookie(_ name: String, _ value: String, path: String, maxAge: Int, secure: Bool) -> String {
        "\(name)=\(value); Path=\(path); Max-Age=\(maxAge); HttpOnly; SameSite=Strict\(secure ? "; Secure" : "")"
    }

    /// The headers of a console page: no caching, no referrer, no framing, and a CSP that allows no script at all —
    /// only the nonce'd inline style, same-origin form posts and data: images.
    public static func pageHeaders(nonce: String) -> HTTPFields {
        [
            .contentType: "text/html; charset=utf-8", .cacheControl: "no-store",
            HTTPField.Name("Content-Security-Policy")!:
                "default-src 'none'; style-src 'nonce-\(nonce)'; img-src 'self' data:; form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
            HTTPField.Name("Referrer-Policy")!: "no-referrer", HTTPField.Name("X-Content-Type-Options")!: "nosniff",
        ]
    }

    /// What a console page says about an action's failure, and its status: the mapped message for a client error, or
    /// `generic` with the request id for a server error (whose details go to the log only, never to the page).
    public static func failure(_ error: any Error, generic: String, context: some GatehouseContext) -> (message: String, status: HTTPResponse.Status) {
        let mapped = APIError.from(error)
        guard mapped.status.code >= 500 else { return (mapped.message, mapped.status) }
        context.logger.error("console action failed", metadata: ["error.detail": "\(String(reflecting: error))"])
        return (generic + " (\(context.requestID))", mapped.status)
    }

    /// A 303 to `location` (after a form post, or to the sign-in form).
    public static func redirect(_ location: String) -> Response {
        Response(status: .seeOther, headers: [.location: location, .cacheControl: "no-store"])
    }

    /// An `application/x-www-form-urlencoded` body as a dictionary (the last value of a repeated name wins).
    /// - Throws: 413 when the body is larger than the context allows.
    public static func form(_ request: Request, context: some RequestContext) async throws -> [String: String] {
        let buffer: ByteBuffer
        do {
            buffer = try await request.body.collect(upTo: context.maxUploadSize)
        } catch {
            throw APIError.payloadTooLarge
        }
        var fields: [String: String] = [:]
        for pair in String(buffer: buffer).split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decode(_ text: Substring) -> String {
                text.replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? ""
            }
            guard let name = parts.first else { continue }
            fields[decode(name)] = parts.count > 1 ? decode(parts[1]) : ""
        }
        return fields
    }
}
