// Copyright (c) the Gatehouse authors
public import Hummingbird
import Synchronization
public import Tenancy

/// Refused webhooks charged to the **webhook key** they were sent to, beside the address budget of
/// ``AuthFailureLimiter``: a forged flood spread over many addresses is cut off at the key, while payOS's own
/// deliveries always pass.
///
/// Once a key's refusals use up its bucket, a request for that key is answered 429 before anything is read — unless it
/// comes from an address that delivered a verified webhook for that key recently (payOS sends from a few addresses,
/// and every one of its deliveries verifies). A verified webhook never spends the key's budget. The remembered
/// senders are bounded (``maximumSenders`` per key, ``maximumKeys`` keys, oldest forgotten first), so the memory a
/// flood can make this hold is bounded too.
public final class WebhookKeyFailureGuard: Sendable {
    /// The default: 20 refusals at once, then one more per second, per key.
    public static let defaultPolicy = RateLimitPolicy(requestsPerSecond: 1, burst: 20)
    public static let maximumSenders = 16
    public static let maximumKeys = 10_000

    let buckets: KeyedRateLimiter<String>
    let policy: RateLimitPolicy
    let trustedProxies: TrustedProxies
    /// Holds refusals before they are answered (shared with the address budget: ``AuthFailureLimiter/hold``).
    let hold: RefusalHold
    /// Per key, the address buckets that delivered verified webhooks, most recent last.
    private let senders = Mutex<[String: [String]]>([:])

    public init(
        policy: RateLimitPolicy = defaultPolicy, trustedProxies: TrustedProxies, clock: RateLimitClock = .continuous, hold: RefusalHold = RefusalHold()
    ) {
        self.buckets = KeyedRateLimiter(clock: clock, pruneThreshold: 256)
        self.policy = policy
        self.trustedProxies = trustedProxies
        self.hold = hold
    }

    /// Refuses (429) a webhook for `key` when the key's refusals used up its budget and the sender is not one of the
    /// key's known senders; the refusal is answered after the ``hold``.
    public func admit(key: String, _ request: Request, context: GatehouseRequestContext) async throws {
        guard !buckets.wouldAdmit(key, policy: policy) else { return }
        let sender = address(request, context: context)
        guard !(senders.withLock { $0[key]?.contains(sender) ?? false }) else { return }
        let decision = buckets.admit(key, policy: policy)
        await hold.hold(retryAfterSeconds: decision.retryAfterSeconds)
        throw APIError.rateLimited(decision, advertised: policy, instances: 1)
    }

    /// Charges one refused webhook to `key`.
    public func recordRefusal(key: String) {
        _ = buckets.admit(key, policy: policy)
    }

    /// Remembers the request's address as a sender of verified webhooks for `key`.
    public func recordVerified(key: String, _ request: Request, context: GatehouseRequestContext) {
        let sender = address(request, context: context)
        senders.withLock { senders in
            var known = senders[key] ?? []
            if known.last == sender { return }
            known.removeAll { $0 == sender }
            known.append(sender)
            if known.count > Self.maximumSenders { known.removeFirst(known.count - Self.maximumSenders) }
            if senders[key] == nil, senders.count >= Self.maximumKeys, let victim = senders.keys.first { senders[victim] = nil }
            senders[key] = known
        }
    }

    private func address(_ request: Request, context: GatehouseRequestContext) -> String {
        ClientAddressMiddleware.clientAddress(request, context: context, trustedProxies: trustedProxies)?.rateLimitBucket ?? "unknown"
    }
}
