// Copyright (c) the Gatehouse authors
public import Hummingbird
public import CoreMetrics
import Logging
public import Tenancy

/// Limits failed authentications (owner API keys, admin tokens, and webhooks refused for their signature, their
/// webhook key or their body) per client address, so credentials cannot be guessed at the rate the network allows
/// and a forged-webhook flood is cut off before it costs the database anything.
///
/// Only failures are charged: a client that presents a wrong key spends one token of its address's bucket (IPv6 per
/// /64); once the bucket is empty, every request of that address that presents a credential is refused with 429
/// `RATE_LIMITED` *before* the credential is checked, until the bucket refills — a right key does not reopen it early,
/// which is what makes guessing pointless. Such a refusal is answered after a short hold (``RefusalHold``), so a
/// client posting as fast as it is answered gets about one answer per connection per second instead of thousands.
/// Requests without a credential (renters, payOS) are never charged or refused here. Counted in `gatehouse_auth_failures_total{kind}` and `gatehouse_auth_refusals_total{kind}`; the
/// alert `GatehouseAuthenticationFailures` fires on a sustained rate.
public struct AuthFailureLimiter: Sendable {
    /// Which credential failed: the metrics' `kind` label.
    public enum Kind: String, Sendable, Hashable, CaseIterable {
        case owner
        case admin
        /// A payOS webhook refused: bad or missing signature, unknown webhook key, not a webhook. payOS's own
        /// deliveries verify, so its addresses are not charged; the budget is shared with the other kinds.
        case webhook
    }

    /// The default: 10 failures at once, then one more every 6 s (10 a minute) per address.
    public static let defaultPolicy = RateLimitPolicy(requestsPerSecond: 1.0 / 6.0, burst: 10)

    let buckets: KeyedRateLimiter<String>
    let policy: RateLimitPolicy
    let trustedProxies: TrustedProxies
    /// Holds this limiter's refusals, and the webhook key guard's (``WebhookKeyFailureGuard``), before they are answered.
    public let hold: RefusalHold
    private let failures: [Kind: Counter]
    private let refusals: [Kind: Counter]

    public init(
        policy: RateLimitPolicy = defaultPolicy, trustedProxies: TrustedProxies, metrics factory: any MetricsFactory,
        clock: RateLimitClock = .continuous, hold: RefusalHold = RefusalHold()
    ) {
        self.buckets = KeyedRateLimiter(clock: clock, pruneThreshold: 256)
        self.policy = policy
        self.trustedProxies = trustedProxies
        self.hold = hold
        func counters(_ label: String) -> [Kind: Counter] {
            Dictionary(uniqueKeysWithValues: Kind.allCases.map { ($0, Counter(label: label, dimensions: [("kind", $0.rawValue)], factory: factory)) })
        }
        self.failures = counters("gatehouse_auth_failures_total")
        self.refusals = counters("gatehouse_auth_refusals_total")
    }

    /// Refuses (429, after the ``hold``) a request presenting a credential from an address whose failures used up its
    /// bucket.
    public func admit(_ request: Request, context: GatehouseRequestContext, kind: Kind) async throws {
        let key = bucket(request, context: context)
        guard !buckets.wouldAdmit(key, policy: policy) else { return }
        refusals[kind]?.increment()
        // The decision that refuses carries the Retry-After the client should honour.
        let decision = buckets.admit(key, policy: policy)
        await hold.hold(retryAfterSeconds: decision.retryAfterSeconds)
        throw APIError.rateLimited(decision, advertised: policy, instances: 1)
    }

    /// Charges one failed authentication to the request's address.
    public func recordFailure(_ request: Request, context: GatehouseRequestContext, kind: Kind) {
        failures[kind]?.increment()
        _ = buckets.admit(bucket(request, context: context), policy: policy)
        context.logger.notice("authentication failed", metadata: ["auth.kind": "\(kind.rawValue)"])
    }

    private func bucket(_ request: Request, context: GatehouseRequestContext) -> String {
        ClientAddressMiddleware.clientAddress(request, context: context, trustedProxies: trustedProxies)?.rateLimitBucket ?? "unknown"
    }
}
