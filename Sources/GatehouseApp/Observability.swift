// Copyright (c) the Gatehouse authors
import CoreMetrics
import Foundation
import Gateway
import Payments
import Sodium
import Hummingbird
import Logging
public import Prometheus
import Storage
import Tenancy
import GatehouseCore
import GatehouseHTTP

/// Where Gatehouse's Prometheus metrics live: one registry, the swift-metrics factory that writes into it, and the
/// database gauges refreshed on every scrape.
///
/// The executable's `main` bootstraps `MetricsSystem` with ``factory`` once (``bootstrapProcessMetrics()``), so
/// Hummingbird's `MetricsMiddleware` and anything else using the global API land in the same registry; tests never
/// bootstrap and give each Gatehouse a registry of its own, which Gatehouse's own instruments use through the factory
/// they are handed.
public struct Observability: Sendable {
    public let registry: PrometheusCollectorRegistry
    public let factory: PrometheusMetricsFactory

    public init(registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry()) {
        self.registry = registry
        self.factory = PrometheusMetricsFactory(registry: registry)
    }

    /// The registry's current Prometheus text exposition.
    public func exposition() -> String { registry.emitToString() }

    /// Bootstraps swift-metrics for the whole process with this registry. Call once, from the executable's `main` only.
    public func bootstrapProcessMetrics() {
        MetricsSystem.bootstrap(factory)
    }
}

/// Gauges read from the database on every scrape: the same truth on every instance (not per-process counters that
/// reset on restart and see one instance only), so alerts work behind a load balancer — aggregate with `max`.
///
/// - `gatehouse_payments{status}`: payments by status. Terminal states never move back, so for them this is also the
///   running count of transitions into that state; `pending` is the live backlog.
/// - `gatehouse_payments_settled{settled_by}`: payments whose final state came from `webhook`, `reconciliation` or `return`.
/// - `gatehouse_outbox{status}`: e-mails `pending`, `sent`, `dead`.
/// - `gatehouse_reconciliation_backlog`: pending payments whose next check with payOS is overdue.
/// - `gatehouse_webhook_rejections_last_hour`: refused webhook signatures in the current and previous hour rows.
/// - `gatehouse_payment_refunds_due{reason}` and `gatehouse_payment_refunds_due_vnd{reason}`: payments whose money is
///   owed back and not yet recorded as refunded, and the VND owed (alert on any rise: each is a renter out of pocket).
/// - `gatehouse_webhook_lag_last_hour_seconds{stat="avg"|"max"}`: payOS's transaction time → receipt, over the webhooks
///   received in the last hour that concerned a payment (as `GET /admin/metrics` counts them; 0 without any).
/// - `gatehouse_instances_alive`: gateway instances whose heartbeat is fresh (the registry every limiter share divides by).
///
/// Labels are closed sets (statuses, sources); no owner, no id, no secret.
struct DatabaseGauges: Sendable {
    static let paymentStatuses = ["pending", "success", "failed", "cancelled", "expired"]
    static let settlementSources = ["webhook", "reconciliation", "return", "superseded"]
    static let outboxStatuses = ["pending", "sent", "dead"]

    let registry: PrometheusCollectorRegistry
    let database: any SQLDatabase
    let clock: WallClock
    /// A heartbeat older than this is a dead instance (``InstanceRegistry/staleAfterMillis``).
    let instanceStaleAfterMillis: Int64

