// Copyright (c) the Gatehouse authors
public import Logging
public import Storage
public import GatehouseCore
public import Payments
import Tenancy
import Vault

/// Which flagged payments a refund list holds.
public enum AdminRefundState: String, Sendable, Hashable, CaseIterable {
    /// Owed and not yet recorded as made.
    case open
    /// Recorded as made by an admin.
    case resolved
    case all
}

/// A keyset position in the refund list: rows strictly after it in (flagged at, id) descending order.
public struct AdminRefundCursor: Sendable, Hashable {
    public let flaggedAt: Int64
    public let id: Int64

    /// `<flagged ms>-<payment id>`: opaque to clients, who only pass back `next_before`.
    public var text: String { "\(flaggedAt)-\(id)" }

    public init(flaggedAt: Int64, id: Int64) {
        self.flaggedAt = flaggedAt
        self.id = id
    }

    public init?(text: String) {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 2, let at = Int64(parts[0]), let id = Int64(parts[1]), at >= 0, id > 0 else { return nil }
        self.init(flaggedAt: at, id: id)
    }
}

public struct AdminRefundFilter: Sendable, Hashable {
    public var state: AdminRefundState = .open
    public var owner: OwnerID? = nil
    /// Rows per page (1…500).
    public var limit: Int = 50
    public var before: AdminRefundCursor? = nil

    public init(state: AdminRefundState = .open, owner: OwnerID? = nil, limit: Int = 50, before: AdminRefundCursor? = nil) {
        self.state = state
        self.owner = owner
        self.limit = limit
        self.before = before
    }
}

/// One payment whose money is owed back, as admins read it.
public struct AdminRefund: Sendable, Hashable {
    public let paymentID: PaymentID
    public let paymentCode: String
    public let orderCode: Int64
    public let ownerID: OwnerID
    public let ownerName: String
    public let bookingID: BookingID
    /// The payment's customer fields, else the booking's renter row.
    public let renterName: String?
    public let renterEmail: String?
    public let renterPhone: String?
    /// What the link asked for, and what payOS received (the amount owed back).
    public let amount: Int64
    public let amountToRefund: Int64
    public let reason: String
    public let status: String
    /// Unix ms.
    public let flaggedAt: Int64
    public let resolvedAt: Int64?

    /// The reason as the domain names it (`nil` for a value this build does not know).
    public var knownReason: RefundReason? { RefundReason(rawValue: reason) }
}

/// Open refunds: how many, and how much money in all.
public struct AdminRefundTotals: Sendable, Hashable {
    public let count: Int64
    /// VND.
    public let amount: Int64
}

public struct AdminRefundPage: Sendable, Hashable {
    public let refunds: [AdminRefund]
    /// Pass as ``AdminRefundFilter/before`` for the next (older) page; `nil` on the last page.
    public let nextBefore: AdminRefundCursor?
}

/// Reads and resolves the refunds Payments flags on `payment` (v7 columns), for the admin API, dashboard and metrics.
///
/// Payments owns flagging; Admin only lists and records "the refund was made", so the one write here touches
/// `refund_resolved_at` alone (not `updated_at`: the renter's status view has nothing new to show).
public struct AdminRefunds: Sendable {
    public static let resolvedAction = "payment.refund_resolved"

    let database: any SQLDatabase
    let clock: WallClock

    public init(database: any SQLDatabase, clock: WallClock = .system) {
        self.database = database
        self.clock = clock
    }

    static var columns: SQLQuery {
        """
        SELECT p.id, p.payment_code, p.order_code, p.owner_id, o.name AS owner_name, p.booking_id,
            COALESCE(p.customer_name, r.name) AS renter_name, COALESCE(p.customer_email, r.email) AS renter_email,
            COALESCE(p.customer_phone, r.phone) AS renter_phone, p.amount, p.amount_paid, p.refund_reason, p.status,
            p.refund_flagged_at, p.refund_resolved_at
        FROM payment p JOIN owner o ON o.id = p.owner_id LEFT JOIN renter r ON r.id = p.renter_id
        WHERE p.refund_reason IS NOT NULL AND p.refund_flagged_at IS NOT NULL
        """
    }

