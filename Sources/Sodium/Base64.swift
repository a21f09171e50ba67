// Copyright (c) the Gatehouse authors
import CSodium

/// Standard base64 (RFC 4648 section 4, with `=` padding) through libsodium's constant-time codec
/// (`sodium_bin2base64` / `sodium_base642bin`, variant "original").
///
/// Constant time matters for master keys: a table-driven decoder's timing can leak key bits.
public enum Base64 {
    /// Encodes bytes.
    public static func encode(_ bytes: some Collection<UInt8>) -> String {
        Array(bytes).withUnsafeBytes { encode(raw: $0) }
    }

    /// Encodes a secret. The result is an ordinary `String` that cannot be wiped: use it only to
    /// hand a freshly generated key to its owner (a key file, a terminal).
    public static func encode(_ secret: SecureBytes) -> String {
        secret.withUnsafeBytes { encode(raw: $0) }
    }

    /// Encodes a secret into guarded memory (ASCII base64 text, no terminator), for writing a
    /// generated key to a file without an unwipeable `String` copy.
    public static func encodedSecret(_ secret: SecureBytes) -> SecureBytes {
        _ = SodiumRuntime.ready
        let variant = Int32(sodium_base64_VARIANT_ORIGINAL)
        let capacity = sodium_base64_encoded_len(secret.count, variant)  // includes the NUL terminator
        let withTerminator = secret.withUnsafeBytes { bytes in
            SecureBytes(count: capacity) { (out: UnsafeMutableRawBufferPointer) in
                out.initializeMemory(as: UInt8.self, repeating: 0)
                guard let input = bytes.baseAddress, bytes.count > 0 else { return }
                _ = sodium_bin2base64(
                    out.baseAddress!.assumingMemoryBound(to: CChar.self), capacity,
                    input.assumingMemoryBound(to: UInt8.self), bytes.count, variant
                )
            }
        }
        return withTerminator.withUnsafeBytes { text in
            SecureBytes(count: capacity - 1) { (out: UnsafeMutableRawBufferPointer) in
                if capacity > 1 { out.baseAddress!.copyMemory(from: text.baseAddress!, byteCount: capacity - 1) }
            }
        }
    }

    private static func encode(raw bytes: UnsafeRawBufferPointer) -> String {
        _ = SodiumRuntime.ready
        let variant = Int32(sodium_base64_VARIANT_ORIGINAL)
        let capacity = sodium_base64_encoded_len(bytes.count, variant)  // includes the NUL terminator
        guard let input = bytes.baseAddress, bytes.count > 0 else { return "" }
        var out = [UInt8](repeating: 0, count: capacity)
        out.withUnsafeMutableBytes { o in
            _ = sodium_bin2base64(o.baseAddress!.assumingMemoryBound(to: CChar.self), capacity, input.assumingMemoryBound(to: UInt8.self), bytes.count, variant)
        }
        let text = String(decoding: out.prefix { $0 != 0 }, as: UTF8.self)
        SecureMemory.zero(&out)
        return text
    }

    /// Decodes base64 text (`nil` when it is not valid, padded, standard-alphabet base64).
    public static func decode(_ text: String) -> [UInt8]? {
        guard let secret = try? decodeSecret(Array(text.utf8)) else { return nil }
        return secret.withUnsafeBytes { Array($0) }
    }

    /// Decodes base64 text straight into guarded memory.
    /// - Throws: ``SodiumError/Code/invalidEncoding`` for anything but valid, padded,
    ///   standard-alphabet base64 (no whitespace). The error never contains the text.
    public static func decodeSecret(_ text: some Collection<UInt8>) throws(SodiumError) -> SecureBytes {
        _ = SodiumRuntime.ready
        var encoded = Array(text)
        // The text of a key is as secret as the key: wipe this working copy when done.
        defer { SecureMemory.zero(&encoded) }
        if encoded.isEmpty { return SecureBytes(count: 0) { (_: UnsafeMutableRawBufferPointer) in } }
        let capacity = encoded.count / 4 * 3 + 3
        var decodedCount = 0
        let scratch = try SecureBytes(count: capacity) { (buffer: UnsafeMutableRawBufferPointer) throws(SodiumError) in
            var length = 0
            let status = encoded.withUnsafeBufferPointer { e in
                e.withMemoryRebound(to: CChar.self) { chars in
                    sodium_base642bin(
                        buffer.baseAddress!.assumingMemoryBound(to: UInt8.self), capacity,
                        chars.baseAddress!, chars.count,
                        nil, &length, nil, Int32(sodium_base64_VARIANT_ORIGINAL)
                    )
                }
            }
            guard status == 0 else {
                SecureMemory.zero(buffer)
                throw SodiumError(code: .invalidEncoding, detail: "not valid padded standard base64")
            }
            // Fill the unused tail deterministically; only the first `length` bytes are copied out.
            if length < capacity { SecureMemory.zero(UnsafeMutableRawBufferPointer(rebasing: buffer[length...])) }
            decodedCount = length
        }
        return scratch.withUnsafeBytes { all in
            SecureBytes(count: decodedCount) { (out: UnsafeMutableRawBufferPointer) in
                if decodedCount > 0 { out.baseAddress!.copyMemory(from: all.baseAddress!, byteCount: decodedCount) }
            }
        }
    }
}
