// Copyright (c) the Gatehouse authors
import Foundation

/// Turns a view struct into nested dictionaries and arrays once per render. Mustache would otherwise reflect the
/// struct with `Mirror` on every `{{name}}` lookup; a dictionary lookup is direct. `nil` optionals are left out,
/// which mustache treats exactly like a `nil` field.
enum MustacheContext {
    static func make(_ value: Any) -> Any {
        switch value {
        case let string as String: return string
        case let dictionary as [String: String]: return dictionary
        case let array as [Any]: return array.map(make)
        default: break
        }
        let mirror = Mirror(reflecting: value)
        switch mirror.displayStyle {
        case .struct:
            var fields: [String: Any] = [:]
            for child in mirror.children {
                guard let label = child.label, let field = unwrap(child.value) else { continue }
                fields[label] = make(field)
            }
            return fields
        case .optional:
            return unwrap(value).map(make) as Any
        default:
            return value
        }
    }

    private static func unwrap(_ value: Any) -> Any? {
        let mirror = Mirror(reflecting: value)
        guard mirror.displayStyle == .optional else { return value }
        return mirror.children.first.map { $0.value }
    }
}

/// `m:ss` / `h:mm:ss` for the countdown (the script uses the same format once it takes over).
enum Countdown {
    static func format(seconds: Int64) -> String {
        let total = max(0, seconds)
        let hours = total / 3600
        let minutes = total % 3600 / 60
        let secs = total % 60
        func pad(_ v: Int64) -> String { v < 10 ? "0\(v)" : String(v) }
        return hours > 0 ? "\(hours):\(pad(minutes)):\(pad(secs))" : "\(pad(minutes)):\(pad(secs))"
    }
}

/// Links on the page that come from outside our code (payOS's checkout URL, the owner's back URL) are only emitted
/// when they are web or same-site URLs: escaping alone would let `javascript:…` through an `href`.
enum SafeLink {
    /// `https://…` or `http://…` (the local payOS sandbox serves plain HTTP); anything else is dropped.
    static func absoluteHTTP(_ url: String?) -> String? {
        guard let url = url.nonBlank else { return nil }
        let lower = url.lowercased()
        guard lower.hasPrefix("https://") || lower.hasPrefix("http://") else { return nil }
        guard !url.contains(where: { $0.isWhitespace || $0.asciiValue.map { $0 < 0x20 || $0 == 0x7F } == true }) else { return nil }
        return url
    }

    /// An absolute web URL or a same-site path (`/…` but not `//…`).
    static func linkable(_ url: String?) -> String? {
        guard let url = url.nonBlank else { return nil }
        if url.hasPrefix("/"), !url.hasPrefix("//"), !url.contains("\\"), !url.contains(where: \.isWhitespace) { return url }
        return absoluteHTTP(url)
    }
}

/// Prepares the QR SVG for inline insertion.
enum QRMarkup {
    /// The SVG from its `<svg` tag on (an XML declaration or comment before it has no place inside HTML), or `nil`
    /// when the text is not an SVG document — we never inject markup that is not what we expect.
    static func inlineSVG(_ svg: String?) -> String? {
        guard let svg, let start = svg.range(of: "<svg"), svg.range(of: "</svg>", options: .backwards) != nil else { return nil }
        return String(svg[start.lowerBound...]).trimmingCharacters(in: .whitespacesAndNewlines)
    }
}

extension Optional where Wrapped == String {
    /// The string, or `nil` when it is absent or blank.
    var nonBlank: String? {
        guard let self, !self.trimmingCharacters(in: .whitespaces).isEmpty else { return nil }
        return self
    }
}
