// Copyright (c) the Gatehouse authors
import CSodium

/// HMAC-SHA256 (RFC 2104) over libsodium's `crypto_auth_hmacsha256_*` streaming API, which
/// accepts keys of any length (payOS keys the HMAC with the checksum key's UTF-8 text, 64 bytes).
public enum HMACSHA256 {
    /// Length of a tag in bytes.
    public static let tagLength = Int(crypto_auth_hmacsha256_BYTES)

    /// Computes the HMAC-SHA256 tag of `message` under `key`.
    public static func authenticate(_ message: some Collection<UInt8>, key: some Collection<UInt8>) -> [UInt8] {
        var keyBytes = Array(key)
        defer { SecureMemory.zero(&keyBytes) }
        return keyBytes.withUnsafeBytes { authenticate(message, keyPointer: $0) }
    }

    /// Computes the HMAC-SHA256 tag of `message` under a key held in guarded memory: libsodium reads the key through
    /// its pointer while the guarded region is readable, so the key is never copied into ordinary memory (the HMAC
    /// state derived from it is wiped before returning).
    public static func authenticate(_ message: some Collection<UInt8>, key: some GuardedBytes) -> [UInt8] {
        key.withUnsafeBytes { authenticate(message, keyPointer: $0) }
    }

    /// Computes the tag of the UTF-8 bytes of `message` under the UTF-8 bytes of `key`, as lowercase hex.
    public static func hexTag(_ message: String, key: String) -> String {
        Hex.encode(authenticate(Array(message.utf8), key: Array(key.utf8)))
    }

    /// Computes the tag of the UTF-8 bytes of `message` under a guarded key, as lowercase hex.
    public static func hexTag(_ message: String, key: some GuardedBytes) -> String {
        Hex.encode(authenticate(Array(message.utf8), key: key))
    }

    private static func authenticate(_ message: some Collection<UInt8>, keyPointer key: UnsafeRawBufferPointer) -> [UInt8] {
        _ = SodiumRuntime.ready
        var state = crypto_auth_hmacsha256_state()
        defer { sodium_memzero(&state, MemoryLayout<crypto_auth_hmacsha256_state>.size) }
        // A zero-length buffer may have no base address; libsodium reads nothing for length 0 but wants a pointer.
        var empty: UInt8 = 0
        withUnsafePointer(to: &empty) { emptyPointer in
            _ = crypto_auth_hmacsha256_init(
                &state, key.baseAddress?.assumingMemoryBound(to: UInt8.self) ?? emptyPointer, key.count)
        }
        let messageBytes = Array(message)
        messageBytes.withUnsafeBufferPointer {
            _ = crypto_auth_hmacsha256_update(&state, $0.baseAddress ?? withUnsafePointer(to: &empty) { $0 }, UInt64($0.count))
        }
        var tag = [UInt8](repeating: 0, count: tagLength)
        tag.withUnsafeMutableBufferPointer { _ = crypto_auth_hmacsha256_final(&state, $0.baseAddress!) }
        return tag
    }
}
