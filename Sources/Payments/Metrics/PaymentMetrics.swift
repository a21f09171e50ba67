// Copyright (c) the Gatehouse authors
public import Logging
public import Storage
public import GatehouseCore
import Tenancy

/// The width of one metrics bucket.
///
/// Buckets are aligned to **Vietnam time (UTC+07:00, no daylight saving)**: a day bucket runs from 00:00 to 24:00 in
/// Ho Chi Minh City, which is what an owner in Vietnam means by "yesterday". Hour buckets are the same in UTC and
/// UTC+7. A bucket is computed portably as `(t + 7 h) DIV width` on Unix milliseconds (integer division on both
/// backends), so the database groups rows without any time-zone support.
public enum MetricsBucket: String, Sendable, Hashable, CaseIterable {
    case hour
    case day

    public var millis: Int64 {
        switch self {
        case .hour: 3_600_000
        case .day: 86_400_000
        }
    }

    /// The most buckets one report may hold (31 days of hours; about 13 months of days).
    public var maximumCount: Int64 {
        switch self {
        case .hour: 24 * 31
        case .day: 400
        }
    }

    /// UTC+7 in milliseconds: the zone buckets are aligned to.
    public static let zoneOffsetMillis: Int64 = 7 * 3_600_000

    /// The index of the bucket holding `millis` (floor division, so times before 1970 work too).
    public func index(of millis: Int64) -> Int64 {
        let shifted = millis + Self.zoneOffsetMillis
        let q = shifted / self.millis
        return shifted % self.millis < 0 ? q - 1 : q
    }

    /// The first instant (Unix ms) of bucket `index`.
    public func start(ofIndex index: Int64) -> Int64 { index * millis - Self.zoneOffsetMillis }
}

/// Payment figures for one owner or all owners over one interval.
///
/// Every figure is an integer count or millisecond sum, so summaries add up exactly across buckets and owners; rates
/// and averages are derived at the end.
public struct MetricsSummary: Sendable, Hashable {
    /// Payments created in the interval, by their current status (`pending`, `success`, `failed`, `cancelled`, `expired`).
    public var paymentsByStatus: [String: Int64] = [:]
    /// Successful payments with a `paid_at`, and the sum of their created → paid times.
    public var processedCount: Int64 = 0
    public var processingMillisTotal: Int64 = 0
    /// VND received by the successful payments among them (`amount_paid`): the volume.
    public var volumeVND: Int64 = 0
    /// Payments whose final state came from payOS's webhook, from reconciliation, or from the return page's check.
    public var settledBy: [String: Int64] = [:]
    /// Webhooks received in the interval that concerned a payment, and their lag (payOS's transaction time → receipt).
    public var webhookCount: Int64 = 0
    public var webhookLagMillisTotal: Int64 = 0
    public var webhookLagMillisMaximum: Int64? = nil
    /// Webhooks refused for a bad or missing signature.
    public var invalidSignatures: Int64 = 0
    /// E-mails enqueued in the interval, those that needed more than one attempt, and those that ended dead.
    public var notifications: Int64 = 0
    public var notificationsRetried: Int64 = 0
    public var notificationsDead: Int64 = 0

    public init() {}

    /// All payments created in the interval.
    public var paymentsCreated: Int64 { paymentsByStatus.values.reduce(0, +) }

    /// The seed's success rate: successful payments / all payments created, in basis points (1/100 of a percent),
    /// rounded half up; `nil` when no payment was created.
    public var successRateBasisPoints: Int64? {
        let created = paymentsCreated
        guard created > 0 else { return nil }
        return ((paymentsByStatus["success"] ?? 0) * 20_000 / created + 1) / 2
    }

    /// The seed's average processing time (created → paid over successful payments) in whole milliseconds, rounded
    /// half up; `nil` without a successful payment.
    public var averageProcessingMillis: Int64? {
        processedCount > 0 ? (processingMillisTotal * 2 + processedCount) / (2 * processedCount) : nil
    }

    /// Average webhook lag in whole milliseconds, rounded half up; `nil` without webhooks.
    public var averageWebhookLagMillis: Int64? {
        webhookCount > 0 ? (webhookLagMillisTotal * 2 + webhookCount) / (2 * webhookCount) : nil
    }

    /// Payments settled by reconciliation among those settled by webhook or reconciliation, in basis points (rounded
    /// half up); `nil` when none was.
    public var reconciliationShareBasisPoints: Int64? {
        let reconciled = settledBy["reconciliation"] ?? 0
        let total = reconciled + (settledBy["webhook"] ?? 0)
        guard total > 0 else { return nil }
        return (reconciled * 20_000 / total + 1) / 2
    }

