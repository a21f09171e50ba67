// Copyright (c) the Gatehouse authors
public import Logging
public import Storage
public import GatehouseCore

/// One owner's payments for the owner console: filtered (status, a range of creation times, a booking id or order code)
/// and paged by keyset, newest first, so page 1,000 costs what page 1 does.
///
/// Every query is scoped by the owner; indexes: `idx_payment_owner_created` (owner, created_at, id; v8) for the list,
/// `idx_webhook_inbox_owner_received` (v8) for the last verified webhook.
public struct OwnerPaymentList: Sendable {
    /// Where a page starts: after the row with this (created_at, id), newest first. Shown in links as `<created>.<id>`.
    public struct Cursor: Sendable, Hashable {
        public let createdAt: Int64
        public let id: Int64

        public init?(_ text: String) {
            let parts = text.split(separator: ".", omittingEmptySubsequences: false)
            guard parts.count == 2, let createdAt = Int64(parts[0]), let id = Int64(parts[1]), id > 0 else { return nil }
            self.createdAt = createdAt
            self.id = id
        }

        init(createdAt: Int64, id: Int64) {
            self.createdAt = createdAt
            self.id = id
        }

        public var text: String { "\(createdAt).\(id)" }
    }

    public struct Filter: Sendable, Hashable {
        public var status: PaymentStatus?
        /// Created in `[from, to)` (Unix ms).
        public var from: Int64?
        public var to: Int64?
        /// A booking id or an order code.
        public var code: Int64?
        public var after: Cursor?

        public init(status: PaymentStatus? = nil, from: Int64? = nil, to: Int64? = nil, code: Int64? = nil, after: Cursor? = nil) {
            self.status = status
            self.from = from
            self.to = to
            self.code = code
            self.after = after
        }
    }

    /// A payment as the console lists it (amounts in integer VND).
    public struct Row: Sendable, Hashable {
        public let id: Int64
        public let paymentCode: String
        public let orderCode: Int64
        public let bookingID: Int64
        public let roomTitle: String
        public let renterName: String
        public let amount: Int64
        public let amountPaid: Int64
        public let status: String
        public let underpaid: Bool
        /// What is owed back to the renter (``RefundReason``), until an admin records the refund as made.
        public let refundDue: Int64?
        public let createdAt: Int64
        public let paidAt: Int64?
    }

    public struct Page: Sendable {
        public let rows: [Row]
        /// The next (older) page, when there may be one.
        public let next: Cursor?
    }

    let database: any SQLDatabase
    let pageSize: Int

    public init(database: any SQLDatabase, pageSize: Int = 50) {
        self.database = database
        self.pageSize = max(1, pageSize)
    }

    /// One page of `owner`'s payments matching `filter`, newest first.
    public func page(owner: OwnerID, _ filter: Filter, logger: Logger) async throws -> Page {
        var query: SQLQuery = """
            SELECT p.id, p.payment_code, p.order_code, p.booking_id, b.room_title, p.customer_name, p.amount, p.amount_paid, p.status,
                p.underpaid, p.refund_reason, p.refund_resolved_at, p.created_at, p.paid_at
            FROM payment p LEFT JOIN booking b ON b.id = p.booking_id AND b.owner_id = p.owner_id
            WHERE p.owner_id = \(owner)
            """
        if let status = filter.status { query = query + " AND p.status = \(status.rawValue)" }
        if let from = filter.from { query = query + " AND p.created_at >= \(from)" }
        if let to = filter.to { query = query + " AND p.created_at < \(to)" }
        if let code = filter.code { query = query + " AND (p.order_code = \(code) OR p.booking_id = \(code))" }
        if let after = filter.after {
            query = query + " AND (p.created_at < \(after.createdAt) OR (p.created_at = \(after.createdAt) AND p.id < \(after.id)))"
        }
        query = query + " ORDER BY p.created_at DESC, p.id DESC LIMIT \(unescaped: String(pageSize + 1))"
        var rows = try await database.query(query, logger: logger).map { row in
            let amountPaid: Int64 = try row.decode("amount_paid")
            let flagged = try row.decodeIfPresent("refund_reason", as: String.self) != nil
            let resolved = try row.decodeIfPresent("refund_resolved_at", as: Int64.self) != nil
            return Row(
                id: try row.decode("id"), paymentCode: try row.decode("payment_code"), orderCode: try row.decode("order_code"),
                bookingID: try row.decode("booking_id"), roomTitle: try row.decodeIfPresent("room_title") ?? "",
                renterName: try row.decodeIfPresent("customer_name") ?? "", amount: try row.decode("amount"), amountPaid: amountPaid,
                status: try row.decode("status"), underpaid: try row.decode("underpaid"), refundDue: flagged && !resolved ? amountPaid : nil,
                createdAt: try row.decode("created_at"), paidAt: try row.decodeIfPresent("paid_at"))
        }
        var next: Cursor? = nil
        if rows.count > pageSize {
            rows.removeLast()
            next = rows.last.map { Cursor(createdAt: $0.createdAt, id: $0.id) }
        }
        return Page(rows: rows, next: next)
    }

    /// When the last webhook for `owner` that verified with its keys arrived (Unix ms), or `nil`. Only signed,
    /// verified webhooks enter the inbox (probes and refusals do not).
    public func lastVerifiedWebhook(owner: OwnerID, logger: Logger) async throws -> Int64? {
        try await database.query("SELECT MAX(received_at) AS at FROM webhook_inbox WHERE owner_id = \(owner)", logger: logger)
            .first?.decodeIfPresent("at", as: Int64.self)
    }
}
