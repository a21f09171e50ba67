// Copyright (c) the Gatehouse authors
import CSodium

/// Cryptographically secure random bytes from libsodium (`randombytes_buf`).
public enum SecureRandom {
    /// Returns `count` random bytes.
    public static func bytes(count: Int) -> [UInt8] {
        _ = SodiumRuntime.ready
        var out = [UInt8](repeating: 0, count: count)
        out.withUnsafeMutableBytes { randombytes_buf($0.baseAddress!, $0.count) }
        return out
    }

    /// Returns a uniformly distributed integer in `0..<upperBound` (`randombytes_uniform`).
    public static func uniform(_ upperBound: UInt32) -> UInt32 {
        _ = SodiumRuntime.ready
        return randombytes_uniform(upperBound)
    }
}
