// Copyright (c) the Gatehouse authors
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import Vault
import Payments
import Tenancy
import GatehouseCore
import GatehouseHTTP

/// The overview (payOS connection, charts), the payments list and the CSV export: all read with the session's owner.
extension OwnerConsoleController {
    @Sendable func overviewPage(request: Request, context: GatehouseRequestContext) async throws -> Response {
        try await withSession(request, context: context, post: false, current: "overview") { signed, _ in
            let locale = request.pageLocale
            let strings = ConsoleStrings.table(locale)
            let owner = signed.owner.id
            let now = clock.now()
            var model: [String: Any] = ["webhookURL": credentials.webhookURL(for: signed.owner)]
            if let info = try await credentials.info(owner: owner, logger: context.logger) {
                var stored: [String: Any] = [
                    "hint": info.clientIDHint.map { "…" + $0 } ?? "", "version": info.activeVersion,
                    "rotatedAt": PageTime.model(info.rotatedAt, locale: locale),
                ]
                if let previous = info.previousChecksumKey, previous.usableUntil > now {
                    stored["previousUntil"] = PageTime.model(previous.usableUntil, locale: locale)
                }
                model["credentials"] = stored
            }
            if let at = try await paymentConfig.webhookConfirmedAt(owner: owner, logger: context.logger) {
                model["webhookConfirmed"] = PageTime.model(at, locale: locale)
            }
            if let at = try await payments.lastVerifiedWebhook(owner: owner, logger: context.logger) {
                model["lastWebhook"] = PageTime.model(at, locale: locale)
            }

            // Charts: 48 hourly or 30 daily buckets (Vietnam days) ending with the current one.
            let bucket = request.uri.queryParameters["bucket"].flatMap { MetricsBucket(rawValue: String($0)) } ?? .hour
            let last = bucket.index(of: now)
            let from = bucket.start(ofIndex: last - (bucket == .hour ? 47 : 29))
            let report = try await metrics.report(
                try PaymentMetrics.Request(owner: owner, from: from, to: now + 1, bucket: bucket), logger: context.logger)
            var labels: [Int: String] = [:]
            let every = max(1, report.buckets.count / 6)
            for (index, point) in report.buckets.enumerated() where index % every == 0 {
                labels[index] = Self.label(point.start, bucket: bucket)
            }
            let success = SVGChart(
                title: strings["successRate"] ?? "", style: .line,
                values: report.buckets.map { $0.summary.successRateBasisPoints.map { Double($0) / 100 } }, xLabels: labels, yMax: 100,
                formatY: { "\(Int($0.rounded()))%" })
            let volume = SVGChart(
                title: strings["paymentCount"] ?? "", style: .bars, values: report.buckets.map { Double($0.summary.paymentsCreated) }, xLabels: labels,
                formatY: { "\(Int($0.rounded()))" })
            let received = SVGChart(
                title: strings["volumeVND"] ?? "", style: .bars, values: report.buckets.map { Double($0.summary.volumeVND) }, xLabels: labels,
                formatY: { VND.format(Int64($0.rounded()), locale: locale) })
            model["successChart"] = success.render()
            model["volumeChart"] = volume.render()
            model["volumeVNDChart"] = received.render()
            model["totalVolume"] = VND.format(report.total.volumeVND, locale: locale)
            model["rangeText"] = strings[bucket == .hour ? "last48Hours" : "last30Days"] ?? ""
            model["totalRate"] = report.total.successRateBasisPoints.map { "\($0 / 100).\(String(format: "%02d", $0 % 100))%" } ?? "—"
            model["totalCount"] = String(report.total.paymentsCreated)
            return page(request, "overview", title: strings["overview"] ?? "", model: model, signed: signed, current: "overview")
        }
    }

    /// A chart label in Vietnam time: `dd/MM HHh` for hours, `dd/MM` for days.
    static func label(_ millis: Int64, bucket: MetricsBucket) -> String {
        let t = CivilDateTime(unixMillis: millis, utcOffsetSeconds: CivilDateTime.vietnamOffsetSeconds)
        let day = String(format: "%02d/%02d", t.day, t.month)
        return bucket == .hour ? day + String(format: " %02dh", t.hour) : day
    }

    /// `YYYY-MM-DD` of the Vietnam day holding `millis`.
    static func vietnamDate(_ millis: Int64) -> String {
        let t = CivilDateTime(unixMillis: millis, utcOffsetSeconds: CivilDateTime.vietnamOffsetSeconds)
        return String(format: "%04d-%02d-%02d", Int(t.year), t.month, t.day)
    }

