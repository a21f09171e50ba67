// Copyright (c) the Gatehouse authors
import CSodium

/// Subkeys derived from a master secret (`crypto_kdf_derive_from_key`, BLAKE2b underneath).
///
/// Why: one secret should serve one algorithm. When a key that already encrypts (an owner's data key under
/// XChaCha20-Poly1305) must also authenticate something else, a subkey derived for that purpose keeps the two uses
/// independent: a tag never reveals anything about the encryption key, and neither use can be turned against the other.
public enum KeyDerivation {
    /// The length of a context label in bytes (8).
    public static let contextLength = Int(crypto_kdf_CONTEXTBYTES)
    /// Allowed subkey lengths in bytes.
    public static let subkeyLengths = Int(crypto_kdf_BYTES_MIN)...Int(crypto_kdf_BYTES_MAX)
    /// The master key length `crypto_kdf` requires (32).
    public static let masterKeyLength = Int(crypto_kdf_KEYBYTES)

    /// The subkey number `id` for `context` (exactly 8 ASCII bytes naming the purpose), in guarded memory.
    /// - Precondition: `masterKey` is ``masterKeyLength`` bytes, `context` is ``contextLength`` bytes and `length`
    ///   is in ``subkeyLengths`` (all three are chosen by code, never by input).
    public static func subkey(_ id: UInt64, context: String, length: Int = 32, from masterKey: SecureBytes) -> SecureBytes {
        _ = SodiumRuntime.ready
        let label = Array(context.utf8)
        precondition(label.count == contextLength, "a KDF context is \(contextLength) bytes")
        precondition(subkeyLengths.contains(length), "a KDF subkey length must be in \(subkeyLengths)")
        precondition(masterKey.count == masterKeyLength, "a KDF master key is \(masterKeyLength) bytes")
        return SecureBytes(count: length) { (out: UnsafeMutableRawBufferPointer) in
            let status: Int32 = masterKey.withUnsafeBytes { key in
                label.withUnsafeBufferPointer { ctx in
                    ctx.withMemoryRebound(to: CChar.self) { ctx in
                        crypto_kdf_derive_from_key(
                            out.baseAddress!.assumingMemoryBound(to: UInt8.self), length, id, ctx.baseAddress!,
                            key.baseAddress!.assumingMemoryBound(to: UInt8.self))
                    }
                }
            }
            precondition(status == 0, "crypto_kdf_derive_from_key failed")
        }
    }
}
