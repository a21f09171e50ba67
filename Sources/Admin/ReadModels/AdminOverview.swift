// Copyright (c) the Gatehouse authors
public import GatehouseCore
public import Logging
public import Storage
import Tenancy

/// What the admin overview shows: platform figures from ``AdminStatsRefresher``'s buckets, the owners at both ends
/// from `owner_window_stats`, and what needs attention counted live on narrow indexes (refunds due, underpaid and
/// stuck pending payments, dead e-mails), so the page never aggregates the payment table.
public struct AdminOverview: Sendable {
    /// The window of the owner rankings, in Vietnam days.
    public static let rankingWindow = 7
    /// An owner needs this many payments in the window to be ranked by lowest success rate (one failure is not a trend).
    public static let minimumPaymentsForLowest: Int64 = 20
    /// Owners in each ranking.
    public static let rankingSize = 5

    public struct RankedOwner: Sendable, Hashable {
        public var id: OwnerID
        public var name: String
        public var created: Int64
        public var succeeded: Int64
        public var volumeVND: Int64
        public var successRateBasisPoints: Int64?
    }

    /// A payment that needs someone to look at it.
    public struct AttentionPayment: Sendable, Hashable {
        public var id: Int64
        public var ownerID: OwnerID
        public var amount: Int64
        public var amountPaid: Int64
        public var createdAt: Int64
        public var expiresAt: Int64
    }

    public var hours: [PlatformBucket]
    public var days: [PlatformBucket]
    /// When the buckets were computed (Unix ms); `nil` before the first round.
    public var refreshedAt: Int64?
    public var lowestSuccess: [RankedOwner]
    public var highestVolume: [RankedOwner]
    public var refundsDue: Int64
    public var refundsDueVND: Int64
    /// Pending payments that received part of their amount.
    public var underpaid: [AttentionPayment]
    public var underpaidCount: Int64
    /// Pending payments past their link's expiry (reconciliation has not settled them).
    public var stuckPending: [AttentionPayment]
    public var stuckPendingCount: Int64
    public var deadEmails: Int64

    /// Sums buckets (the last `count` of them).
    public static func total(_ buckets: [PlatformBucket], last count: Int? = nil) -> PlatformBucket {
        var total = PlatformBucket(start: 0)
        for bucket in count.map({ Array(buckets.suffix($0)) }) ?? buckets {
            total.created += bucket.created
            total.succeeded += bucket.succeeded
            total.volumeVND += bucket.volumeVND
            total.byWebhook += bucket.byWebhook
            total.byReconciliation += bucket.byReconciliation
            total.webhooks += bucket.webhooks
            total.webhookLagMillis += bucket.webhookLagMillis
            total.webhookLagMaxMillis = max(total.webhookLagMaxMillis, bucket.webhookLagMaxMillis)
            total.invalidSignatures += bucket.invalidSignatures
        }
        return total
    }

