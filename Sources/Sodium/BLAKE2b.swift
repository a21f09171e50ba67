// Copyright (c) the Gatehouse authors
import CSodium

/// BLAKE2b (`crypto_generichash`), keyed or not.
///
/// Keyed BLAKE2b is a MAC/PRF: Gatehouse stores `BLAKE2b(token, key: serverKey)` for API keys and
/// renter tokens, so a leaked table cannot be checked against guesses without the server key.
public enum BLAKE2b {
    /// Allowed output lengths in bytes.
    public static let outputLengths = Int(crypto_generichash_BYTES_MIN)...Int(crypto_generichash_BYTES_MAX)
    /// Allowed key lengths in bytes.
    public static let keyLengths = Int(crypto_generichash_KEYBYTES_MIN)...Int(crypto_generichash_KEYBYTES_MAX)
    /// The default output length (32 bytes).
    public static let defaultOutputLength = Int(crypto_generichash_BYTES)

    /// Hashes `message`, keyed with `key` when given.
    /// - Precondition: `outputLength` is in ``outputLengths`` and `key` (if any) in ``keyLengths``.
    public static func hash(_ message: some Collection<UInt8>, key: SecureBytes? = nil, outputLength: Int = defaultOutputLength) -> [UInt8] {
        _ = SodiumRuntime.ready
        precondition(outputLengths.contains(outputLength), "BLAKE2b output length must be in \(outputLengths)")
        let input = Array(message)
        var out = [UInt8](repeating: 0, count: outputLength)
        let status: Int32 = input.withUnsafeBufferPointer { m in
            out.withUnsafeMutableBufferPointer { o in
                if let key {
                    precondition(keyLengths.contains(key.count), "BLAKE2b key length must be in \(keyLengths)")
                    return key.withUnsafeBytes { k in
                        crypto_generichash(
                            o.baseAddress!, outputLength, m.baseAddress, UInt64(m.count),
                            k.baseAddress!.assumingMemoryBound(to: UInt8.self), k.count
                        )
                    }
                }
                return crypto_generichash(o.baseAddress!, outputLength, m.baseAddress, UInt64(m.count), nil, 0)
            }
        }
        precondition(status == 0, "crypto_generichash failed")
        return out
    }
}
