// Copyright (c) the Gatehouse authors
import CSodium

/// SHA-256 (`crypto_hash_sha256`), one-shot or streaming.
///
/// Used where the algorithm must be a widely known, unkeyed standard, such as the audit-log hash
/// chain that an auditor may recompute with any tool.
public struct SHA256 {
    /// Digest length in bytes (32).
    public static let digestLength = Int(crypto_hash_sha256_BYTES)

    private var state = crypto_hash_sha256_state()

    /// Starts a new digest.
    public init() {
        _ = SodiumRuntime.ready
        _ = crypto_hash_sha256_init(&state)
    }

    /// Feeds more bytes.
    public mutating func update(_ bytes: some Collection<UInt8>) {
        let chunk = Array(bytes)
        guard !chunk.isEmpty else { return }
        chunk.withUnsafeBufferPointer { _ = crypto_hash_sha256_update(&state, $0.baseAddress!, UInt64($0.count)) }
    }

    /// Returns the digest. The state is spent afterwards.
    public mutating func finalize() -> [UInt8] {
        var out = [UInt8](repeating: 0, count: Self.digestLength)
        out.withUnsafeMutableBufferPointer { _ = crypto_hash_sha256_final(&state, $0.baseAddress!) }
        return out
    }

    /// The SHA-256 digest of `bytes`.
    public static func hash(_ bytes: some Collection<UInt8>) -> [UInt8] {
        var hasher = SHA256()
        hasher.update(bytes)
        return hasher.finalize()
    }
}
