// Copyright (c) the Gatehouse authors
public import HTTPTypes
public import Hummingbird
import NIOCore
import Tenancy
public import GatehouseCore

/// An HTML page with the headers every renter page needs: a per-response CSP nonce, no caching
/// (pages carry live payment state and the URL carries a token), no referrer, no framing.
public struct HTMLPage: ResponseGenerator {
    public let status: HTTPResponse.Status
    public let html: String
    public let nonce: String
    public var extraHeaders: HTTPFields

    public init(status: HTTPResponse.Status = .ok, html: String, nonce: String, extraHeaders: HTTPFields = [:]) {
        self.status = status
        self.html = html
        self.nonce = nonce
        self.extraHeaders = extraHeaders
    }

    /// A fresh random nonce for one response.
    public static func makeNonce() -> String { RandomToken.base32(count: 22) }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        Response(status: status, headers: Self.headers(nonce: nonce, extra: extraHeaders), body: .init(byteBuffer: ByteBuffer(string: html)))
    }

    public static func headers(nonce: String, extra: HTTPFields = [:]) -> HTTPFields {
        var headers = extra
        headers[.contentType] = "text/html; charset=utf-8"
        headers[.cacheControl] = "no-store"
        headers[HTTPField.Name("Content-Security-Policy")!] =
            "default-src 'none'; script-src 'nonce-\(nonce)'; style-src 'nonce-\(nonce)'; img-src 'self' data: blob:; "
            + "connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
        headers[HTTPField.Name("Referrer-Policy")!] = "no-referrer"
        headers[HTTPField.Name("X-Content-Type-Options")!] = "nosniff"
        return headers
    }
}

extension Request {
    /// Whether the client asked for JSON rather than a page.
    public var wantsJSON: Bool {
        guard let accept = headers[.accept]?.lowercased() else { return false }
        return accept.contains("application/json") && !accept.contains("text/html")
    }

    /// The page language: `?lang=` first, then the `gh_lang` cookie, then Accept-Language; Vietnamese by default.
    public var pageLocale: PageLocale { pageLocale(query: uri.queryParameters) }

    /// ``pageLocale`` from a query the caller already parsed.
    public func pageLocale(query: Parameters) -> PageLocale {
        PageLocale.negotiate(acceptLanguage: headers[.acceptLanguage], query: query["lang"].map(String.init), cookie: cookie(named: "gh_lang").map(String.init))
    }

    /// The value of the first cookie called `name`, as `cookies[name]?.value` finds it (every `Cookie` field split at
    /// `;`, leading whitespace dropped, the name up to the first `=`, the value after the `=`s that follow it, an empty one none) without building the list of
    /// every cookie: the renter's poll reads one or two cookies per request.
    public func cookie(named name: String) -> Substring? {
        for field in headers where field.name == .cookie {
            for pair in field.value.split(separator: ";", omittingEmptySubsequences: false) {
                let pair = pair.drop { $0.isWhitespace }
                guard let equals = pair.firstIndex(of: "="), pair[..<equals] == name else { continue }
                // The first cookie of that name decides. As Hummingbird reads it, the `=`s after the name are all
                // separators (`a==1` is `1`), and an empty value is no cookie.
                let value = pair[pair.index(after: equals)...].drop { $0 == "=" }
                return value.isEmpty ? nil : value
            }
        }
        return nil
    }

    /// A `Set-Cookie` that remembers an explicit `?lang=` choice.
    public var languageCookie: String? { languageCookie(query: uri.queryParameters) }

    /// ``languageCookie`` from a query the caller already parsed.
    public func languageCookie(query: Parameters) -> String? {
        guard let lang = query["lang"].map(String.init), let locale = PageLocale(code: lang) else { return nil }
        return "gh_lang=\(locale.rawValue); Path=/; Max-Age=31536000; SameSite=Lax"
    }
}
