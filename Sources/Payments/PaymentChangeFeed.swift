// Copyright (c) the Gatehouse authors
public import Logging
import Storage
public import ServiceLifecycle
public import GatehouseCore

/// Keeps a ``PaymentStatusView`` current with changes committed by other instances: once per `interval`
/// it reads the payments whose `updated_at` moved since its previous look (minus an `overlap` that
/// absorbs clock skew between instances and transactions that committed late).
///
/// Cost: one indexed range query per instance per interval, independent of how many pages poll.
/// Bound: a change made anywhere is visible here within `interval` plus the query time.
public struct PaymentChangeFeed: Service {
    let repository: PaymentRepository
    let view: PaymentStatusView
    let clock: WallClock
    let interval: Duration
    let overlapMillis: Int64
    let batchLimit: Int
    let logger: Logger

    public init(
        repository: PaymentRepository, view: PaymentStatusView, clock: WallClock = .system, interval: Duration = .seconds(1),
        overlapMillis: Int64 = 5_000, batchLimit: Int = 5_000, logger: Logger
    ) {
        self.repository = repository
        self.view = view
        self.clock = clock
        self.interval = interval
        self.overlapMillis = overlapMillis
        self.batchLimit = batchLimit
        self.logger = logger
    }

    public func run() async throws {
        var since = clock.now() - overlapMillis
        await PeriodicTask(interval: interval, failureMessage: "payment change feed poll failed", logger: logger).run {
            since = try await poll(since: since, startedAt: clock.now())
        }
    }

    /// One look at the database; returns where the next look starts.
    func poll(since: Int64, startedAt: Int64) async throws -> Int64 {
        var cursor = since
        while true {
            let rows = try await repository.snapshots(changedSince: cursor, limit: batchLimit, logger: logger)
            view.refresh(with: rows)
            guard rows.count == batchLimit, let last = rows.last?.updatedAt, last > cursor else { break }
            cursor = last
        }
        return startedAt - overlapMillis
    }
}
