// Copyright (c) the Gatehouse authors

/// The `detail` of an audit row: a flat JSON object, rendered with sorted keys.
///
/// A small value type instead of `Encodable` so the rendering is byte-for-byte stable (the text is
/// part of each row's hash) and so callers can only put in scalars and string lists — there is no
/// way to drop a `SecureBytes` into it by accident.
public struct AuditDetail: Sendable, Hashable, ExpressibleByDictionaryLiteral, CustomStringConvertible {
    /// A JSON scalar or a list of strings.
    public enum Value: Sendable, Hashable, ExpressibleByStringLiteral, ExpressibleByIntegerLiteral,
        ExpressibleByBooleanLiteral, ExpressibleByArrayLiteral
    {
        case string(String)
        case integer(Int64)
        case bool(Bool)
        case strings([String])
        case null

        public init(stringLiteral value: String) { self = .string(value) }
        public init(integerLiteral value: Int64) { self = .integer(value) }
        public init(booleanLiteral value: Bool) { self = .bool(value) }
        public init(arrayLiteral elements: String...) { self = .strings(elements) }

        /// An integer value from any integer type.
        public static func int(_ value: some BinaryInteger) -> Value { .integer(Int64(value)) }

        /// An optional integer: `null` when absent.
        public static func int(_ value: (some BinaryInteger)?) -> Value { value.map { .integer(Int64($0)) } ?? .null }
    }

    /// The fields.
    public var fields: [String: Value]

    public init(_ fields: [String: Value] = [:]) { self.fields = fields }

    public init(dictionaryLiteral elements: (String, Value)...) {
        self.fields = Dictionary(elements, uniquingKeysWith: { _, last in last })
    }

    /// Compact JSON with keys in byte order, e.g. `{"kinds":["api_key"],"purpose":"create-payment"}`.
    public var json: String {
        var out = "{"
        for (index, key) in fields.keys.sorted(by: { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }).enumerated() {
            if index > 0 { out += "," }
            Self.appendString(key, to: &out)
            out += ":"
            switch fields[key]! {
            case .string(let s): Self.appendString(s, to: &out)
            case .integer(let i): out += String(i)
            case .bool(let b): out += b ? "true" : "false"
            case .null: out += "null"
            case .strings(let list):
                out += "["
                for (i, s) in list.enumerated() {
                    if i > 0 { out += "," }
                    Self.appendString(s, to: &out)
                }
                out += "]"
            }
        }
        return out + "}"
    }

    public var description: String { json }

    private static func appendString(_ text: String, to out: inout String) {
        out += "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20 || scalar.value == 0x7F || scalar.value == 0x2028 || scalar.value == 0x2029:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default:
                out.unicodeScalars.append(scalar)
            }
        }
        out += "\""
    }
}
