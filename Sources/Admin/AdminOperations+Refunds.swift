// Copyright (c) the Gatehouse authors
public import Logging
public import GatehouseCore

extension AdminOperations {
    /// Built per call from the operations' own database and clock, so the composition root needs no new dependency.
    var refunds: AdminRefunds { AdminRefunds(database: database, clock: clock) }

    /// Flagged payments, newest flagged first.
    public func refundPage(_ filter: AdminRefundFilter, logger: Logger) async throws -> AdminRefundPage {
        try await refunds.page(filter, logger: logger)
    }

    /// How many refunds are open and how much they owe, for one owner or all.
    public func openRefundTotals(owner: OwnerID? = nil, logger: Logger) async throws -> AdminRefundTotals {
        try await refunds.openTotals(owner: owner, logger: logger)
    }

    /// Records a refund as made (audited once as ``AuditAction/resolveRefund``; repeating it changes nothing).
    /// - Throws: ``TenancyError/Code/notFound`` when the payment is unknown or owes nothing.
    public func resolveRefund(_ id: PaymentID, audit: AuditContext, logger: Logger) async throws -> AdminRefund {
        try await refunds.resolve(id, audit: audit, logger: logger)
    }
}
