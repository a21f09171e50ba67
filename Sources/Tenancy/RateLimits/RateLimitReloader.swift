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
    let repository: RateLimitRepository
    let limiter: TenantRateLimiter
    let clock: WallClock
    let interval: Duration
    let overlapMillis: Int64
    let logger: Logger

    public init(
        repository: RateLimitRepository, limiter: TenantRateLimiter, clock: WallClock = .system, interval: Duration = .seconds(1),
        overlapMillis: Int64 = 5_000, logger: Logger
    ) {
        self.repository = repository
        self.limiter = limiter
        self.clock = clock
        self.interval = interval
        self.overlapMillis = overlapMillis
        self.logger = logger
    }

    public func run() async throws {
        var since: Int64 = 0
        await PeriodicTask(interval: interval, failureMessage: "rate limit reload failed", logger: logger).run {
            let started = clock.now()
            try await load(since: since)
            since = started - overlapMillis
        }
    }

    /// Reads every stored limit (start-up).
    public func loadAll() async throws { try await load(since: 0) }

    /// Applies the rows changed at or after `since`.
    func load(since: Int64) async throws {
        var cursor = since
        let batch = 5_000
        while true {
            let rows = try await repository.changed(since: cursor, limit: batch, logger: logger)
            limiter.apply(rows)
            guard rows.count == batch, let last = rows.last?.updatedAt, last > cursor else { break }
            cursor = last
        }
    }
}
