// Copyright (c) the Gatehouse authors
public import CoreMetrics
import Synchronization

/// Caps the renter long polls (`refresh-status?wait=N`) one instance holds at once.
///
/// A long poll keeps a connection, a file descriptor and a task for up to 30 s; without a cap, enough open status
/// pages (or one client opening polls in a loop) take the descriptors that payOS's webhooks and the owner API need.
/// Past the cap a poll is refused at once (``LongPollLimitError``, answered 503 with `Retry-After`); the status page
/// then polls every 5 s without waiting, which costs nothing to hold. Plain polls (no `wait`) never come here.
///
/// The count is one atomic integer: a slot is taken with a compare-and-swap that never goes past the cap, and
/// ``withSlot(_:)`` gives it back however the poll ends (answer, error, cancellation). Exposed as
/// `gatehouse_long_polls_in_flight` (gauge) and `gatehouse_long_poll_refusals_total` (counter).
public final class LongPollLimiter: Sendable {
    /// 512: half of the 1,024 file descriptors a service gets by default (systemd's soft `LimitNOFILE`), so held polls
    /// can never take the sockets the rest of the gateway needs; one open status page holds one poll.
    public static let defaultCapacity = 512
    /// What a refused poll is told to wait: the status page's own short-poll interval.
    public static let retryAfterSeconds = 5

    public let capacity: Int
    private let inFlight = Atomic<Int>(0)
    private let gauge: Meter
    private let refusals: Counter

    /// - Parameters:
    ///   - capacity: long polls held at once (at least 1).
    ///   - factory: where the gauge and the counter are made.
    public init(capacity: Int = defaultCapacity, metrics factory: any MetricsFactory) {
        self.capacity = max(1, capacity)
        self.gauge = Meter(label: "gatehouse_long_polls_in_flight", dimensions: [], factory: factory)
        self.refusals = Counter(label: "gatehouse_long_poll_refusals_total", dimensions: [], factory: factory)
        gauge.set(0)
    }

    /// Long polls held now.
    public var count: Int { inFlight.load(ordering: .relaxed) }

    /// Runs `body` in a slot, or throws ``LongPollLimitError`` at once when every slot is taken.
    public func withSlot<T>(_ body: () async throws -> T) async throws -> T {
        try acquire()
        defer { release() }
        return try await body()
    }

    private func acquire() throws(LongPollLimitError) {
        var current = inFlight.load(ordering: .relaxed)
        while true {
            guard current < capacity else {
                refusals.increment()
                throw LongPollLimitError(capacity: capacity, retryAfterSeconds: Self.retryAfterSeconds)
            }
            let (exchanged, original) = inFlight.compareExchange(expected: current, desired: current + 1, ordering: .relaxed)
            if exchanged { break }
            current = original
        }
        gauge.increment()
    }

    private func release() {
        inFlight.subtract(1, ordering: .relaxed)
        gauge.decrement()
    }
}

/// Every long-poll slot of this instance is taken; try again after `retryAfterSeconds` (or poll without waiting).
public struct LongPollLimitError: Error, Hashable, Sendable {
    public let capacity: Int
    public let retryAfterSeconds: Int

    public init(capacity: Int, retryAfterSeconds: Int) {
        self.capacity = capacity
        self.retryAfterSeconds = retryAfterSeconds
    }
}