    /// Newest flagged first, keyset-paged on (flagged at, id).
    /// - Throws: ``TenancyError/Code/validation`` for a limit outside 1…500.
    public func page(_ filter: AdminRefundFilter, logger: Logger) async throws -> AdminRefundPage {
        guard (1...500).contains(filter.limit) else { throw TenancyError.validation("limit must be 1 to 500") }
        var query = Self.columns + Self.stateCondition(filter.state, prefix: "p.")
        if let owner = filter.owner { query = query + " AND p.owner_id = \(owner)" }
        if let c = filter.before {
            query = query + " AND (p.refund_flagged_at < \(c.flaggedAt) OR (p.refund_flagged_at = \(c.flaggedAt) AND p.id < \(c.id)))"
        }
        // One extra row says whether there is a next page.
        query = query + " ORDER BY p.refund_flagged_at DESC, p.id DESC LIMIT \(unescaped: String(filter.limit + 1))"
        var refunds = try await database.query(query, logger: logger).map(Self.refund)
        var next: AdminRefundCursor? = nil
        if refunds.count > filter.limit {
            refunds.removeLast()
            next = refunds.last.map { AdminRefundCursor(flaggedAt: $0.flaggedAt, id: $0.paymentID.rawValue) }
        }
        return AdminRefundPage(refunds: refunds, nextBefore: next)
    }

    /// One flagged payment (open or resolved), or `nil` when the payment is unknown or owes nothing.
    public func refund(_ id: PaymentID, logger: Logger) async throws -> AdminRefund? {
        try await database.query(Self.columns + " AND p.id = \(id)", logger: logger).first.map(Self.refund)
    }

    /// Open refunds of one owner or of all.
    public func openTotals(owner: OwnerID? = nil, logger: Logger) async throws -> AdminRefundTotals {
        var query: SQLQuery =
            "SELECT COUNT(*) AS n, SUM(amount_paid) AS total FROM payment WHERE refund_reason IS NOT NULL AND refund_flagged_at IS NOT NULL"
        query = query + Self.stateCondition(.open, prefix: "")
        if let owner { query = query + " AND owner_id = \(owner)" }
        let row = try await database.query(query, logger: logger).first
        return AdminRefundTotals(
            count: try row?.decodeIfPresent("n", as: Int64.self) ?? 0, amount: try row?.decodeIfPresent("total", as: Int64.self) ?? 0)
    }

    /// Records the refund as made, once, with its audit row in the same transaction.
    /// - Returns: the refund as stored; a second call returns the first call's result and changes nothing.
    /// - Throws: ``TenancyError/Code/notFound`` when the payment is unknown or owes nothing.
    public func resolve(_ id: PaymentID, audit: AuditContext, logger: Logger) async throws -> AdminRefund {
        let now = clock.now()
        let resolvedNow = try await database.withTransaction(logger: logger) { connection -> Bool in
            let rows = try await connection.query(
                "SELECT owner_id, amount_paid, refund_reason, refund_resolved_at FROM payment WHERE id = \(id)"
                    + " AND refund_reason IS NOT NULL AND refund_flagged_at IS NOT NULL\(unescaped: connection.dialect.forUpdate)")
            guard let row = rows.first else { throw TenancyError.notFound("refund") }
            guard try row.decodeIfPresent("refund_resolved_at", as: Int64.self) == nil else { return false }
            try await connection.execute("UPDATE payment SET refund_resolved_at = \(now) WHERE id = \(id) AND refund_resolved_at IS NULL")
            let owner: Int64 = try row.decode("owner_id")
            try await AuditLog(clock: clock).append(
                AuditEntry(audit, ownerID: owner, action: Self.resolvedAction, detail: [
                    "payment_id": .integer(id.rawValue), "amount": .integer(try row.decode("amount_paid")),
                    "reason": .string(try row.decode("refund_reason")),
                ]), on: connection)
            return true
        }
        guard let refund = try await refund(id, logger: logger) else { throw TenancyError.notFound("refund") }
        if resolvedNow {
            logger.info(
                "refund recorded as made", metadata: ["payment.id": "\(id)", "tenant.id": "\(refund.ownerID)", "refund.amount": "\(refund.amountToRefund)"])
        }
        return refund
    }

    static func stateCondition(_ state: AdminRefundState, prefix: String) -> SQLQuery {
        switch state {
        case .open: " AND \(unescaped: prefix)refund_resolved_at IS NULL"
        case .resolved: " AND \(unescaped: prefix)refund_resolved_at IS NOT NULL"
        case .all: ""
        }
    }

    static func refund(_ row: SQLRow) throws -> AdminRefund {
        AdminRefund(
            paymentID: PaymentID(try row.decode("id")), paymentCode: try row.decode("payment_code"), orderCode: try row.decode("order_code"),
            ownerID: OwnerID(try row.decode("owner_id")), ownerName: try row.decode("owner_name"), bookingID: BookingID(try row.decode("booking_id")),
            renterName: try row.decodeIfPresent("renter_name"), renterEmail: try row.decodeIfPresent("renter_email"),
            renterPhone: try row.decodeIfPresent("renter_phone"), amount: try row.decode("amount"), amountToRefund: try row.decode("amount_paid"),
            reason: try row.decode("refund_reason"), status: try row.decode("status"), flaggedAt: try row.decode("refund_flagged_at"),
            resolvedAt: try row.decodeIfPresent("refund_resolved_at"))
    }
}
