// Copyright (c) the Gatehouse authors
import Foundation
import Hummingbird
import Logging
import GatehouseCore
import GatehouseHTTP

/// The refunds page: open refunds, newest flagged first, each with a "mark refunded" form (the same operation as
/// `POST /admin/refunds/{id}/resolve`).
extension DashboardController {
    @Sendable func refundsPage(request: Request, context: GatehouseRequestContext) async throws -> Response {
        try await withSession(request, context: context, post: false) { session, _ in
            let locale = locale(request)
            let strings = AdminStrings.table(locale)
            var filter: AdminRefundFilter
            do {
                filter = try AdminController.refundFilter(request.queryValue)
            } catch let error as APIError {
                return page(request, "refunds", title: strings["refunds"] ?? "", model: [:], session: session, error: error.message, status: .badRequest)
            }
            filter.state = .open
            filter.limit = 100
            let result = try await operations.refundPage(filter, logger: context.logger)
            let totals = try await operations.openRefundTotals(logger: context.logger)
            let rows: [[String: Any]] = result.refunds.map { refund in
                var row: [String: Any] = [
                    "id": refund.paymentID.rawValue, "code": refund.paymentCode, "orderCode": refund.orderCode, "ownerID": refund.ownerID.rawValue,
                    "ownerName": refund.ownerName, "renterName": refund.renterName ?? "", "renterEmail": refund.renterEmail ?? "",
                    "amountToRefund": VND.format(refund.amountToRefund, locale: locale),
                    "reason": strings["reason_\(refund.reason)"] ?? refund.reason, "flaggedAt": PageTime.model(refund.flaggedAt, locale: locale),
                    "csrf": session.csrfToken,
                ]
                if let phone = refund.renterPhone, !phone.isEmpty { row["renterPhone"] = phone }
                if refund.amountToRefund != refund.amount { row["partOf"] = VND.format(refund.amount, locale: locale) }
                return row
            }
            var model: [String: Any] = [
                "refunds": rows, "hasRefunds": !rows.isEmpty, "openCount": totals.count, "openAmount": VND.format(totals.amount, locale: locale),
            ]
            if let next = result.nextBefore { model["next"] = "/admin/dashboard/refunds?before=\(next.text)" }
            return page(request, "refunds", title: strings["refunds"] ?? "", model: model, session: session)
        }
    }

    @Sendable func resolveRefund(request: Request, context: GatehouseRequestContext) async throws -> Response {
        try await withSession(request, context: context, post: true) { session, _ in
            guard let id = Self.id(context) else { return Self.redirect("/admin/dashboard/refunds?done=notFound") }
            do {
                _ = try await operations.resolveRefund(PaymentID(id), audit: Self.audit(session, context), logger: context.logger)
            } catch let error as TenancyError where error.code == .notFound {
                return Self.redirect("/admin/dashboard/refunds?done=notFound")
            }
            return Self.redirect("/admin/dashboard/refunds?done=refundResolved")
        }
    }

    /// The owners page's notice of open refunds (`nil` when none is owed, so the notice is absent).
    func refundsDueModel(_ locale: PageLocale, logger: Logger) async throws -> [String: Any]? {
        let totals = try await operations.openRefundTotals(logger: logger)
        guard totals.count > 0 else { return nil }
        return ["count": totals.count, "amount": VND.format(totals.amount, locale: locale)]
    }
}
