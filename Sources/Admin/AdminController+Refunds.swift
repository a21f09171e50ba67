// Copyright (c) the Gatehouse authors
import Foundation
import Hummingbird
import GatehouseCore
import GatehouseHTTP

/// `GET /admin/refunds` and `POST /admin/refunds/{id}/resolve`: payments whose money is owed back to the renter.
extension AdminController {
    struct RefundBody: Encodable, Sendable {
        struct Owner: Encodable, Sendable {
            let id: Int64
            let name: String
        }
        struct Renter: Encodable, Sendable {
            let name: String?
            let email: String?
            let phone: String?
        }
        let payment_id: Int64
        let payment_code: String
        let order_code: Int64
        let owner: Owner
        let booking_id: Int64
        let renter: Renter
        let amount: Int64
        let amount_to_refund: Int64
        let reason: String
        let status: String
        let flagged_at: String
        let resolved_at: String?

        init(_ r: AdminRefund) {
            payment_id = r.paymentID.rawValue
            payment_code = r.paymentCode
            order_code = r.orderCode
            owner = Owner(id: r.ownerID.rawValue, name: r.ownerName)
            booking_id = r.bookingID.rawValue
            renter = Renter(name: r.renterName, email: r.renterEmail, phone: r.renterPhone)
            amount = r.amount
            amount_to_refund = r.amountToRefund
            reason = r.reason
            status = r.status
            flagged_at = APITime.format(r.flaggedAt)
            resolved_at = r.resolvedAt.map { APITime.format($0) }
        }
    }

    struct TotalsBody: Encodable, Sendable {
        let count: Int64
        let amount: Int64

        init(_ totals: AdminRefundTotals) {
            count = totals.count
            amount = totals.amount
        }
    }

    struct RefundListBody: Encodable, Sendable {
        let refunds: [RefundBody]
        /// Open refunds (of the `owner_id` filter's owner, or of all), whatever `state` lists.
        let open: TotalsBody
        let next_before: String?
    }

    @Sendable func refundList(request: Request, context: AdminRequestContext) async throws -> JSONResponse<RefundListBody> {
        let filter = try Self.refundFilter(request.queryValue)
        let page = try await operations.refundPage(filter, logger: context.logger)
        let open = try await operations.openRefundTotals(owner: filter.owner, logger: context.logger)
        return JSONResponse(
            RefundListBody(refunds: page.refunds.map(RefundBody.init), open: TotalsBody(open), next_before: page.nextBefore?.text))
    }

    struct ResolvedRefundBody: Encodable, Sendable {
        let success = true
        let refund: RefundBody
    }

    /// Idempotent: a refund already recorded as made answers 200 with its first resolution time (a retry after a lost
    /// answer must not look like a failure); a payment that owes nothing is 404, as an unknown one.
    @Sendable func resolveRefund(request: Request, context: AdminRequestContext) async throws -> JSONResponse<ResolvedRefundBody> {
        guard let text = context.parameters.get("id"), let id = Int64(text), id > 0 else { throw APIError.notFound("refund") }
        let refund = try await operations.resolveRefund(PaymentID(id), audit: context.audit, logger: context.logger)
        return JSONResponse(ResolvedRefundBody(refund: RefundBody(refund)))
    }

    /// `state` (open, resolved, all; default open), `owner_id`, `limit` (1…500, default 50), `before` (cursor).
    static func refundFilter(_ query: (String) -> String?) throws -> AdminRefundFilter {
        func value(_ name: String) -> String? {
            guard let raw = query(name), !raw.isEmpty else { return nil }
            return raw
        }
        var filter = AdminRefundFilter()
        if let text = value("state") {
            guard let state = AdminRefundState(rawValue: text) else { throw APIError.validation("state must be open, resolved or all") }
            filter.state = state
        }
        if let text = value("owner_id") {
            guard let id = Int64(text), id > 0 else { throw APIError.validation("owner_id must be a positive integer") }
            filter.owner = OwnerID(id)
        }
        if let text = value("limit") {
            guard let limit = Int(text), (1...500).contains(limit) else { throw APIError.validation("limit must be 1 to 500") }
            filter.limit = limit
        }
        if let text = value("before") {
            guard let cursor = AdminRefundCursor(text: text) else { throw APIError.validation("before must be a next_before value") }
            filter.before = cursor
        }
        return filter
    }
}
