// Copyright (c) the Gatehouse authors
import CSodium

/// XChaCha20-Poly1305 (IETF) authenticated encryption with associated data.
///
/// Why this construction: its 24-byte nonce is large enough to pick at random for every message
/// under one key without tracking counters (the birthday bound is far beyond any number of seals
/// Gatehouse will make), which keeps sealing stateless and safe across processes and backends.
///
/// Sealed format: `nonce (24 bytes) || ciphertext || tag (16 bytes)`. The associated data is
/// authenticated but not stored: the caller rebuilds it from context (owner, slot), so a sealed
/// blob moved to another context fails to open.
public enum XChaCha20Poly1305 {
    /// Key length in bytes (32).
    public static let keyLength = Int(crypto_aead_xchacha20poly1305_ietf_KEYBYTES)
    /// Nonce length in bytes (24).
    public static let nonceLength = Int(crypto_aead_xchacha20poly1305_ietf_NPUBBYTES)
    /// Authentication tag length in bytes (16).
    public static let tagLength = Int(crypto_aead_xchacha20poly1305_ietf_ABYTES)
    /// Bytes a sealed box adds to its plaintext (nonce + tag, 40).
    public static let overhead = nonceLength + tagLength

    /// Encrypts and authenticates `plaintext` under `key`, binding `associatedData`, with a fresh
    /// random nonce.
    /// - Returns: `nonce || ciphertext || tag`.
    /// - Precondition: `key` is ``keyLength`` bytes.
    public static func seal(_ plaintext: SecureBytes, key: SecureBytes, associatedData: some Collection<UInt8>) -> [UInt8] {
        plaintext.withUnsafeBytes { seal(bytes: $0, key: key, associatedData: associatedData) }
    }

    /// Encrypts and authenticates plaintext that is not secret enough for ``SecureBytes`` (or is
    /// already in a caller-managed buffer). Same format as ``seal(_:key:associatedData:)``.
    public static func seal(bytes plaintext: UnsafeRawBufferPointer, key: SecureBytes, associatedData: some Collection<UInt8>) -> [UInt8] {
        _ = SodiumRuntime.ready
        precondition(key.count == keyLength, "XChaCha20-Poly1305 needs a \(keyLength)-byte key")
        let ad = Array(associatedData)
        var out = [UInt8](repeating: 0, count: nonceLength + plaintext.count + tagLength)
        var written: UInt64 = 0
        let status = out.withUnsafeMutableBytes { outBuffer in
            let nonce = outBuffer.baseAddress!
            randombytes_buf(nonce, nonceLength)
            let cipher = nonce + nonceLength
            return key.withUnsafeBytes { k in
                ad.withUnsafeBufferPointer { a in
                    crypto_aead_xchacha20poly1305_ietf_encrypt(
                        cipher.assumingMemoryBound(to: UInt8.self), &written,
                        plaintext.baseAddress?.assumingMemoryBound(to: UInt8.self), UInt64(plaintext.count),
                        a.baseAddress, UInt64(a.count),
                        nil,
                        nonce.assumingMemoryBound(to: UInt8.self),
                        k.baseAddress!.assumingMemoryBound(to: UInt8.self)
                    )
                }
            }
        }
        precondition(status == 0 && Int(written) == plaintext.count + tagLength, "XChaCha20-Poly1305 encryption failed")
        return out
    }

    /// Verifies and decrypts a sealed box straight into guarded memory.
    ///
    /// - Throws: ``SodiumError/Code/authenticationFailed`` when the key, the associated data or any
    ///   byte of `sealed` is not the one it was sealed with (one code for all, by design);
    ///   ``SodiumError/Code/invalidLength`` when `sealed` is shorter than ``overhead``.
    /// - Precondition: `key` is ``keyLength`` bytes.
    public static func open(_ sealed: some Collection<UInt8>, key: SecureBytes, associatedData: some Collection<UInt8>) throws(SodiumError) -> SecureBytes {
        _ = SodiumRuntime.ready
        precondition(key.count == keyLength, "XChaCha20-Poly1305 needs a \(keyLength)-byte key")
        let box = Array(sealed)
        guard box.count >= overhead else {
            throw SodiumError(code: .invalidLength, detail: "sealed box is \(box.count) bytes, shorter than the \(overhead)-byte overhead")
        }
        let ad = Array(associatedData)
        let plaintextCount = box.count - overhead
        return try SecureBytes(count: plaintextCount) { (output: UnsafeMutableRawBufferPointer) throws(SodiumError) in
            var produced: UInt64 = 0
            // Decrypt into a buffer with room for at least one byte so the output pointer is never NULL.
            let status = box.withUnsafeBufferPointer { b in
                key.withUnsafeBytes { k in
                    ad.withUnsafeBufferPointer { a in
                        withDestination(output) { destination in
                            crypto_aead_xchacha20poly1305_ietf_decrypt(
                                destination, &produced,
                                nil,
                                b.baseAddress! + nonceLength, UInt64(box.count - nonceLength),
                                a.baseAddress, UInt64(a.count),
                                b.baseAddress!,
                                k.baseAddress!.assumingMemoryBound(to: UInt8.self)
                            )
                        }
                    }
                }
            }
            guard status == 0, Int(produced) == plaintextCount else {
                SecureMemory.zero(output)
                throw SodiumError(code: .authenticationFailed, detail: "sealed box did not authenticate")
            }
        }
    }

    /// Calls `body` with a non-NULL destination: the buffer itself, or a one-byte scratch for an
    /// empty plaintext.
    private static func withDestination(_ output: UnsafeMutableRawBufferPointer, _ body: (UnsafeMutablePointer<UInt8>) -> Int32) -> Int32 {
        if let base = output.baseAddress, output.count > 0 {
            return body(base.assumingMemoryBound(to: UInt8.self))
        }
        var scratch: UInt8 = 0
        return body(&scratch)
    }
}
