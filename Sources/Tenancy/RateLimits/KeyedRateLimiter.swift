// Copyright (c) the Gatehouse authors
import Synchronization

/// A monotonic clock in nanoseconds for rate limiting, injectable so tests can step time by hand.
public struct RateLimitClock: Sendable {
    private let read: @Sendable () -> Int64

    public init(nanoseconds: @escaping @Sendable () -> Int64) {
        self.read = nanoseconds
    }

    /// `ContinuousClock` (monotonic, not affected by wall-clock changes), as nanoseconds since the clock was made.
    public static var continuous: RateLimitClock {
        let origin = ContinuousClock.now
        return RateLimitClock {
            let elapsed = ContinuousClock.now - origin
            let (seconds, attoseconds) = elapsed.components
            return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
        }
    }

    public func now() -> Int64 { read() }
}

/// A dictionary split into independently locked stripes, so that work on one key never waits for work on a
/// key of another stripe: one owner's flood contends only with the few owners that hash to the same stripe,
/// and each critical section is a dictionary lookup and a few integer operations.
///
/// `Stripe` is a class holding a `Mutex` because `Mutex` is not copyable and cannot live in an array directly.
final class StripedMap<Key: Hashable & Sendable, Value: Sendable>: Sendable {
    struct State {
        var entries: [Key: Value] = [:]
        /// The size at which the next prune runs: doubled when a prune frees little, so a stripe full of live keys
        /// (a flood from many addresses) is not filtered on every request — pruning stays amortised O(1).
        var pruneAt: Int?
    }

    final class Stripe: Sendable {
        let state = Mutex(State())
    }

    private let stripes: [Stripe]

    init(stripes count: Int = 64) {
        self.stripes = (0..<max(1, count)).map { _ in Stripe() }
    }

    private func stripe(for key: Key) -> Stripe {
        var hasher = Hasher()
        hasher.combine(key)
        return stripes[Int(UInt(bitPattern: hasher.finalize()) % UInt(stripes.count))]
    }

    /// Runs `body` on the key's entry (`nil` when absent; set it to `nil` to remove) under its stripe's lock. When
    /// the stripe then holds more than `pruneAbove` entries, those for which `isRemovable` is true are dropped in
    /// the same critical section.
    func withValue<Result: Sendable>(
        _ key: Key, pruneAbove: Int = .max, isRemovable: (Value) -> Bool = { _ in false }, _ body: (inout Value?) -> Result
    ) -> Result {
        stripe(for: key).state.withLock { state in
            var value = state.entries[key]
            let result = body(&value)
            state.entries[key] = value
            if state.entries.count > (state.pruneAt ?? pruneAbove) {
                state.entries = state.entries.filter { !isRemovable($0.value) }
                state.pruneAt = max(pruneAbove, state.entries.count * 2)
            }
            return result
        }
    }

    /// The key's entry.
    func value(_ key: Key) -> Value? {
        stripe(for: key).state.withLock { $0.entries[key] }
    }

    /// Number of entries (all stripes; for tests and metrics).
    var count: Int { stripes.reduce(0) { $0 + $1.state.withLock { $0.entries.count } } }
}

/// GCRA buckets per key (an owner, a client IP), lock-striped.
///
/// Memory stays bounded by the number of keys *active within one burst window*: a key whose bucket is
/// full again is indistinguishable from a new one, so such entries are dropped whenever a stripe grows
/// past `pruneThreshold` — which is what keeps a per-IP limiter from growing with every address seen.
public final class KeyedRateLimiter<Key: Hashable & Sendable>: Sendable {
    private let buckets: StripedMap<Key, GCRA>
    private let clock: RateLimitClock
    private let pruneThreshold: Int

    public init(clock: RateLimitClock = .continuous, stripes: Int = 64, pruneThreshold: Int = 1024) {
        self.buckets = StripedMap(stripes: stripes)
        self.clock = clock
        self.pruneThreshold = max(1, pruneThreshold)
    }

    /// Checks (and, when admitted, counts) one request for `key` under `policy`.
    public func admit(_ key: Key, policy: RateLimitPolicy) -> RateLimitDecision {
        let now = clock.now()
        return buckets.withValue(key, pruneAbove: pruneThreshold, isRemovable: { $0.isIdle(at: now) }) { state -> RateLimitDecision in
            var gcra = state ?? GCRA()
            let decision = gcra.admit(at: now, policy: policy)
            state = gcra
            return decision
        }
    }

    /// Whether one more request for `key` would be admitted under `policy`, counting nothing (for limits that charge
    /// only some outcomes, such as failed authentications, but must refuse before doing the work).
    public func wouldAdmit(_ key: Key, policy: RateLimitPolicy) -> Bool {
        var probe = buckets.value(key) ?? GCRA()
        return probe.admit(at: clock.now(), policy: policy).allowed
    }

    /// Keys currently tracked (buckets not yet known to be full).
    public var trackedKeys: Int { buckets.count }
}
