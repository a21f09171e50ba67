// Copyright (c) the Gatehouse authors

/// Wall-clock time in Unix milliseconds, injectable so tests control expiry and grace windows.
public struct WallClock: Sendable {
    private let read: @Sendable () -> Int64

    public init(_ read: @escaping @Sendable () -> Int64) { self.read = read }

    /// Now, in Unix milliseconds.
    public func nowMillis() -> Int64 { read() }

    /// The system clock.
    public static let system = WallClock {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Int64(ts.tv_sec) * 1000 + Int64(ts.tv_nsec) / 1_000_000
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
