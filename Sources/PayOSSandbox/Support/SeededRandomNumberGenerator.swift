// Copyright (c) the Gatehouse authors

/// A small deterministic generator (SplitMix64) for fault injection: the same seed and the same sequence of
/// requests give the same faults, so tests and reproductions are exact. Not for anything secret.
public struct SeededRandomNumberGenerator: RandomNumberGenerator, Sendable {
    private var state: UInt64

    /// - Parameter seed: Any value; equal seeds give equal sequences.
    public init(seed: UInt64) {
        self.state = seed
    }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

extension RandomNumberGenerator {
    /// `true` with probability `rate` (0…1). Rates 0 and 1 decide without drawing, so switching one fault fully
    /// on or off does not shift the random sequence the other faults see; any other rate draws exactly one value.
    mutating func chance(_ rate: Double) -> Bool {
        if rate <= 0 { return false }
        if rate >= 1 { return true }
        let unit = Double(next() >> 11) * 0x1p-53  // uniform in [0, 1)
        return unit < rate
    }
}
