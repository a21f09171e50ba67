// Copyright (c) the Gatehouse authors

/// The host and port of a configuration URL (database, SMTP), split in one place: `host`, `host:port`, `[v6]` or
/// `[v6]:port`. Each parser then checks the parts by its own rules and words its own errors.
public enum URLAuthority {
    /// Why the text cannot be split.
    public enum SplitError: Error, Hashable {
        /// `[` without its `]`.
        case unterminatedIPv6
        /// Something other than `:port` after `]`.
        case textAfterIPv6
    }

    /// The host (without brackets) and the text after its `:`, if any (possibly empty); neither is validated.
    public static func splitHostPort(_ text: Substring) throws(SplitError) -> (host: Substring, port: Substring?) {
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else { throw .unterminatedIPv6 }
            let after = text[text.index(after: close)...]
            guard after.isEmpty || after.hasPrefix(":") else { throw .textAfterIPv6 }
            return (text[text.index(after: text.startIndex)..<close], after.isEmpty ? nil : after.dropFirst())
        }
        guard let colon = text.lastIndex(of: ":") else { return (text, nil) }
        return (text[..<colon], text[text.index(after: colon)...])
    }
}