    /// Runs the gauge queries and sets every gauge (zero for states with no rows, so series never go stale).
    func refresh(logger: Logger) async throws {
        let byStatus = try await counts("SELECT status AS k, COUNT(*) AS n FROM payment GROUP BY status", logger: logger)
        for status in Self.paymentStatuses {
            gauge("gatehouse_payments", "Payments by status (from the database)", labels: [("status", status)])
                .set(Double(byStatus[status] ?? 0))
        }
        let settled = try await counts(
            "SELECT settled_by AS k, COUNT(*) AS n FROM payment WHERE settled_by IS NOT NULL GROUP BY settled_by", logger: logger)
        for source in Self.settlementSources {
            gauge(
                "gatehouse_payments_settled", "Payments whose final state came from a webhook, reconciliation or the return page",
                labels: [("settled_by", source)]
            ).set(Double(settled[source] ?? 0))
        }
        var refunds: [String: (count: Int64, amount: Int64)] = [:]
        for row in try await database.query(
            """
            SELECT refund_reason AS k, COUNT(*) AS n, SUM(amount_paid) AS vnd FROM payment
            WHERE refund_flagged_at IS NOT NULL AND refund_resolved_at IS NULL GROUP BY refund_reason
            """, logger: logger)
        {
            if let key = try row.decodeIfPresent("k", as: String.self) {
                refunds[key] = (try row.decode("n", as: Int64.self), try row.decodeIfPresent("vnd", as: Int64.self) ?? 0)
            }
        }
        for reason in RefundReason.allCases.map(\.rawValue) {
            gauge("gatehouse_payment_refunds_due", "Payments whose received money is owed back, not yet refunded", labels: [("reason", reason)])
                .set(Double(refunds[reason]?.count ?? 0))
            gauge("gatehouse_payment_refunds_due_vnd", "VND owed back to renters, not yet refunded", labels: [("reason", reason)])
                .set(Double(refunds[reason]?.amount ?? 0))
        }
        let outbox = try await counts("SELECT status AS k, COUNT(*) AS n FROM outbox GROUP BY status", logger: logger)
        for status in Self.outboxStatuses {
            gauge("gatehouse_outbox", "E-mail notifications by delivery status", labels: [("status", status)])
                .set(Double(outbox[status] ?? 0))
        }
        let now = clock.now()
        let backlog = try await database.query(
            "SELECT COUNT(*) AS n FROM payment WHERE status = 'pending' AND next_check_at IS NOT NULL AND next_check_at <= \(now)",
            logger: logger
        ).first.flatMap { try $0.decodeIfPresent("n", as: Int64.self) } ?? 0
        gauge("gatehouse_reconciliation_backlog", "Pending payments whose next check with payOS is overdue").set(Double(backlog))
        let hourStart = now - now % 3_600_000
        let rejected = try await database.query(
            "SELECT SUM(count) AS n FROM webhook_rejection WHERE hour_start >= \(hourStart - 3_600_000)", logger: logger
        ).first.flatMap { try $0.decodeIfPresent("n", as: Int64.self) } ?? 0
        gauge("gatehouse_webhook_rejections_last_hour", "Webhooks refused for their signature in this and the previous hour").set(Double(rejected))
        let lag = try await database.query(
            """
            SELECT COUNT(*) AS n, SUM(received_at - transaction_at) AS sum_ms, MAX(received_at - transaction_at) AS max_ms FROM webhook_inbox
            WHERE received_at >= \(now - 3_600_000) AND transaction_at IS NOT NULL AND outcome IS NOT NULL AND outcome <> 'unknown_order'
            """, logger: logger
        ).first
        let lagHelp = "Webhook lag (payOS transaction time to receipt) over the last hour"
        gauge("gatehouse_webhook_lag_last_hour_seconds", lagHelp, labels: [("stat", "avg")])
            .set(Double(try lag?.decodeIfPresent("sum_ms", as: Int64.self) ?? 0) / Double(max(1, try lag?.decodeIfPresent("n", as: Int64.self) ?? 0)) / 1000)
        gauge("gatehouse_webhook_lag_last_hour_seconds", lagHelp, labels: [("stat", "max")])
            .set(Double(try lag?.decodeIfPresent("max_ms", as: Int64.self) ?? 0) / 1000)
        let alive = try await database.query(
            "SELECT COUNT(*) AS n FROM gateway_instance WHERE heartbeat_at >= \(now - instanceStaleAfterMillis)", logger: logger
        ).first.flatMap { try $0.decodeIfPresent("n", as: Int64.self) } ?? 0
        gauge("gatehouse_instances_alive", "Gateway instances with a fresh heartbeat in the shared registry").set(Double(alive))
    }

    /// The registry's gauge of that name and labels (created on first use; the same help text every time).
    private func gauge(_ name: String, _ help: String, labels: [(String, String)] = []) -> Prometheus.Gauge {
        let descriptor = MetricNameDescriptor(metricName: name, unitName: "", helpText: help)
        return labels.isEmpty ? registry.makeGauge(descriptor: descriptor) : registry.makeGauge(descriptor: descriptor, labels: labels)
    }

    private func counts(_ query: SQLQuery, logger: Logger) async throws -> [String: Int64] {
        var result: [String: Int64] = [:]
        for row in try await database.query(query, logger: logger) {
            if let key = try row.decodeIfPresent("k", as: String.self) { result[key] = try row.decode("n", as: Int64.self) }
        }
        return result
    }
}

/// `GET /metrics`: the Prometheus text exposition (version 0.0.4) of the registry, after refreshing ``DatabaseGauges``.
///
/// No secrets: metric labels are route templates, closed status sets and (bounded) owner ids. Still, volumes and
/// owner ids are business data: with a `bearerToken` (`GATEHOUSE_METRICS_TOKEN`) a scrape must present it (compared in
/// constant time, 401 otherwise); without one, keep `/metrics` to the monitoring network at the proxy.
struct PrometheusController<Context: RequestContext>: Sendable {
    let registry: PrometheusCollectorRegistry
    let gauges: DatabaseGauges
    let bearerToken: String?

    var endpoints: RouteCollection<Context> {
        RouteCollection(context: Context.self).get("/metrics", use: scrape)
    }

    @Sendable func scrape(request: Request, context: Context) async throws -> Response {
        if let bearerToken {
            let presented = request.headers[.authorization].flatMap { $0.hasPrefix("Bearer ") ? String($0.dropFirst(7)) : nil } ?? ""
            guard ConstantTime.equals(presented, bearerToken) else {
                throw APIError(status: .unauthorized, code: "UNAUTHORIZED", message: "a valid metrics token is required")
            }
        }
        do {
            try await gauges.refresh(logger: context.logger)
        } catch {
            // The process metrics are still worth a scrape when the database is down; the gauges keep their last values.
            context.logger.warning("database gauges not refreshed", metadata: ["error.type": "\(type(of: error))"])
        }
        var buffer: [UInt8] = []
        buffer.reserveCapacity(16 * 1024)
        registry.emit(into: &buffer)
        return Response(
            status: .ok,
            headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8", .cacheControl: "no-store"],
            body: .init(byteBuffer: .init(bytes: buffer)))
    }
}
