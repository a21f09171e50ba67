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
    let follower: ChangeFollower<PaymentSnapshot>
    let clock: WallClock
    let overlapMillis: Int64

    public init(
        repository: PaymentRepository, view: PaymentStatusView, clock: WallClock = .system, interval: Duration = .seconds(1),
        overlapMillis: Int64 = 5_000, batchLimit: Int = 5_000, logger: Logger
    ) {
        self.follower = ChangeFollower(
            read: { try await repository.snapshots(changedSince: $0, limit: $1, logger: logger) }, updatedAt: \.updatedAt,
            apply: { view.refresh(with: $0) }, clock: clock, interval: interval, overlapMillis: overlapMillis, batchLimit: batchLimit,
            failureMessage: "payment change feed poll failed", logger: logger)
        self.clock = clock
        self.overlapMillis = overlapMillis
    }

    public func run() async throws {
        // Changes committed before this instance started are read when a payment is first polled.
        await follower.run(since: clock.now() - overlapMillis)
    }
}
