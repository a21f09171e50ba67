// Copyright (c) the Gatehouse authors
import Synchronization
public import GatehouseCore

/// The limits one owner runs under, as an admin or the configuration set them (whole-fleet values).
public struct EffectiveRateLimit: Sendable, Hashable {
    public let requests: RateLimitPolicy
    public let payOS: RateLimitPolicy
    /// `true` when the owner has no stored limits (the configured defaults apply).
    public let isDefault: Bool
    /// `true` when the payOS cap is the configured default (no row, or a row without payOS values).
    public let payOSIsDefault: Bool
    /// Unix ms of the stored row's last change (`nil` for defaults).
    public let updatedAt: Int64?
}

/// Every rate limit Gatehouse enforces, in one place: per owner (its API traffic), per payment (its renter's traffic,
/// so renters never spend the owner's budget nor each other's), per owner on calls to payOS, and per client IP for
/// traffic that cannot be attributed to an owner or a payment.
///
/// ## Several instances
/// The limits are fleet-wide, but each instance counts only what it admits itself (no network round trip per
/// request). So each instance enforces its *share*: rate / N and burst / N (rounded up), where N is the number
/// of live instances in the ``InstanceRegistry`` (set through ``setLiveInstances(_:)``).
///
/// Tolerance, with N live instances that agree on N (r = rate, b = burst), over any interval of length W:
/// - **Never above** `r·W + b + (N − 1)`: the shares' rates add up to r and their bursts to at most b + N − 1
///   (each burst rounded up). Membership changes do not add to this: a starting instance waits until every other
///   live instance has counted it before it serves (``InstanceRegistry/announce()``), an instance that stops
///   gracefully removes its row (the others raise their share at their next count), and one that dies is still
///   counted until it goes stale, which only makes the others stricter. This assumes instance clocks agree to
///   well within the stale window (NTP), since staleness compares heartbeat times.
/// - **Below the limit when traffic is skewed**: an instance never borrows unused share from another, so if the
///   proxy sends 90 % of an owner's traffic to one of two instances, that owner gets about r/2 + (what the other
///   instance sees) instead of r. Round-robin or least-connections balancing keeps the spread even; sticky routing
///   by owner would make one instance see everything and should use N = 1 (one instance per owner shard).
///   This trade — a cheap local decision that can under-admit, rather than a shared counter that costs a round
///   trip per request — is deliberate: refusing a little early is safe, a database write per poll is not.
/// - **Lag**: a changed limit is enforced by the instance that stored it at once and by the others at their next
///   reload (``RateLimitReloader``, 1 s). An instance whose heartbeats fail (database unreachable) is counted dead
///   by the others after the stale window while it may still admit its old share; it logs every failed heartbeat.
///
/// Thread safety: buckets and per-owner limits live in lock-striped maps; the instance count is an atomic.
public final class TenantRateLimiter: Sendable {
    /// The configured defaults.
    public struct Defaults: Sendable, Hashable {
        public var requests: RateLimitPolicy
        public var payOS: RateLimitPolicy
        public var perIP: RateLimitPolicy
        /// One payment's renter requests (with its valid renter token).
        public var perPayment: RateLimitPolicy

        /// - Parameter perPayment: default 2/s, burst 30: a status page tab polls about 0.27/s (every 5 s, plus a
        ///   notification check every 15 s), so several tabs and reloads run freely.
        public init(
            requests: RateLimitPolicy, payOS: RateLimitPolicy, perIP: RateLimitPolicy,
            perPayment: RateLimitPolicy = RateLimitPolicy(requestsPerSecond: 2, burst: 30)
        ) {
            self.requests = requests
            self.payOS = payOS
            self.perIP = perIP
            self.perPayment = perPayment
        }
    }

    public let defaults: Defaults
    private let overrides = StripedMap<OwnerID, OwnerRateLimit>()
    private let requestBuckets: KeyedRateLimiter<OwnerID>
    private let payOSBuckets: KeyedRateLimiter<OwnerID>
    private let ipBuckets: KeyedRateLimiter<String>
    private let paymentBuckets: KeyedRateLimiter<PaymentID>
    private let liveInstances = Atomic<Int>(1)

    public init(defaults: Defaults, clock: RateLimitClock = .continuous) {
        self.defaults = defaults
        self.requestBuckets = KeyedRateLimiter(clock: clock)
        self.payOSBuckets = KeyedRateLimiter(clock: clock)
        self.ipBuckets = KeyedRateLimiter(clock: clock, pruneThreshold: 256)
        self.paymentBuckets = KeyedRateLimiter(clock: clock, pruneThreshold: 256)
    }

    // MARK: Limits

    /// The owner's fleet-wide limits.
    public func effectiveLimit(owner: OwnerID) -> EffectiveRateLimit {
        guard let stored = overrides.value(owner) else {
            return EffectiveRateLimit(
                requests: defaults.requests, payOS: defaults.payOS, isDefault: true, payOSIsDefault: true, updatedAt: nil)
        }
        let payOS: RateLimitPolicy =
            if let rate = stored.payOSRequestsPerSecond {
                RateLimitPolicy(requestsPerSecond: Double(rate), burst: stored.payOSBurst ?? rate)
            } else {
                defaults.payOS
            }
        return EffectiveRateLimit(
            requests: RateLimitPolicy(requestsPerSecond: Double(stored.requestsPerSecond), burst: stored.burst), payOS: payOS,
            isDefault: false, payOSIsDefault: stored.payOSRequestsPerSecond == nil, updatedAt: stored.updatedAt)
    }

    /// Applies stored limits (from the database or an admin's change on this instance); an older row never
    /// replaces a newer one.
    public func apply(_ limits: [OwnerRateLimit]) {
        for limit in limits {
            overrides.withValue(limit.ownerID) { current in
                if let current, current.updatedAt > limit.updatedAt { return }
                current = limit
            }
        }
    }

    /// The number of live instances sharing each limit (at least 1).
    public var instances: Int { liveInstances.load(ordering: .relaxed) }

    /// Sets the number of live instances (from the ``InstanceRegistry``).
    public func setLiveInstances(_ count: Int) {
        liveInstances.store(max(1, count), ordering: .relaxed)
    }

    // MARK: Admission

    /// One request of the owner's API traffic: checked against this instance's share of its limit.
    public func admitRequest(owner: OwnerID) -> RateLimitDecision {
        requestBuckets.admit(owner, policy: effectiveLimit(owner: owner).requests.share(of: instances))
    }

    /// One call to payOS for the owner. Call it right before the call leaves.
    /// - Throws: ``RateLimitError/Code/payOSCallsLimited`` when the owner's payOS cap is exhausted (nothing was sent).
    public func admitPayOSCall(owner: OwnerID) throws(RateLimitError) {
        let decision = payOSBuckets.admit(owner, policy: effectiveLimit(owner: owner).payOS.share(of: instances))
        guard decision.allowed else { throw RateLimitError(.payOSCallsLimited, decision: decision) }
    }

    /// One request of a payment's renter (it carried the payment's valid renter token), in the payment's own bucket.
    public func admitRenter(payment: PaymentID) -> RateLimitDecision {
        paymentBuckets.admit(payment, policy: defaults.perPayment.share(of: instances))
    }

    /// One request that belongs to no known owner (no valid renter token, payOS's browser redirects…), by client IP.
    public func admitAnonymous(clientIP: String) -> RateLimitDecision {
        ipBuckets.admit(clientIP, policy: defaults.perIP.share(of: instances))
    }
}
