// Copyright (c) the Gatehouse authors
public import Logging
public import GatehouseCore
import Vault
public import Payments

extension AdminOperations {
    /// Audits an export of the payments of `filter` (who, which owner, which days) and returns the exporter to stream
    /// it with: payment data leaving the platform is on record before the first byte leaves, even when the download
    /// is then interrupted.
    public func beginPaymentExport(
        _ filter: PaymentExport.Filter, audit: AuditContext, logger: Logger, batchSize: Int = 1_000
    ) async throws -> PaymentExport {
        var detail: AuditDetail = ["from": .integer(filter.from), "to": .integer(filter.to)]
        if let owner = filter.owner { detail.fields["owner_id"] = .integer(owner.rawValue) }
        try await auditLog.append(
            AuditEntry(audit, ownerID: filter.owner?.rawValue, action: AuditAction.exportPayments, detail: detail), database: database,
            logger: logger)
        return PaymentExport(database: database, batchSize: batchSize)
    }
}