    /// Adds another summary's figures (another bucket, another owner).
    public mutating func add(_ other: MetricsSummary) {
        paymentsByStatus.merge(other.paymentsByStatus, uniquingKeysWith: +)
        processedCount += other.processedCount
        volumeVND += other.volumeVND
        processingMillisTotal += other.processingMillisTotal
        settledBy.merge(other.settledBy, uniquingKeysWith: +)
        webhookCount += other.webhookCount
        webhookLagMillisTotal += other.webhookLagMillisTotal
        if let theirs = other.webhookLagMillisMaximum { webhookLagMillisMaximum = max(webhookLagMillisMaximum ?? theirs, theirs) }
        invalidSignatures += other.invalidSignatures
        notifications += other.notifications
        notificationsRetried += other.notificationsRetried
        notificationsDead += other.notificationsDead
    }
}

/// What ``PaymentMetrics/report(_:logger:)`` answers.
public struct MetricsReport: Sendable, Hashable {
    public struct Bucket: Sendable, Hashable {
        /// The bucket's first instant (Unix ms); it ends where the next one starts.
        public var start: Int64
        public var summary: MetricsSummary
    }

    public var request: PaymentMetrics.Request
    /// The whole interval.
    public var total: MetricsSummary
    /// Every bucket from the one holding `from` to the one holding `to − 1`, empty ones included (zeros), in order.
    public var buckets: [Bucket]
    /// Per-owner totals for every owner with any activity, by owner id (only when the request covers all owners).
    public var owners: [(owner: OwnerID, summary: MetricsSummary)]
    /// Invalid signatures no owner could be resolved for (unknown webhook key or orderCode); included in `total`.
    public var unattributedInvalidSignatures: Int64

    public static func == (lhs: Self, rhs: Self) -> Bool {
        lhs.request == rhs.request && lhs.total == rhs.total && lhs.buckets == rhs.buckets
            && lhs.owners.map(\.owner) == rhs.owners.map(\.owner) && lhs.owners.map(\.summary) == rhs.owners.map(\.summary)
            && lhs.unattributedInvalidSignatures == rhs.unattributedInvalidSignatures
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(request)
        hasher.combine(total)
    }
}

/// Per-owner and overall payment metrics from the database: the seed's success rate and average processing time,
/// counts by status, webhook lag, the reconciliation share, invalid signatures and notification failures.
///
/// SQL only, bound parameters only; a handful of grouped queries per report whatever the number of payments. Payments
/// are counted in the bucket of their `created_at` (the seed's rate is over payments created), webhooks by
/// `received_at`, refusals by their hour, e-mails by `created_at`. Indexes used: `idx_payment_created_at` /
/// `idx_payment_owner_id` (seed), `idx_webhook_inbox_received`, `idx_webhook_rejection_hour`, `idx_outbox_created` /
/// `idx_outbox_owner_created` (v2).
public struct PaymentMetrics: Sendable {
    /// A validated report request.
    public struct Request: Sendable, Hashable {
        public let owner: OwnerID?
        public let from: Int64
        public let to: Int64
        public let bucket: MetricsBucket

        /// - Throws: ``TenancyError/validation(_:)`` naming the parameter when the interval is empty or needs more than
        ///   ``MetricsBucket/maximumCount`` buckets.
        public init(owner: OwnerID?, from: Int64, to: Int64, bucket: MetricsBucket) throws(TenancyError) {
            guard from < to else { throw .validation("from must be before to") }
            let count = bucket.index(of: to - 1) - bucket.index(of: from) + 1
            guard count <= bucket.maximumCount else {
                throw .validation("the interval needs \(count) \(bucket.rawValue) buckets; at most \(bucket.maximumCount) are allowed")
            }
            self.owner = owner
            self.from = from
            self.to = to
            self.bucket = bucket
        }
    }

    /// The database the figures are read from (other read models of the same figures use it too).
    public let database: any SQLDatabase

    public init(database: any SQLDatabase) {
        self.database = database
    }

    public func report(_ request: Request, logger: Logger) async throws -> MetricsReport {
        let bucketed = try await summaries(request, groupBy: .bucket, logger: logger)
        let first = request.bucket.index(of: request.from)
        let last = request.bucket.index(of: request.to - 1)
        var total = MetricsSummary()
        var buckets: [MetricsReport.Bucket] = []
        for index in first...last {
            let summary = bucketed[index] ?? MetricsSummary()
            total.add(summary)
            buckets.append(.init(start: request.bucket.start(ofIndex: index), summary: summary))
        }
        var owners: [(owner: OwnerID, summary: MetricsSummary)] = []
        var unattributed: Int64 = 0
        if request.owner == nil {
            let byOwner = try await summaries(request, groupBy: .owner, logger: logger)
            for (id, summary) in byOwner.sorted(by: { $0.key < $1.key }) {
                if id == WebhookRejectionRepository.unknownOwner {
                    unattributed = summary.invalidSignatures
                } else {
                    owners.append((OwnerID(id), summary))
                }
            }
        }
        return MetricsReport(request: request, total: total, buckets: buckets, owners: owners, unattributedInvalidSignatures: unattributed)
    }

    // MARK: Queries

    private enum Grouping { case bucket, owner }

