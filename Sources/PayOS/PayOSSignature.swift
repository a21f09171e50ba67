// Copyright (c) the Gatehouse authors
public import Sodium

/// payOS's signatures: HMAC-SHA256 keyed with the checksum key's UTF-8 text (never hex-decoded),
/// over a canonical text, as 64 lowercase hex characters. See `spec.md` section 4.
public enum PayOSSignature {
    // MARK: Create-payment-request signature (section 4.1)

    /// The text signed for `POST /v2/payment-requests`: exactly five fields in fixed order, values raw.
    public static func createRequestText(
        amount: Int64,
        cancelUrl: String,
        description: String,
        orderCode: Int64,
        returnUrl: String
    ) -> String {
        "amount=\(amount)&cancelUrl=\(cancelUrl)&description=\(description)&orderCode=\(orderCode)&returnUrl=\(returnUrl)"
    }

    /// The signature of a create-payment-request.
    public static func createRequest(
        amount: Int64,
        cancelUrl: String,
        description: String,
        orderCode: Int64,
        returnUrl: String,
        checksumKey: String
    ) -> String {
        HMACSHA256.hexTag(
            createRequestText(amount: amount, cancelUrl: cancelUrl, description: description, orderCode: orderCode, returnUrl: returnUrl),
            key: checksumKey
        )
    }

    // MARK: Body signature (section 4.2): response `data`, webhook `data`, cancel body

    /// The canonical text of an object: its top-level keys sorted, `key=value` joined with `&`, no URL-encoding.
    public static func canonicalText(of object: JSONObject) -> String {
        // Keys are unique in a JSONObject, so sorting its entries is sorting its keys.
        let entries = object.entries.sorted { $0.key.unicodeScalars.lexicographicallyPrecedes($1.key.unicodeScalars) }
        var text = ""
        text.reserveCapacity(entries.reduce(entries.count * 2) { $0 + $1.key.utf8.count } + 256)
        for (index, entry) in entries.enumerated() {
            if index > 0 { text += "&" }
            text += entry.key
            text += "="
            text += valueText(entry.value)
        }
        return text
    }

    /// The body signature of `object`.
    public static func body(_ object: JSONObject, checksumKey: String) -> String {
        HMACSHA256.hexTag(canonicalText(of: object), key: checksumKey)
    }

    /// The body signature of `object`, keyed with a checksum key in guarded memory.
    public static func body(_ object: JSONObject, checksumKey: some GuardedBytes) -> String {
        HMACSHA256.hexTag(canonicalText(of: object), key: checksumKey)
    }

    /// Whether `signature` is the body signature of `object` under a guarded `checksumKey`, compared in constant time.
    public static func verifyBody(_ object: JSONObject, signature: String, checksumKey: some GuardedBytes) -> Bool {
        ConstantTime.equals(body(object, checksumKey: checksumKey), signature)
    }

    /// Whether `signature` is the body signature of `object` under `checksumKey`, compared in constant time.
    /// An upper-case signature is refused, as every payOS SDK refuses it.
    public static func verifyBody(_ object: JSONObject, signature: String, checksumKey: String) -> Bool {
        ConstantTime.equals(body(object, checksumKey: checksumKey), signature)
    }

    /// The signature of a create-payment-request, keyed with a checksum key in guarded memory.
    public static func createRequest(
        amount: Int64,
        cancelUrl: String,
        description: String,
        orderCode: Int64,
        returnUrl: String,
        checksumKey: some GuardedBytes
    ) -> String {
        HMACSHA256.hexTag(
            createRequestText(amount: amount, cancelUrl: cancelUrl, description: description, orderCode: orderCode, returnUrl: returnUrl),
            key: checksumKey
        )
    }

    /// Whether `signature` is the create-request signature of the five fields, compared in constant time.
    public static func verifyCreateRequest(
        amount: Int64,
        cancelUrl: String,
        description: String,
        orderCode: Int64,
        returnUrl: String,
        signature: String,
        checksumKey: String
    ) -> Bool {
        let expected = createRequest(
            amount: amount, cancelUrl: cancelUrl, description: description, orderCode: orderCode, returnUrl: returnUrl,
            checksumKey: checksumKey
        )
        return ConstantTime.equals(expected, signature)
    }

    /// The text of one value in the canonical string.
    ///
    /// - `null`, and the strings `"null"` and `"undefined"` → empty (Node and Python 1.x).
    /// - booleans → `true`/`false`; integers → decimal digits.
    /// - arrays → compact JSON, each object element with its own top-level keys sorted (one level only).
    /// - nested objects never occur in payOS's signed data; they are written as compact JSON.
    static func valueText(_ value: JSONValue) -> String {
        switch value {
        case .null: return ""
        case .string(let s): return (s == "null" || s == "undefined") ? "" : s
        case .bool(let b): return b ? "true" : "false"
        case .int(let i): return String(i)
        case .double(let d): return JSONValue.javaScriptNumberText(d)
        case .array(let elements):
            let normalised: [JSONValue] = elements.map { element in
                if case .object(let o) = element { return .object(o.sortedByKey()) }
                return element
            }
            return JSONValue.array(normalised).compactText
        case .object:
            return value.compactText
        }
    }
}
