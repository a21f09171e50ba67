// Copyright (c) the Gatehouse authors
import CSodium

/// Comparisons whose running time does not depend on where two secrets differ.
public enum ConstantTime {
    /// Compares two byte sequences in constant time (for equal lengths) with `sodium_memcmp`.
    ///
    /// Lengths are compared first: every value compared here (signatures, token hashes) has a
    /// fixed public length, so the length reveals nothing secret.
    public static func equals(_ lhs: some Collection<UInt8>, _ rhs: some Collection<UInt8>) -> Bool {
        _ = SodiumRuntime.ready
        let a = Array(lhs)
        let b = Array(rhs)
        guard a.count == b.count else { return false }
        if a.isEmpty { return true }
        return a.withUnsafeBytes { pa in
            b.withUnsafeBytes { pb in sodium_memcmp(pa.baseAddress!, pb.baseAddress!, a.count) == 0 }
        }
    }

    /// Compares the UTF-8 bytes of two strings in constant time.
    public static func equals(_ lhs: String, _ rhs: String) -> Bool {
        equals(Array(lhs.utf8), Array(rhs.utf8))
    }
}
