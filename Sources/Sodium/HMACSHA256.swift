// Copyright (c) the Gatehouse authors
import CSodium

/// HMAC-SHA256 (RFC 2104) over libsodium's `crypto_auth_hmacsha256_*` streaming API, which
/// accepts keys of any length (payOS keys the HMAC with the checksum key's UTF-8 text, 64 bytes).
public enum HMACSHA256 {
    /// Length of a tag in bytes.
    public static let tagLength = Int(crypto_auth_hmacsha256_BYTES)

    /// Computes the HMAC-SHA256 tag of `message` under `key`.
    public static func authenticate(_ message: some Collection<UInt8>, key: some Collection<UInt8>) -> [UInt8] {
        _ = SodiumRuntime.ready
        var state = crypto_auth_hmacsha256_state()
        defer { sodium_memzero(&state, MemoryLayout<crypto_auth_hmacsha256_state>.size) }
        // A zero-length buffer may have no base address; libsodium reads nothing for length 0 but wants a pointer.
        var empty: UInt8 = 0
        let keyBytes = Array(key)
        keyBytes.withUnsafeBufferPointer { _ = crypto_auth_hmacsha256_init(&state, $0.baseAddress ?? withUnsafePointer(to: &empty) { $0 }, $0.count) }
        let messageBytes = Array(message)
        messageBytes.withUnsafeBufferPointer {
            _ = crypto_auth_hmacsha256_update(&state, $0.baseAddress ?? withUnsafePointer(to: &empty) { $0 }, UInt64($0.count))
        }
        var tag = [UInt8](repeating: 0, count: tagLength)
        tag.withUnsafeMutableBufferPointer { _ = crypto_auth_hmacsha256_final(&state, $0.baseAddress!) }
        return tag
    }

    /// Computes the tag of the UTF-8 bytes of `message` under the UTF-8 bytes of `key`, as lowercase hex.
    public static func hexTag(_ message: String, key: String) -> String {
        Hex.encode(authenticate(Array(message.utf8), key: Array(key.utf8)))
    }
}
