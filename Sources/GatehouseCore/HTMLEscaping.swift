// Copyright (c) the Gatehouse authors

/// Escaping for text put into HTML or SVG (XML) written by hand, in one place so every page escapes the same five
/// characters.
public enum HTMLEscaping {
    /// `text` safe for element content and for single- or double-quoted attribute values (`& < > " '`).
    public static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for character in text {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(character)
            }
        }
        return out
    }
}
