// Copyright (c) the Gatehouse authors
import CSodium

/// Wiping memory in a way the optimiser cannot remove (`sodium_memzero`).
public enum SecureMemory {
    /// Zeroes every byte of `bytes` in place (its count is unchanged).
    ///
    /// Only the array's current storage is wiped; copies made earlier (copy-on-write) are not.
    public static func zero(_ bytes: inout [UInt8]) {
        _ = SodiumRuntime.ready
        bytes.withUnsafeMutableBytes { zero($0) }
    }

    /// Zeroes a mutable buffer in place.
    public static func zero(_ buffer: UnsafeMutableRawBufferPointer) {
        _ = SodiumRuntime.ready
        guard let base = buffer.baseAddress, buffer.count > 0 else { return }
        sodium_memzero(base, buffer.count)
    }
}