    @Sendable func paymentsPage(request: Request, context: GatehouseRequestContext) async throws -> Response {
        try await withSession(request, context: context, post: false, current: "payments") { signed, _ in
            let locale = request.pageLocale
            let strings = ConsoleStrings.table(locale)
            let query = request.uri.queryParameters
            func text(_ name: String) -> String { query[Substring(name)].map { String($0).trimmingCharacters(in: .whitespaces) } ?? "" }
            let (status, from, to, code, after) = (text("status"), text("from"), text("to"), text("code"), text("after"))
            var filter = OwnerPaymentList.Filter()
            var valid = true
            if !status.isEmpty { filter.status = PaymentStatus(rawValue: status); valid = valid && filter.status != nil }
            if !from.isEmpty { filter.from = PageTime.bound(from, endOfDay: false); valid = valid && filter.from != nil }
            if !to.isEmpty { filter.to = PageTime.bound(to, endOfDay: true); valid = valid && filter.to != nil }
            if !code.isEmpty { filter.code = Int64(code); valid = valid && filter.code != nil }
            if !after.isEmpty { filter.after = OwnerPaymentList.Cursor(after); valid = valid && filter.after != nil }

            let now = clock.now()
            var model: [String: Any] = [
                "filter": ["from": from, "to": to, "code": code],
                "statuses": [["value": "", "text": strings["anyStatus"] ?? "", "selected": status.isEmpty] as [String: Any]]
                    + PaymentStatus.allCases.map { ["value": $0.rawValue, "text": Self.statusText($0.rawValue, strings), "selected": $0.rawValue == status] },
                "exportFrom": from.isEmpty ? Self.vietnamDate(now - 29 * 86_400_000) : from, "exportTo": to.isEmpty ? Self.vietnamDate(now) : to,
            ]
            guard valid else {
                model["rows"] = [Any]()
                return page(
                    request, "payments", title: strings["payments"] ?? "", model: model, signed: signed, current: "payments", error: strings["invalidFilter"],
                    status: .badRequest)
            }
            let result = try await payments.page(owner: signed.owner.id, filter, logger: context.logger)
            model["rows"] = result.rows.map { row -> [String: Any] in
                [
                    "created": PageTime.model(row.createdAt, locale: locale), "orderCode": String(row.orderCode), "bookingID": String(row.bookingID),
                    "room": row.roomTitle, "renter": row.renterName, "amount": VND.format(row.amount, locale: locale),
                    "paid": VND.format(row.amountPaid, locale: locale), "underpaid": row.underpaid, "statusText": Self.statusText(row.status, strings),
                    "refundDue": row.refundDue.map { VND.format($0, locale: locale) } ?? "",
                ]
            }
            let kept = [("status", status), ("from", from), ("to", to), ("code", code)].filter { !$0.1.isEmpty }
            func link(_ extra: [(String, String)]) -> String {
                let items = (kept + extra).map { "\($0.0)=\($0.1.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")" }
                return "/owner/payments" + (items.isEmpty ? "" : "?" + items.joined(separator: "&"))
            }
            if let next = result.next { model["next"] = link([("after", next.text)]) }
            if filter.after != nil { model["first"] = link([]) }
            return page(request, "payments", title: strings["payments"] ?? "", model: model, signed: signed, current: "payments")
        }
    }

    static func statusText(_ status: String, _ strings: [String: String]) -> String {
        strings[status == "failed" ? "failed_status" : status] ?? status
    }

    /// `GET /owner/payments/export.csv?from=&to=`: the owner's payments created on those Vietnam days (both included),
    /// streamed as CSV (``PaymentExport``, the admin export's format), audited before the first byte.
    @Sendable func exportPayments(request: Request, context: GatehouseRequestContext) async throws -> Response {
        try await withSession(request, context: context, post: false, current: "payments") { signed, _ in
            let query = request.uri.queryParameters
            let (fromText, toText) = (query["from"].map(String.init), query["to"].map(String.init))
            let days: (from: Int64, to: Int64)
            do {
                days = try PaymentExport.days(from: fromText, to: toText)
            } catch {
                let strings = ConsoleStrings.table(request.pageLocale)
                return message(request, signed: signed, current: "payments", error: strings["invalidRange"] ?? "", status: .badRequest)
            }
            let filter = PaymentExport.Filter(owner: signed.owner.id, from: days.from, to: days.to)
            try await audit(
                signed.audit(context), owner: signed.owner.id, AuditAction.exportPayments, ["from": .integer(days.from), "to": .integer(days.to)],
                logger: context.logger)
            return PaymentExport(database: database).response(
                filter, fileName: "gatehouse-payments-\(fromText ?? "")-to-\(toText ?? "").csv", logger: context.logger)
        }
    }
}
