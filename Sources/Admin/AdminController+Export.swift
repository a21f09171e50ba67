// Copyright (c) the Gatehouse authors
import Hummingbird
import GatehouseCore
import GatehouseHTTP
import Payments

/// `GET /admin/payments/export.csv?from=YYYY-MM-DD&to=YYYY-MM-DD[&owner_id=N]`: the payments created on those
/// Vietnam days (both included), of one owner or all, streamed as CSV (see ``PaymentExport``) and audited.
extension AdminController {
    @Sendable func exportPayments(request: Request, context: AdminRequestContext) async throws -> Response {
        let query = request.uri.queryParameters
        let (fromText, toText) = (query["from"].map(String.init), query["to"].map(String.init))
        let days = try PaymentExport.days(from: fromText, to: toText)
        var owner: OwnerID? = nil
        if let text = query["owner_id"].map(String.init) {
            guard let id = Int64(text), id > 0 else { throw APIError.validation("owner_id must be a positive integer") }
            owner = OwnerID(id)
        }
        let filter = PaymentExport.Filter(owner: owner, from: days.from, to: days.to)
        let name = "gatehouse-payments-\(fromText ?? "")-to-\(toText ?? "")" + (owner.map { "-owner-\($0.rawValue)" } ?? "") + ".csv"
        let export = try await operations.beginPaymentExport(filter, audit: context.audit, logger: context.logger)
        return export.response(filter, fileName: name, logger: context.logger)
    }
}
