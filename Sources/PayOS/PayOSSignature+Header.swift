// Copyright (c) the Gatehouse authors
public import Sodium

extension PayOSSignature {
    /// How keys and values are percent-encoded in the header signature; the SDKs disagree (spec 4.3).
    public enum HeaderEncoding: Sendable, Hashable, CaseIterable {
        /// JavaScript's `encodeURIComponent` (Node SDK; the payOS backend appears to be Node): leaves
        /// `A–Z a–z 0–9 - _ . ! ~ * ' ( )` as they are.
        case encodeURIComponent
        /// Python 1.x's `urllib.parse.quote`: leaves `A–Z a–z 0–9 - _ . ~ /`, encodes `! ' ( ) *`.
        case pythonQuote
    }

    // MARK: Header signature (section 4.3): payout bodies and payout responses

    /// The canonical text of the header signature: the object deep-sorted (object keys at every depth; array
    /// order kept), each top-level value turned into text (arrays and objects as compact JSON, `null` empty,
    /// booleans `true`/`false`, strings as they are), key and value percent-encoded, `k=v` joined with `&`.
    public static func headerText(of object: JSONObject, encoding: HeaderEncoding = .encodeURIComponent) -> String {
        object.sortedByKey().entries
            .map { percentEncode($0.key, encoding) + "=" + percentEncode(headerValueText($0.value), encoding) }
            .joined(separator: "&")
    }

    /// The header (`x-signature`) signature of `object`.
    public static func header(_ object: JSONObject, checksumKey: String, encoding: HeaderEncoding = .encodeURIComponent) -> String {
        HMACSHA256.hexTag(headerText(of: object, encoding: encoding), key: checksumKey)
    }

    /// The header (`x-signature`) signature of `object`, keyed with a checksum key in guarded memory.
    public static func header(_ object: JSONObject, checksumKey: some GuardedBytes, encoding: HeaderEncoding = .encodeURIComponent) -> String {
        HMACSHA256.hexTag(headerText(of: object, encoding: encoding), key: checksumKey)
    }

    /// Whether `signature` is the header signature of `object` under any of `encodings`, compared in constant time.
    /// Pass both encodings to accept the Node and the Python SDKs when values contain `/ ! ' ( ) *`.
    public static func verifyHeader(
        _ object: JSONObject,
        signature: String,
        checksumKey: String,
        encodings: [HeaderEncoding] = [.encodeURIComponent]
    ) -> Bool {
        var matched = false
        for encoding in encodings {
            // No early exit: each candidate costs the same whatever the outcome.
            if ConstantTime.equals(header(object, checksumKey: checksumKey, encoding: encoding), signature) { matched = true }
        }
        return matched
    }

    static func headerValueText(_ value: JSONValue) -> String {
        switch value {
        case .null: return ""
        case .string(let s): return s
        case .bool(let b): return b ? "true" : "false"
        case .int(let i): return String(i)
        case .double(let d): return JSONValue.javaScriptNumberText(d)
        case .array, .object: return deepSorted(value).compactText
        }
    }

    /// Objects sorted by key at every depth; arrays keep their order (the SDKs' `sortArrays` option is off).
    static func deepSorted(_ value: JSONValue) -> JSONValue {
        switch value {
        case .object(let object):
            var sorted = JSONObject()
            for entry in object.sortedByKey() { sorted[entry.key] = deepSorted(entry.value) }
            return .object(sorted)
        case .array(let elements):
            return .array(elements.map(deepSorted))
        default:
            return value
        }
    }

    static func percentEncode(_ text: String, _ encoding: HeaderEncoding) -> String {
        let hex = Array("0123456789ABCDEF".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(text.utf8.count)
        for byte in text.utf8 {
            if isUnreserved(byte, encoding) {
                out.append(byte)
            } else {
                out.append(UInt8(ascii: "%"))
                out.append(hex[Int(byte >> 4)])
                out.append(hex[Int(byte & 0x0F)])
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    private static func isUnreserved(_ byte: UInt8, _ encoding: HeaderEncoding) -> Bool {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            return true
        case UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: "~"):
            return true
        case UInt8(ascii: "!"), UInt8(ascii: "*"), UInt8(ascii: "'"), UInt8(ascii: "("), UInt8(ascii: ")"):
            return encoding == .encodeURIComponent
        case UInt8(ascii: "/"):
            return encoding == .pythonQuote
        default:
            return false
        }
    }
}
