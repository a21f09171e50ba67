// Copyright (c) the Gatehouse authors
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import GatehouseCore
import GatehouseHTTP

/// `GET /admin/payments/export.csv?from=YYYY-MM-DD&to=YYYY-MM-DD[&owner_id=N]`: the payments created on those
/// Vietnam days (both included), of one owner or all, streamed as CSV (see ``PaymentExport``) and audited.
extension AdminController {
    /// The longest range one export may span: a year of days keeps one request's work bounded.
    static let maximumExportDays: Int64 = 366

    @Sendable func exportPayments(request: Request, context: AdminRequestContext) async throws -> Response {
        let query = request.uri.queryParameters
        func day(_ name: String) throws -> (text: String, start: Int64) {
            guard let text = query[name[...]].map(String.init) else { throw APIError.validation("\(name) is required (a Vietnam date, YYYY-MM-DD)") }
            guard let start = PaymentExport.vietnamDayStart(text) else { throw APIError.validation("\(name) must be a date, YYYY-MM-DD") }
            return (text, start)
        }
        let from = try day("from"), to = try day("to")
        let end = to.start + 86_400_000
        guard end > from.start else { throw APIError.validation("to must not be before from") }
        guard end - from.start <= Self.maximumExportDays * 86_400_000 else {
            throw APIError.validation("an export spans at most \(Self.maximumExportDays) days")
        }
        var owner: OwnerID? = nil
        if let text = query["owner_id"].map(String.init) {
            guard let id = Int64(text), id > 0 else { throw APIError.validation("owner_id must be a positive integer") }
            owner = OwnerID(id)
        }
        let filter = PaymentExport.Filter(owner: owner, from: from.start, to: end)
        let name = "gatehouse-payments-\(from.text)-to-\(to.text)" + (owner.map { "-owner-\($0.rawValue)" } ?? "") + ".csv"
        let logger = context.logger
        let export = try await operations.beginPaymentExport(filter, audit: context.audit, logger: logger)
        let headers: HTTPFields = [
            .contentType: "text/csv; charset=utf-8", .contentDisposition: "attachment; filename=\"\(name)\"", .cacheControl: "no-store",
        ]
        // Rows are read and sent a batch at a time while the client downloads: memory stays one batch whatever the size.
        return Response(
            status: .ok, headers: headers,
            body: ResponseBody { writer in
                try await export.write(filter, logger: logger) { text in
                    try await writer.write(ByteBuffer(string: text))
                }
                try await writer.finish(nil)
            })
    }
}