    /// Reads the overview.
    public static func load(database: any SQLDatabase, now: Int64, logger: Logger) async throws -> AdminOverview {
        var hours: [PlatformBucket] = [], days: [PlatformBucket] = []
        var refreshedAt: Int64?
        for row in try await database.query(
            """
            SELECT bucket, bucket_start, created, succeeded, volume_vnd, by_webhook, by_reconciliation, webhooks, webhook_lag_ms,
                webhook_lag_max_ms, invalid_signatures, refreshed_at
            FROM platform_bucket_stats ORDER BY bucket, bucket_start
            """, logger: logger)
        {
            var bucket = PlatformBucket(start: try row.decode("bucket_start"))
            bucket.created = try row.decode("created")
            bucket.succeeded = try row.decode("succeeded")
            bucket.volumeVND = try row.decode("volume_vnd")
            bucket.byWebhook = try row.decode("by_webhook")
            bucket.byReconciliation = try row.decode("by_reconciliation")
            bucket.webhooks = try row.decode("webhooks")
            bucket.webhookLagMillis = try row.decode("webhook_lag_ms")
            bucket.webhookLagMaxMillis = try row.decode("webhook_lag_max_ms")
            bucket.invalidSignatures = try row.decode("invalid_signatures")
            refreshedAt = try row.decode("refreshed_at")
            if try row.decode("bucket", as: String.self) == "hour" { hours.append(bucket) } else { days.append(bucket) }
        }
        let window = rankingWindow
        func ranked(_ query: SQLQuery) async throws -> [RankedOwner] {
            try await database.query(query, logger: logger).map { row in
                let rate: Int64 = try row.decode("rate_key")
                return RankedOwner(
                    id: try row.decode("owner_id"), name: try row.decode("name"), created: try row.decode("created"),
                    succeeded: try row.decode("succeeded"), volumeVND: try row.decode("volume_vnd"), successRateBasisPoints: rate < 0 ? nil : rate)
            }
        }
        let lowest = try await ranked(
            """
            SELECT s.owner_id, o.name, s.created, s.succeeded, s.volume_vnd, s.rate_key FROM owner_window_stats s JOIN owner o ON o.id = s.owner_id
            WHERE s.window_days = \(window) AND s.rate_key >= 0 AND s.created >= \(minimumPaymentsForLowest)
            ORDER BY s.rate_key ASC, s.owner_id ASC LIMIT \(rankingSize)
            """)
        let highest = try await ranked(
            """
            SELECT s.owner_id, o.name, s.created, s.succeeded, s.volume_vnd, s.rate_key FROM owner_window_stats s JOIN owner o ON o.id = s.owner_id
            WHERE s.window_days = \(window) AND s.volume_vnd > 0
            ORDER BY s.volume_vnd DESC, s.owner_id DESC LIMIT \(rankingSize)
            """)
        // Flagged refunds: idx_payment_refund_flagged holds only flagged rows.
        let refunds = try await database.query(
            """
            SELECT COUNT(*) AS n, COALESCE(SUM(amount_paid), 0) AS vnd FROM payment
            WHERE refund_flagged_at IS NOT NULL AND refund_resolved_at IS NULL
            """, logger: logger).first
        // Pending payments: idx_payment_status_created; pending ones are few (links live 15 minutes).
        func pending(_ condition: SQLQuery) async throws -> (count: Int64, rows: [AttentionPayment]) {
            let count = try await database.query(
                "SELECT COUNT(*) AS n FROM payment WHERE status = 'pending' AND " + condition, logger: logger
            ).first?.decode("n", as: Int64.self) ?? 0
            let rows = try await database.query(
                "SELECT id, owner_id, amount, amount_paid, created_at, expires_at FROM payment WHERE status = 'pending' AND " + condition
                    + " ORDER BY created_at ASC, id ASC LIMIT 10", logger: logger
            ).map { row in
                AttentionPayment(
                    id: try row.decode("id"), ownerID: try row.decode("owner_id"), amount: try row.decode("amount"),
                    amountPaid: try row.decode("amount_paid"), createdAt: try row.decode("created_at"), expiresAt: try row.decode("expires_at"))
            }
            return (count, rows)
        }
        let underpaid = try await pending("underpaid = 1")
        let stuck = try await pending("expires_at < \(now)")
        let dead = try await database.query("SELECT COUNT(*) AS n FROM outbox WHERE status = 'dead'", logger: logger).first?
            .decode("n", as: Int64.self) ?? 0
        return AdminOverview(
            hours: hours, days: days, refreshedAt: refreshedAt, lowestSuccess: lowest, highestVolume: highest,
            refundsDue: try refunds?.decode("n") ?? 0, refundsDueVND: try refunds?.decodeIfPresent("vnd") ?? 0,
            underpaid: underpaid.rows, underpaidCount: underpaid.count, stuckPending: stuck.rows, stuckPendingCount: stuck.count, deadEmails: dead)
    }
}
