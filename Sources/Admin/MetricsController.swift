// Copyright (c) the Gatehouse authors
public import Payments
import Foundation
public import Hummingbird
import Logging
public import Tenancy
import GatehouseCore
import GatehouseHTTP

/// `GET /admin/metrics?owner=&from=&to=&bucket=hour|day`: per-owner and overall payment metrics by hour or day.
///
/// Mount ``endpoints`` inside the admin group that ``AdminAuthMiddleware`` authenticates; the controller itself checks
/// nothing but its parameters. Parameters (all optional):
/// - `owner`: an owner id; without it the answer covers all owners and lists each active owner's totals.
/// - `from`, `to`: ISO-8601 instants with an offset, `[from, to)`; default the last 24 hours (`hour`) or 30 days (`day`)
///   up to now.
/// - `bucket`: `hour` (default) or `day`; day buckets are Vietnam calendar days (UTC+07:00).
/// `refunds_due` is the open refunds' count and VND amount now (not within `from`/`to`).
///
/// Refusals: 400 `VALIDATION_ERROR` naming the parameter (malformed value, `from` not before `to`, too many buckets),
/// 404 `NOT_FOUND` for an unknown owner.
public struct MetricsController<Context: RequestContext>: Sendable {
    let metrics: PaymentMetrics
    let owners: OwnerRepository
    let now: @Sendable () -> Int64

    public init(metrics: PaymentMetrics, owners: OwnerRepository, now: @escaping @Sendable () -> Int64) {
        self.metrics = metrics
        self.owners = owners
        self.now = now
    }

    public var endpoints: RouteCollection<Context> {
        RouteCollection(context: Context.self).get("/admin/metrics", use: report)
    }

    // MARK: Response

    struct StatusCounts: Encodable {
        let pending, success, failed, cancelled, expired: Int64
    }

    struct SettledCounts: Encodable {
        let webhook, reconciliation, `return`: Int64
    }

    struct NotificationCounts: Encodable {
        let total, retried, dead: Int64
    }

    /// One summary; `start` on buckets, `owner_id` in the per-owner list.
    struct SummaryBody: Encodable {
        var start: String? = nil
        var owner_id: Int64? = nil
        let payments_created: Int64
        let payments_by_status: StatusCounts
        let success_rate_percent: Double?
        let average_processing_ms: Int64?
        let settled_by: SettledCounts
        let reconciliation_share_percent: Double?
        let webhooks_received: Int64
        let average_webhook_lag_ms: Int64?
        let max_webhook_lag_ms: Int64?
        let invalid_signatures: Int64
        let notifications: NotificationCounts

        init(_ s: MetricsSummary) {
            payments_created = s.paymentsCreated
            payments_by_status = StatusCounts(
                pending: s.paymentsByStatus["pending"] ?? 0, success: s.paymentsByStatus["success"] ?? 0,
                failed: s.paymentsByStatus["failed"] ?? 0, cancelled: s.paymentsByStatus["cancelled"] ?? 0,
                expired: s.paymentsByStatus["expired"] ?? 0)
            success_rate_percent = s.successRateBasisPoints.map { Double($0) / 100 }
            average_processing_ms = s.averageProcessingMillis
            settled_by = SettledCounts(
                webhook: s.settledBy["webhook"] ?? 0, reconciliation: s.settledBy["reconciliation"] ?? 0, return: s.settledBy["return"] ?? 0)
            reconciliation_share_percent = s.reconciliationShareBasisPoints.map { Double($0) / 100 }
            webhooks_received = s.webhookCount
            average_webhook_lag_ms = s.averageWebhookLagMillis
            max_webhook_lag_ms = s.webhookLagMillisMaximum
            invalid_signatures = s.invalidSignatures
            notifications = NotificationCounts(total: s.notifications, retried: s.notificationsRetried, dead: s.notificationsDead)
        }
    }

    struct ReportBody: Encodable {
        let owner: Int64?
        let from: String
        let to: String
        let bucket: String
        /// The zone bucket boundaries are aligned to.
        let bucket_time_zone = "+07:00"
        let total: SummaryBody
        let buckets: [SummaryBody]
        let owners: [SummaryBody]?
        let unattributed_invalid_signatures: Int64?
        /// Refunds owed now (of `owner`, or of all owners): a backlog, not a figure of the interval.
        let refunds_due: RefundsDue
    }

    struct RefundsDue: Encodable {
        let count: Int64
        let amount: Int64
    }

    // MARK: Handler

    @Sendable func report(request: Request, context: Context) async throws -> JSONResponse<ReportBody> {
        let query = request.uri.queryParameters
        let bucket: MetricsBucket
        let bucketText = query["bucket"].map(String.init) ?? ""
        if bucketText.isEmpty {
            bucket = .hour
        } else {
            guard let parsed = MetricsBucket(rawValue: bucketText) else { throw APIError.validation("bucket must be hour or day") }
            bucket = parsed
        }
        var owner: OwnerID?
        if let text = query["owner"].map(String.init), !text.isEmpty {
            guard let id = Int64(text), id > 0 else { throw APIError.validation("owner must be a positive owner id") }
            owner = OwnerID(id)
        }
        func instant(_ name: String) throws -> Int64? {
            guard let text = query[Substring(name)].map(String.init), !text.isEmpty else { return nil }
            guard let millis = APITime.parse(text) else {
                throw APIError.validation("\(name) must be an ISO-8601 date-time with an offset, e.g. 2030-01-15T00:00:00+07:00")
            }
            return millis
        }
        let to = try instant("to") ?? now()
        let from = try instant("from") ?? to - (bucket == .hour ? 24 * 3_600_000 : 30 * 86_400_000)
        let metricsRequest: PaymentMetrics.Request
        do {
            metricsRequest = try PaymentMetrics.Request(owner: owner, from: from, to: to, bucket: bucket)
        } catch {
            throw APIError.validation(error.message)
        }
        if let owner, try await owners.get(owner, logger: context.logger) == nil { throw APIError.notFound("owner") }

        let report = try await metrics.report(metricsRequest, logger: context.logger)
        let refunds = try await AdminRefunds(database: metrics.database).openTotals(owner: owner, logger: context.logger)
        return JSONResponse(
            ReportBody(
                owner: owner?.rawValue, from: APITime.format(from), to: APITime.format(to), bucket: bucket.rawValue,
                total: SummaryBody(report.total),
                buckets: report.buckets.map {
                    var body = SummaryBody($0.summary)
                    body.start = APITime.format($0.start)
                    return body
                },
                owners: owner == nil
                    ? report.owners.map {
                        var body = SummaryBody($0.summary)
                        body.owner_id = $0.owner.rawValue
                        return body
                    } : nil,
                unattributed_invalid_signatures: owner == nil ? report.unattributedInvalidSignatures : nil,
                refunds_due: RefundsDue(count: refunds.count, amount: refunds.amount)))
    }
}