    /// Summaries keyed by bucket index or owner id.
    private func summaries(_ request: Request, groupBy grouping: Grouping, logger: Logger) async throws -> [Int64: MetricsSummary] {
        let dialect = database.dialect
        func key(_ column: String) -> String {
            switch grouping {
            case .owner: return "owner_id"
            case .bucket:
                let division = dialect == .mariadb ? "DIV" : "/"
                // Code-chosen integers only; times are positive, so integer division is floor division here.
                return "((\(column) + \(MetricsBucket.zoneOffsetMillis)) \(division) \(request.bucket.millis))"
            }
        }
        func ownerFilter(_ column: String = "owner_id") -> SQLQuery {
            request.owner.map { " AND \(unescaped: column) = \($0)" } ?? ""
        }
        var result: [Int64: MetricsSummary] = [:]

        let payments: SQLQuery =
            """
            SELECT \(unescaped: key("created_at")) AS k, status, settled_by, COUNT(*) AS n,
                SUM(CASE WHEN status = 'success' AND paid_at IS NOT NULL THEN paid_at - created_at ELSE 0 END) AS processing_ms,
                SUM(CASE WHEN status = 'success' AND paid_at IS NOT NULL THEN 1 ELSE 0 END) AS processed,
                SUM(CASE WHEN status = 'success' THEN amount_paid ELSE 0 END) AS volume_vnd
            FROM payment WHERE created_at >= \(request.from) AND created_at < \(request.to)
            """ + ownerFilter() + " GROUP BY k, status, settled_by"
        for row in try await database.query(payments, logger: logger) {
            let k: Int64 = try row.decode("k")
            let n: Int64 = try row.decode("n")
            var summary = result[k] ?? MetricsSummary()
            summary.paymentsByStatus[try row.decode("status"), default: 0] += n
            if let settledBy = try row.decodeIfPresent("settled_by", as: String.self) { summary.settledBy[settledBy, default: 0] += n }
            summary.processedCount += try row.decodeIfPresent("processed", as: Int64.self) ?? 0
            summary.processingMillisTotal += try row.decodeIfPresent("processing_ms", as: Int64.self) ?? 0
            summary.volumeVND += try row.decodeIfPresent("volume_vnd", as: Int64.self) ?? 0
            result[k] = summary
        }

        let webhooks: SQLQuery =
            """
            SELECT \(unescaped: key("received_at")) AS k, COUNT(*) AS n, SUM(received_at - transaction_at) AS lag_ms,
                MAX(received_at - transaction_at) AS max_lag_ms
            FROM webhook_inbox WHERE received_at >= \(request.from) AND received_at < \(request.to)
                AND transaction_at IS NOT NULL AND outcome IS NOT NULL AND outcome <> 'unknown_order'
            """ + ownerFilter() + " GROUP BY k"
        for row in try await database.query(webhooks, logger: logger) {
            let k: Int64 = try row.decode("k")
            var lag = MetricsSummary()
            lag.webhookCount = try row.decode("n", as: Int64.self)
            lag.webhookLagMillisTotal = try row.decodeIfPresent("lag_ms", as: Int64.self) ?? 0
            lag.webhookLagMillisMaximum = try row.decodeIfPresent("max_lag_ms", as: Int64.self)
            result[k, default: MetricsSummary()].add(lag)
        }

        // Refusal rows are whole hours; their `hour_start` decides the bucket (an hour never straddles two buckets).
        let rejections: SQLQuery =
            """
            SELECT \(unescaped: key("hour_start")) AS k, SUM(count) AS n FROM webhook_rejection
            WHERE hour_start >= \(request.from - request.from % WebhookRejectionRepository.hourMillis) AND hour_start < \(request.to)
            """ + ownerFilter() + " GROUP BY k"
        for row in try await database.query(rejections, logger: logger) {
            let k: Int64 = try row.decode("k")
            result[k, default: MetricsSummary()].invalidSignatures += try row.decodeIfPresent("n", as: Int64.self) ?? 0
        }

        let outbox: SQLQuery =
            """
            SELECT \(unescaped: key("created_at")) AS k, COUNT(*) AS n,
                SUM(CASE WHEN attempts > 1 THEN 1 ELSE 0 END) AS retried,
                SUM(CASE WHEN status = 'dead' THEN 1 ELSE 0 END) AS dead
            FROM outbox WHERE created_at >= \(request.from) AND created_at < \(request.to)
            """ + ownerFilter() + " GROUP BY k"
        for row in try await database.query(outbox, logger: logger) {
            let k: Int64 = try row.decode("k")
            var summary = result[k] ?? MetricsSummary()
            summary.notifications += try row.decode("n", as: Int64.self)
            summary.notificationsRetried += try row.decodeIfPresent("retried", as: Int64.self) ?? 0
            summary.notificationsDead += try row.decodeIfPresent("dead", as: Int64.self) ?? 0
            result[k] = summary
        }
        return result
    }
}
