// Copyright (c) the Gatehouse authors

/// The unit a text limit counts. Each field is measured in the unit of the place it is stored in, so a value that
/// passes validation always fits there (a value that does not fit was a 500 from the database, after validation).
public enum TextUnit: Sendable, Hashable {
    /// Unicode scalars (code points): what `VARCHAR(n)` counts on MariaDB (utf8mb4) and what SQLite's `length()` in the
    /// `CHECK` standing in for it counts. Not `String.count`, which counts grapheme clusters: "👨‍👩‍👧" is one of those
    /// and five code points, "e\u{301}" one and two.
    case codePoints
    /// UTF-8 bytes: values kept as bytes (sealed in the vault, sent as HTTP header values).
    case utf8Bytes
    /// UTF-16 code units: payOS's limits (its server counts JavaScript string lengths).
    case utf16Units

    /// The length of `text` in this unit.
    public func count(_ text: some StringProtocol) -> Int {
        switch self {
        case .codePoints: text.unicodeScalars.count
        case .utf8Bytes: text.utf8.count
        case .utf16Units: text.utf16.count
        }
    }

    /// The unit as error messages name it.
    public var name: String {
        switch self {
        case .codePoints: "characters (Unicode code points)"
        case .utf8Bytes: "bytes (UTF-8)"
        case .utf16Units: "UTF-16 code units"
        }
    }
}

/// A tenant-facing single-line text input and its rules: every such input goes through ``validated(_:)`` before it
/// is stored or used.
///
/// - Length: 1 (or 0 when optional) to ``maximum`` in ``unit``, the unit of the column the value goes to.
/// - No control characters (C0 including TAB, CR and LF; DEL; C1) and no Unicode line or paragraph separator: every
///   field is one line, and a line break in a name or title ends up in e-mail headers, logs and CSV exports.
///   Format characters (ZWJ in emoji sequences, RLM/LRM in right-to-left text) are text and allowed.
/// - Ill-formed input (invalid UTF-8, unpaired surrogates) never reaches here: the JSON decoder and the form and
///   percent decoders refuse it, and a Swift `String` cannot hold an unpaired surrogate.
/// - Not normalised (no NFC): the value is stored and read back exactly as sent (the columns compare bytes,
///   `utf8mb4_bin`), and NFC is not length-preserving (U+0958 becomes two code points), so a normalised value could
///   outgrow the limit it was checked against.
public struct TextField: Sendable, Hashable {
    /// The field's name as the API spells it (`room_title`); error messages start with it.
    public let name: String
    /// The most ``unit``s the value may have (the column's length).
    public let maximum: Int
    public let unit: TextUnit
    /// Whether white space around the value is removed first (as forms and hand-written JSON often carry it).
    /// Off for secrets, which are used exactly as given.
    public let trimsWhiteSpace: Bool

    public init(_ name: String, maximum: Int, unit: TextUnit = .codePoints, trimsWhiteSpace: Bool = true) {
        self.name = name
        self.maximum = maximum
        self.unit = unit
        self.trimsWhiteSpace = trimsWhiteSpace
    }

    /// The value to store: `text` without surrounding white space (when ``trimsWhiteSpace``), checked.
    /// - Parameter required: whether an empty value is refused; an optional field returns `""` for "not given".
    /// - Throws: ``TenancyError/validation(_:)`` naming the field and, for a length, the unit.
    public func validated(_ text: String, required: Bool = true) throws(TenancyError) -> String {
        let value = trimsWhiteSpace ? Validation.trimmingWhiteSpace(text) : text
        if value.isEmpty, !required { return value }
        guard (1...maximum).contains(unit.count(value)) else {
            throw .validation("\(name) must be \(required ? "1 to " : "at most ")\(maximum) \(unit.name)")
        }
        guard !value.unicodeScalars.contains(where: Validation.breaksALine) else {
            throw .validation("\(name) must be one line of text without control characters (tab, line breaks, U+0000–U+001F, U+007F–U+009F)")
        }
        return value
    }
}

/// Input checks shared by the tenant-facing operations.
public enum Validation {
    /// Whether `scalar` may not appear in single-line text: a control character (general category Cc: C0, DEL, C1)
    /// or a Unicode line or paragraph separator (U+2028, U+2029).
    public static func breaksALine(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.properties.generalCategory {
        case .control, .lineSeparator, .paragraphSeparator: true
        default: false
        }
    }

    /// `text` without the Unicode white space (`White_Space`: spaces, TAB, CR, LF, NEL, NBSP, …) at either end.
    public static func trimmingWhiteSpace(_ text: String) -> String {
        var scalars = Substring(text).unicodeScalars
        while let first = scalars.first, first.properties.isWhitespace { scalars.removeFirst() }
        while let last = scalars.last, last.properties.isWhitespace { scalars.removeLast() }
        return String(scalars)
    }

    /// The e-mail address to store: trimmed, at most `maximum` code points (the column's length), one `@` with a
    /// non-empty local part and a dotted domain, no spaces or control characters.
    /// - Throws: ``TenancyError/validation(_:)`` naming `field`.
    public static func email(_ text: String, field: String, maximum: Int) throws(TenancyError) -> String {
        let value = try TextField(field, maximum: maximum).validated(text)
        let parts = value.split(separator: "@", omittingEmptySubsequences: false)
        guard !value.unicodeScalars.contains(where: \.properties.isWhitespace), parts.count == 2, !parts[0].isEmpty,
            parts[1].contains("."), !parts[1].hasPrefix("."), !parts[1].hasSuffix(".")
        else { throw .validation("\(field) is not a valid address") }
        return value
    }

    /// Characters a phone number may hold besides the ASCII digits.
    public static let phonePunctuation: Set<Unicode.Scalar> = ["+", " ", "-", "(", ")", "."]

    /// The phone number to store, or `nil` when none is given (absent or blank): trimmed, at most `maximum` characters,
    /// ASCII digits `0-9` and `+ - ( ) .` and spaces only. Other digits (Arabic-Indic, fullwidth, …) are refused: payOS,
    /// banks and SMS gateways read ASCII digits, and `Character.isNumber` also accepts "½" and "Ⅻ".
    /// - Throws: ``TenancyError/validation(_:)`` naming `field`.
    public static func phone(_ text: String?, field: String, maximum: Int) throws(TenancyError) -> String? {
        guard let text else { return nil }
        let value = trimmingWhiteSpace(text)
        guard !value.isEmpty else { return nil }
        guard value.unicodeScalars.count <= maximum,
            value.unicodeScalars.allSatisfy({ ("0"..."9").contains($0) || phonePunctuation.contains($0) })
        else { throw .validation("\(field) must be at most \(maximum) characters: ASCII digits 0-9, spaces or + - ( ) .") }
        return value
    }
}
