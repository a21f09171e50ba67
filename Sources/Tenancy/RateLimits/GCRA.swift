// Copyright (c) the Gatehouse authors

/// A rate limit: up to `burst` requests at once, refilled at `requestsPerSecond`.
///
/// `requestsPerSecond` is a `Double` because an instance enforces a *share* of an owner's limit
/// (limit / live instances), which is rarely a whole number.
public struct RateLimitPolicy: Sendable, Hashable, CustomStringConvertible {
    public let requestsPerSecond: Double
    public let burst: Int

    /// - Precondition: `requestsPerSecond > 0`, `burst >= 1` (values outside are clamped: a limit is never "zero").
    public init(requestsPerSecond: Double, burst: Int) {
        self.requestsPerSecond = requestsPerSecond.isFinite && requestsPerSecond > 0 ? requestsPerSecond : 1e-9
        self.burst = max(1, burst)
    }

    /// The time between two admissions at the steady rate (GCRA's emission interval T), in nanoseconds.
    public var emissionIntervalNanos: Int64 {
        let nanos = (1e9 / requestsPerSecond).rounded(.up)
        return nanos >= Double(Int64.max / 4) ? Int64.max / 4 : max(1, Int64(nanos))
    }

    /// The time an idle-to-empty burst takes to refill: the draft's window `w`, whole seconds (at least 1).
    public var windowSeconds: Int {
        let seconds = (Double(burst) / requestsPerSecond).rounded(.up)
        return seconds >= Double(Int32.max) ? Int(Int32.max) : max(1, Int(seconds))
    }

    /// This policy's share on one of `instances` instances: the rate divided, the burst divided rounding up
    /// (so each instance still admits at least one request at once).
    public func share(of instances: Int) -> RateLimitPolicy {
        let count = max(1, instances)
        guard count > 1 else { return self }
        return RateLimitPolicy(requestsPerSecond: requestsPerSecond / Double(count), burst: (burst + count - 1) / count)
    }

    public var description: String { "\(requestsPerSecond)/s burst \(burst)" }
}

/// The answer to one admission check.
public struct RateLimitDecision: Sendable, Hashable {
    /// Whether the request may proceed (it has been counted when `true`).
    public let allowed: Bool
    /// The policy that was applied.
    public let policy: RateLimitPolicy
    /// Requests that could still be admitted right now after this one.
    public let remaining: Int
    /// When refused: nanoseconds until a request would be admitted (0 when allowed).
    public let retryAfterNanos: Int64
    /// Nanoseconds until the bucket is full again (the whole burst available).
    public let resetAfterNanos: Int64

    /// `Retry-After` in whole seconds, rounded up, at least 1 (a client retrying sooner would be refused again).
    public var retryAfterSeconds: Int { max(1, Self.seconds(roundingUp: retryAfterNanos)) }

    /// Seconds until the bucket is full again, rounded up.
    public var resetSeconds: Int { Self.seconds(roundingUp: resetAfterNanos) }

    static func seconds(roundingUp nanos: Int64) -> Int {
        guard nanos > 0 else { return 0 }
        return Int((nanos + 999_999_999) / 1_000_000_000)
    }
}

/// The Generic Cell Rate Algorithm for one key: a single number, the *theoretical arrival time* (TAT).
///
/// With emission interval `T = 1/rate` and burst `b`, a request arriving at `now` is admitted when
/// `max(TAT, now) + T − now ≤ b·T`, and then `TAT = max(TAT, now) + T`. This is a token bucket of
/// capacity `b` refilled at `rate`, stored as one timestamp instead of a count and a refill time, with
/// no timer and no floating point at admission time. A key whose TAT is in the past is exactly a full
/// bucket, so such entries can be forgotten at any time.
public struct GCRA: Sendable, Hashable {
    /// The theoretical arrival time in the limiter's clock (nanoseconds); `nil` means a full bucket.
    public var theoreticalArrival: Int64?

    public init(theoreticalArrival: Int64? = nil) {
        self.theoreticalArrival = theoreticalArrival
    }

    /// Checks one request at `now` (nanoseconds on a monotonic clock) and counts it when admitted.
    public mutating func admit(at now: Int64, policy: RateLimitPolicy) -> RateLimitDecision {
        let interval = policy.emissionIntervalNanos
        let capacity = interval.multipliedReportingOverflow(by: Int64(policy.burst))
        let tolerance = capacity.overflow ? Int64.max / 2 : capacity.partialValue
        // A limit that was just raised takes effect at once: a TAT further ahead than the new capacity is clamped.
        let tat = min(max(theoreticalArrival ?? now, now), now + tolerance)
        let next = tat + interval
        if next - now <= tolerance {
            theoreticalArrival = next
            return RateLimitDecision(
                allowed: true, policy: policy, remaining: Int((tolerance - (next - now)) / interval), retryAfterNanos: 0,
                resetAfterNanos: next - now)
        }
        theoreticalArrival = tat
        return RateLimitDecision(
            allowed: false, policy: policy, remaining: 0, retryAfterNanos: next - tolerance - now, resetAfterNanos: tat - now)
    }

    /// Whether this key's bucket is full at `now` (its state can be dropped without changing any answer).
    public func isIdle(at now: Int64) -> Bool {
        guard let theoreticalArrival else { return true }
        return theoreticalArrival <= now
    }
}
