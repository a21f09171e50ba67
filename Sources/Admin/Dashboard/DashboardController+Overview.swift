// Copyright (c) the Gatehouse authors
import GatehouseCore
import GatehouseHTTP
import Hummingbird
import Tenancy

extension DashboardController {
    /// `GET /admin/dashboard`: the platform at a glance (``AdminOverview``): success rate, payments and volume for the
    /// last 48 hours (by hour) and 30 Vietnam days (by day), what needs attention, webhook health over the last 24 hours,
    /// and the owners with the lowest success rate and the highest volume.
    @Sendable func overviewPage(request: Request, context: GatehouseRequestContext) async throws -> Response {
        try await withSession(request, context: context, post: false) { session, _ in
            let locale = locale(request)
            let strings = AdminStrings.table(locale)
            let now = clock.now()
            let overview = try await AdminOverview.load(database: database, now: now, logger: context.logger)
            func summary(_ total: PlatformBucket) -> [String: Any] {
                [
                    "rate": Self.percent(Self.basisPoints(total.succeeded, of: total.created)), "payments": total.created,
                    "succeeded": total.succeeded, "volume": VND.format(total.volumeVND, locale: locale),
                ]
            }
            func labels(_ buckets: [PlatformBucket], bucket: AdminSeriesBucket) -> [Int: String] {
                var labels: [Int: String] = [:]
                let every = max(1, buckets.count / 6)
                for (index, point) in buckets.enumerated() where index % every == 0 { labels[index] = Self.label(point.start, bucket: bucket) }
                return labels
            }
            func rateValues(_ buckets: [PlatformBucket]) -> [Double?] {
                buckets.map { $0.created == 0 ? nil : Double($0.succeeded) * 100 / Double($0.created) }
            }
            let hourLabels = labels(overview.hours, bucket: .hour), dayLabels = labels(overview.days, bucket: .day)
            let charts = [
                SVGChart(
                    title: (strings["successRate"] ?? "") + " · " + (strings["byHour48"] ?? ""), style: .line, values: rateValues(overview.hours),
                    xLabels: hourLabels, yMax: 100, formatY: { "\(Int($0.rounded()))%" }),
                SVGChart(
                    title: (strings["charts"] ?? "") + " · " + (strings["byHour48"] ?? ""), style: .bars,
                    values: overview.hours.map { Double($0.created) }, xLabels: hourLabels, formatY: { "\(Int($0.rounded()))" }),
                SVGChart(
                    title: (strings["successRate"] ?? "") + " · " + (strings["byDay30"] ?? ""), style: .line, values: rateValues(overview.days),
                    xLabels: dayLabels, yMax: 100, formatY: { "\(Int($0.rounded()))%" }),
                SVGChart(
                    title: (strings["volume"] ?? "") + " · " + (strings["byDay30"] ?? ""), style: .bars,
                    values: overview.days.map { Double($0.volumeVND) / 1_000_000 }, xLabels: dayLabels,
                    formatY: { $0 >= 10 ? "\(Int($0.rounded()))M ₫" : "\(Double(Int($0 * 10)) / 10)M ₫" }),
            ].map { $0.render() }
            let day = AdminOverview.total(overview.hours, last: 24)
            let settled = day.byWebhook + day.byReconciliation
            func attention(_ payments: [AdminOverview.AttentionPayment]) -> [[String: Any]] {
                payments.map {
                    [
                        "id": $0.id, "ownerID": $0.ownerID.rawValue, "amount": VND.format($0.amount, locale: locale),
                        "amountPaid": VND.format($0.amountPaid, locale: locale), "created": PageTime.model($0.createdAt, locale: locale),
                        "expires": PageTime.model($0.expiresAt, locale: locale),
                    ]
                }
            }
            func ranked(_ owners: [AdminOverview.RankedOwner]) -> [[String: Any]] {
                owners.map {
                    [
                        "id": $0.id.rawValue, "name": $0.name, "rate": Self.percent($0.successRateBasisPoints), "payments": "\($0.succeeded)/\($0.created)",
                        "volume": VND.format($0.volumeVND, locale: locale),
                    ]
                }
            }
            var model: [String: Any] = [
                "last48": summary(AdminOverview.total(overview.hours)), "last30": summary(AdminOverview.total(overview.days)),
                "charts": charts,
                "refundsDue": overview.refundsDue, "refundsDueVND": VND.format(overview.refundsDueVND, locale: locale),
                "underpaidCount": overview.underpaidCount, "underpaid": attention(overview.underpaid),
                "stuckCount": overview.stuckPendingCount, "stuck": attention(overview.stuckPending), "deadEmails": overview.deadEmails,
                "hasUnderpaid": !overview.underpaid.isEmpty, "hasStuck": !overview.stuckPending.isEmpty,
                "webhooks": day.webhooks, "invalidSignatures": day.invalidSignatures,
                "averageLag": day.webhooks > 0 ? Self.seconds((day.webhookLagMillis + day.webhooks / 2) / day.webhooks) : "—",
                "maxLag": day.webhooks > 0 ? Self.seconds(day.webhookLagMaxMillis) : "—",
                "reconciledShare": Self.percent(Self.basisPoints(day.byReconciliation, of: settled)),
                "reconciled": day.byReconciliation, "settled": settled,
                "lowest": ranked(overview.lowestSuccess), "highest": ranked(overview.highestVolume),
                "rankingWindow": AdminOverview.rankingWindow, "minimumPayments": AdminOverview.minimumPaymentsForLowest,
            ]
            if let refreshed = overview.refreshedAt { model["refreshedAt"] = PageTime.model(refreshed, locale: locale) }
            return page(request, "overview", title: strings["overview"] ?? "", model: model, session: session)
        }
    }

    /// `part / whole` in basis points, rounded half up (the seed's rate); `nil` when `whole` is 0.
    static func basisPoints(_ part: Int64, of whole: Int64) -> Int64? {
        whole > 0 ? (part * 20_000 / whole + 1) / 2 : nil
    }

    /// Milliseconds as seconds with one decimal ("1.4 s").
    static func seconds(_ millis: Int64) -> String {
        let tenths = (millis + 50) / 100
        return "\(tenths / 10).\(tenths % 10) s"
    }
}
