// Copyright (c) the Gatehouse authors
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Wall-clock time as Unix milliseconds, the unit of every time column in the schema.
///
/// A value wrapping a closure rather than a protocol so that tests can pass a clock they move by
/// hand (to step past a grace window) without a type of their own, and production passes
/// ``system``.
public struct WallClock: Sendable {
    private let read: @Sendable () -> Int64

    /// A clock reading `milliseconds()` on every call.
    public init(milliseconds: @escaping @Sendable () -> Int64) {
        self.read = milliseconds
    }

    /// The system's real-time clock (`CLOCK_REALTIME`).
    public static let system = WallClock {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return Int64(now.tv_sec) * 1000 + Int64(now.tv_nsec) / 1_000_000
    }

    /// The current time in Unix milliseconds.
    public func now() -> Int64 { read() }
}
