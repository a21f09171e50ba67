// Copyright (c) the Gatehouse authors

/// Text that a limit counted in grapheme clusters (`String.count`) gets wrong: every sample has more code points than
/// characters, so a value cut to exactly a column's length in code points is far shorter in `Character`s, and one
/// more combining mark (``overByOne``) adds a code point but no `Character`.
public struct UnicodeSample: Sendable, CustomStringConvertible {
    public let name: String
    /// Repeated (and cut) to the length a test needs.
    public let unit: String

    public var description: String { name }

    public static let all: [UnicodeSample] = [
        UnicodeSample(name: "4-byte emoji (flags, skin tones)", unit: "🇻🇳👍🏽🏠"),
        UnicodeSample(name: "ZWJ emoji sequences", unit: "👨‍👩‍👧‍👦🏳️‍🌈"),
        UnicodeSample(name: "combining marks", unit: "e\u{301}"),
        UnicodeSample(name: "Arabic with harakat (RTL)", unit: "غُرْفَةٌ مُطِلَّةٌ "),
        UnicodeSample(name: "Hebrew with niqqud (RTL)", unit: "חֶדֶר שָׁקֵט "),
        // Precomposed and decomposed forms side by side: both must come back exactly as sent (no normalisation).
        UnicodeSample(name: "Vietnamese with diacritics (NFC and NFD)", unit: "Phòng Nguyễn Nguye\u{302}\u{303}n "),
    ]

    /// `unit` repeated and cut to exactly `count` code points, with no white space at either end (it would be trimmed).
    public func text(codePoints count: Int) -> String {
        var scalars: [Unicode.Scalar] = []
        while scalars.count < count { scalars.append(contentsOf: unit.unicodeScalars) }
        scalars.removeLast(scalars.count - count)
        for index in [scalars.startIndex, scalars.index(before: scalars.endIndex)] where scalars[index].properties.isWhitespace {
            scalars[index] = "x"
        }
        var text = ""
        text.unicodeScalars.append(contentsOf: scalars)
        return text
    }

    /// ``text(codePoints:)`` plus one combining mark: one code point over, the same number of `Character`s.
    public func overByOne(_ count: Int) -> String {
        text(codePoints: count) + "\u{301}"
    }
}

extension String {
    /// Whether `self` and `other` are the same bytes (`==` on `String` compares canonical equivalence: "é" equals
    /// "e\u{301}").
    public func isByteIdentical(to other: String?) -> Bool {
        other.map { Array(utf8) == Array($0.utf8) } ?? false
    }
}
