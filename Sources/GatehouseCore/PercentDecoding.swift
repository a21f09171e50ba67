// Copyright (c) the Gatehouse authors

/// Strict RFC 3986 percent-decoding, for the parts of configuration URLs (database, SMTP): user names,
/// passwords, paths. Strict because a silently mangled password fails far from its cause.
public enum PercentDecoding {
    /// Decodes `%XX` escapes as UTF-8; `nil` for a malformed escape or bytes that are not UTF-8.
    public static func decode(_ text: Substring) -> String? {
        // Bytes, not characters: `%` followed by a combining mark is one grapheme cluster that `contains("%")` misses.
        guard text.utf8.contains(UInt8(ascii: "%")) else { return String(text) }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count)
        var iterator = text.utf8.makeIterator()
        while let byte = iterator.next() {
            if byte == UInt8(ascii: "%") {
                guard let high = iterator.next()?.hexDigitValue, let low = iterator.next()?.hexDigitValue else { return nil }
                bytes.append(high << 4 | low)
            } else {
                bytes.append(byte)
            }
        }
        return String(validating: bytes, as: UTF8.self)
    }
}

extension UInt8 {
    /// The value of this ASCII hex digit (either case), `nil` for any other byte.
    public var hexDigitValue: UInt8? {
        switch self {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): self - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): self - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): self - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
