// Copyright (c) the Gatehouse authors
public import Logging

/// Follows the rows of a table whose `updated_at` (Unix ms) moved, written once for every instance-local view kept
/// current with changes other instances commit (payment statuses, rate limits).
///
/// Each round reads the rows changed at or after a cursor, in batches of `batchLimit` ordered by `updated_at`, hands
/// each batch to `apply`, and starts the next round `overlapMillis` before the time this one started: that overlap
/// absorbs clock skew between instances and transactions that committed late, so `apply` must tolerate a row it has
/// already seen. Cost: one indexed range query per round while nothing changes.
public struct ChangeFollower<Row: Sendable>: Sendable {
    /// Reads at most `limit` rows changed at or after `since`, oldest change first.
    public typealias Read = @Sendable (_ since: Int64, _ limit: Int) async throws -> [Row]

    let read: Read
    let updatedAt: @Sendable (Row) -> Int64
    let apply: @Sendable ([Row]) -> Void
    let clock: WallClock
    let interval: Duration
    let overlapMillis: Int64
    let batchLimit: Int
    let failureMessage: Logger.Message
    let logger: Logger

    public init(
        read: @escaping Read, updatedAt: @escaping @Sendable (Row) -> Int64, apply: @escaping @Sendable ([Row]) -> Void,
        clock: WallClock, interval: Duration, overlapMillis: Int64, batchLimit: Int = 5_000, failureMessage: Logger.Message,
        logger: Logger
    ) {
        self.read = read
        self.updatedAt = updatedAt
        self.apply = apply
        self.clock = clock
        self.interval = interval
        self.overlapMillis = overlapMillis
        self.batchLimit = max(1, batchLimit)
        self.failureMessage = failureMessage
        self.logger = logger
    }

    /// Rounds from `since` on, one per `interval`, until graceful shutdown (see ``PeriodicTask``).
    public func run(since start: Int64) async {
        var since = start
        await PeriodicTask(interval: interval, failureMessage: failureMessage, logger: logger).run {
            since = try await round(since: since)
        }
    }

    /// One round: applies every row changed at or after `since`; returns where the next round starts.
    @discardableResult
    public func round(since: Int64) async throws -> Int64 {
        let started = clock.now()
        var cursor = since
        while true {
            let rows = try await read(cursor, batchLimit)
            apply(rows)
            guard rows.count == batchLimit, let last = rows.last.map(updatedAt), last > cursor else { break }
            cursor = last
        }
        return started - overlapMillis
    }
}
