// Copyright (c) the Gatehouse authors

/// The language a renter's page is rendered in.
///
/// Renters are in Vietnam, so Vietnamese is the default; English is offered for foreign renters, chosen by an explicit
/// `?lang=` toggle, a remembered cookie, or the browser's `Accept-Language`.
public enum PageLocale: String, Sendable, Hashable, CaseIterable {
    case vi
    case en

    /// The default when nothing else decides.
    public static let `default`: PageLocale = .vi

    /// The value of the `<html lang>` attribute (and of the `lang` query parameter and cookie).
    public var code: String { rawValue }

    /// The other locale: the one the language toggle on every page switches to.
    public var other: PageLocale { self == .vi ? .en : .vi }

    /// The relative link of the language toggle, e.g. `?lang=en`. A query-only reference keeps the current path;
    /// the controller persists the choice in a cookie so the renter's token need not be repeated in the link.
    public var toggleQuery: String { "?lang=\(other.code)" }

    /// Parses one explicit language value (`en`, `EN`, `en-GB`, ` vi `); `nil` for anything we do not offer.
    public init?(code: String) {
        let trimmed = code.trimmingASCIIWhitespace().lowercased()
        let primary = trimmed.split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? ""
        switch primary {
        case "vi": self = .vi
        case "en": self = .en
        default: return nil
        }
    }

    /// Chooses the page locale for a request.
    ///
    /// Precedence: an explicit `?lang=` (the renter just clicked the toggle) beats the remembered cookie, which beats
    /// the browser's `Accept-Language`; when none names a language we offer, Vietnamese. Values we do not understand are
    /// ignored rather than rejected, so a stale cookie can never make a page fail.
    /// - Parameters:
    ///   - acceptLanguage: the `Accept-Language` header, if any.
    ///   - query: the `lang` query parameter, if any.
    ///   - cookie: the language cookie's value, if any.
    /// - Returns: the locale to render in.
    public static func negotiate(acceptLanguage: String?, query: String?, cookie: String?) -> PageLocale {
        if let query, let locale = PageLocale(code: query) { return locale }
        if let cookie, let locale = PageLocale(code: cookie) { return locale }
        if let acceptLanguage, let locale = fromAcceptLanguage(acceptLanguage) { return locale }
        return .default
    }

    /// The most preferred locale we offer according to an `Accept-Language` header (RFC 9110 §12.5.4), or `nil` when
    /// the header names none of them. Ties in quality go to the earlier entry; `q=0` means "not acceptable"; `*`
    /// stands for the default. Only the first 32 entries are read, so a hostile header costs bounded work.
    static func fromAcceptLanguage(_ header: String) -> PageLocale? {
        var best: (locale: PageLocale, quality: Double)?
        for entry in header.split(separator: ",", omittingEmptySubsequences: true).prefix(32) {
            let parts = entry.split(separator: ";")
            guard let rawTag = parts.first else { continue }
            let tag = String(rawTag).trimmingASCIIWhitespace()
            var quality = 1.0
            var validQuality = true
            for parameter in parts.dropFirst() {
                let pair = parameter.split(separator: "=", maxSplits: 1)
                guard pair.count == 2, String(pair[0]).trimmingASCIIWhitespace().lowercased() == "q" else { continue }
                if let q = Double(String(pair[1]).trimmingASCIIWhitespace()), q >= 0, q <= 1 {
                    quality = q
                } else {
                    validQuality = false
                }
            }
            guard validQuality, quality > 0 else { continue }
            let locale: PageLocale? = tag == "*" ? .default : PageLocale(code: tag)
            guard let locale else { continue }
            if let current = best, quality <= current.quality { continue }
            best = (locale, quality)
        }
        return best?.locale
    }
}

extension String {
    /// The string without leading and trailing spaces and tabs (header whitespace), without pulling in Foundation.
    public func trimmingASCIIWhitespace() -> String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" }
        guard let first = firstIndex(where: { !isSpace($0) }), let last = lastIndex(where: { !isSpace($0) }) else { return "" }
        return String(self[first...last])
    }
}
