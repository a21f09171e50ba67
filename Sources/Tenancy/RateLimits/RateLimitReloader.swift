// Copyright (c) the Gatehouse authors
public import Logging
import Storage
public import ServiceLifecycle
public import GatehouseCore

/// Keeps a ``TenantRateLimiter`` current with the limits stored in `owner_rate_limit`, so a change made
/// through any instance takes effect on every instance without a restart: once per `interval` it reads
/// the rows whose `updated_at` moved since its previous look (minus `overlapMillis`, absorbing clock skew
/// between instances and transactions that committed late — re-applying a row is harmless).
///
/// Bound: a change is enforced everywhere within `interval` plus the query time. Cost: one indexed range query
/// per instance per interval. The first look reads every stored row, before the server accepts requests when
/// ``loadAll()`` is called from `beforeServerStarts`.
public struct RateLimitReloader: Service {
    let follower: ChangeFollower<OwnerRateLimit>

    public init(
        repository: RateLimitRepository, limiter: TenantRateLimiter, clock: WallClock = .system, interval: Duration = .seconds(1),
        overlapMillis: Int64 = 5_000, logger: Logger
    ) {
        self.follower = ChangeFollower(
            read: { try await repository.changed(since: $0, limit: $1, logger: logger) }, updatedAt: \.updatedAt,
            apply: { limiter.apply($0) }, clock: clock, interval: interval, overlapMillis: overlapMillis,
            failureMessage: "rate limit reload failed", logger: logger)
    }

    public func run() async throws { await follower.run(since: 0) }

    /// Reads every stored limit (start-up).
    public func loadAll() async throws { try await follower.round(since: 0) }
}
