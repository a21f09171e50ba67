// Copyright (c) the Gatehouse authors
public import Logging
public import Storage
public import GatehouseCore

/// Per-owner, per-Vietnam-day payment figures (`payment_owner_day`, v8), kept exact in the same transaction as the
/// payment insert and the status change, so consoles read days instead of aggregating the payment table.
///
/// A payment counts on the day it was **created** (the seed's rate is over payments created, as ``PaymentMetrics``):
/// `created` when inserted; `succeeded`, `volume_vnd` (the VND received, `amount_paid`) and how it was settled
/// (`by_webhook`, `by_reconciliation`) when it turns `success` — a transition that happens at most once, since only a
/// pending payment can change status. `last_created_at` is the newest payment of the day.
///
/// Lock order: every writer takes the payment row, then this row (never the other way round), so no deadlock.
public enum PaymentRollup {
    /// The Vietnam day (UTC+7) index of a Unix ms instant, as ``MetricsBucket/day``.
    public static func day(of millis: Int64) -> Int64 { MetricsBucket.day.index(of: millis) }

    /// A payment was inserted (created at `createdAt`).
    static func recordCreated(owner: OwnerID, createdAt: Int64, on connection: any SQLConnection) async throws {
        let day = day(of: createdAt)
        switch connection.dialect {
        case .sqlite:
            try await connection.execute(
                """
                INSERT INTO payment_owner_day (owner_id, day, created, succeeded, volume_vnd, by_webhook, by_reconciliation, last_created_at)
                VALUES (\(owner), \(day), 1, 0, 0, 0, 0, \(createdAt))
                ON CONFLICT (owner_id, day) DO UPDATE SET created = created + 1, last_created_at = MAX(last_created_at, excluded.last_created_at)
                """)
        case .mariadb:
            try await connection.execute(
                """
                INSERT INTO payment_owner_day (owner_id, day, created, succeeded, volume_vnd, by_webhook, by_reconciliation, last_created_at)
                VALUES (\(owner), \(day), 1, 0, 0, 0, 0, \(createdAt))
                ON DUPLICATE KEY UPDATE created = created + 1, last_created_at = GREATEST(last_created_at, VALUES(last_created_at))
                """)
        }
    }

    /// A payment created at `createdAt` turned `success` with `amountPaid` received, settled by `source`. The day's row
    /// exists (its insert wrote it, in an earlier transaction or a backfill).
    static func recordSucceeded(
        owner: OwnerID, createdAt: Int64, amountPaid: Int64, source: SettlementSource, on connection: any SQLConnection
    ) async throws {
        let webhook = source == .webhook ? 1 : 0, reconciliation = source == .reconciliation ? 1 : 0
        try await connection.execute(
            """
            UPDATE payment_owner_day SET succeeded = succeeded + 1, volume_vnd = volume_vnd + \(amountPaid),
                by_webhook = by_webhook + \(webhook), by_reconciliation = by_reconciliation + \(reconciliation)
            WHERE owner_id = \(owner) AND day = \(day(of: createdAt))
            """)
    }

    /// The statements that rebuild the whole table from `payment` (the v8 backfill; also a one-off repair:
    /// `gatehouse-bench admin-seed` runs it after bulk-loading payments). Run them in one transaction, or with writers stopped.
    public static func rebuildStatements(_ dialect: SQLDialect) -> [SQLQuery] {
        let division = dialect == .mariadb ? "DIV" : "/"
        return [
            "DELETE FROM payment_owner_day",
            SQLQuery(
                unsafeSQL: """
                    INSERT INTO payment_owner_day (owner_id, day, created, succeeded, volume_vnd, by_webhook, by_reconciliation, last_created_at)
                    SELECT owner_id, (created_at + \(MetricsBucket.zoneOffsetMillis)) \(division) \(MetricsBucket.day.millis) AS d, COUNT(*),
                        SUM(CASE WHEN status = 'success' THEN 1 ELSE 0 END),
                        SUM(CASE WHEN status = 'success' THEN amount_paid ELSE 0 END),
                        SUM(CASE WHEN status = 'success' AND settled_by = 'webhook' THEN 1 ELSE 0 END),
                        SUM(CASE WHEN status = 'success' AND settled_by = 'reconciliation' THEN 1 ELSE 0 END),
                        MAX(created_at)
                    FROM payment GROUP BY owner_id, d
                    """),
        ]
    }

    /// Rebuilds the table from `payment` in one transaction.
    public static func rebuild(database: any SQLDatabase, logger: Logger) async throws {
        try await database.withTransaction(logger: logger) { connection in
            for statement in rebuildStatements(connection.dialect) { try await connection.execute(statement) }
        }
    }

    /// One owner-day row.
    public struct Day: Sendable, Hashable {
        public var ownerID: OwnerID
        public var day: Int64
        public var created: Int64
        public var succeeded: Int64
        public var volumeVND: Int64
        public var byWebhook: Int64
        public var byReconciliation: Int64
        public var lastCreatedAt: Int64
    }

    /// Rows of days `fromDay...toDay` (all owners when `owner` is nil), by owner then day.
    public static func days(owner: OwnerID?, fromDay: Int64, toDay: Int64, database: any SQLDatabase, logger: Logger) async throws -> [Day] {
        let filter: SQLQuery = owner.map { " AND owner_id = \($0)" } ?? ""
        let query: SQLQuery =
            """
            SELECT owner_id, day, created, succeeded, volume_vnd, by_webhook, by_reconciliation, last_created_at FROM payment_owner_day
            WHERE day >= \(fromDay) AND day <= \(toDay)
            """ + filter + " ORDER BY owner_id, day"
        return try await database.query(query, logger: logger).map { row in
            Day(
                ownerID: try row.decode("owner_id"), day: try row.decode("day"), created: try row.decode("created"),
                succeeded: try row.decode("succeeded"), volumeVND: try row.decode("volume_vnd"), byWebhook: try row.decode("by_webhook"),
                byReconciliation: try row.decode("by_reconciliation"), lastCreatedAt: try row.decode("last_created_at"))
        }
    }
}
