// Copyright (c) the Gatehouse authors

/// Reading payOS's `qrCode` string: a VietQR (NAPAS EMVCo merchant-presented) payload of TLV fields
/// (2-digit tag, 2-digit length, value). See `spec.md` section 6.3.
public enum VietQR {
    /// The top-level fields, or `nil` when the text is not a well-formed TLV sequence.
    public static func fields(of payload: String) -> [String: String]? {
        var result: [String: String] = [:]
        var rest = Substring(payload)
        while !rest.isEmpty {
            guard rest.count >= 4, let length = Int(rest.dropFirst(2).prefix(2)), rest.count >= 4 + length else { return nil }
            let tag = String(rest.prefix(2))
            result[tag] = String(rest.dropFirst(4).prefix(length))
            rest = rest.dropFirst(4 + length)
        }
        return result
    }

    /// The transfer content the bank transfer must carry (tag 62, sub-tag 08): what payOS matches a transfer by.
    public static func purpose(of payload: String) -> String? {
        guard let additional = fields(of: payload)?["62"], let sub = fields(of: additional) else { return nil }
        return sub["08"]
    }
}
