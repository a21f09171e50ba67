// Copyright (c) the Gatehouse authors
public import Logging
public import Storage
public import GatehouseCore

/// A payment to store, after payOS created its link (``PaymentService`` builds it; nothing outside Payments inserts one).
struct NewPayment: Sendable, Hashable {
    let ownerID: OwnerID
    let bookingID: BookingID
    let renterID: RenterID
    let paymentCode: String
    let orderCode: Int64
    let amount: Int64
    let description: String
    let renterTokenHash: [UInt8]
    let expiresAt: Int64
    let paymentLinkID: String
    let checkoutURL: String
    let qrCode: String
    let bankBIN: String
    let accountNumber: String
    let accountName: String
    let customerName: String
    let customerEmail: String
    let customerPhone: String?
}

/// A payment's status changed: what the rest of the system reacts to (status view, notifications, metrics).
public struct PaymentStatusChange: Sendable, Hashable {
    public let paymentID: PaymentID
    public let ownerID: OwnerID
    public let from: PaymentStatus
    public let to: PaymentStatus
    public let amountPaid: Int64
    public let underpaid: Bool
    public let settledBy: SettlementSource?
    public let at: Int64
    /// Set when this change flagged money on the payment as owed back (the amount is ``amountPaid``).
    public var refund: RefundReason? = nil
    /// When the payment was created (Unix ms): its day in the `payment_owner_day` rollup, which ``PaymentSettlement``
    /// updates as the last statement of the settling transaction.
    public var paymentCreatedAt: Int64? = nil
}

/// Payments. Reads by id alone are for callers that check access themselves (renter tokens);
/// every owner-facing read is scoped by owner.
public struct PaymentRepository: SQLRepository {
    public let storage: RepositoryStorage

    public init(storage: RepositoryStorage) {
        self.storage = storage
    }

    /// Inserts a payment (status `pending`) on the caller's connection; reconciliation first looks at it
    /// `firstCheckAfterMillis` after creation.
    func insert(_ p: NewPayment, firstCheckAfterMillis: Int64 = 30_000, on connection: any SQLConnection) async throws -> Payment {
        let now = clock.now()
        let result = try await connection.execute(
            """
            INSERT INTO payment (payment_code, order_code, amount, currency, payos_payment_link_id, checkout_url, qr_code,
                bank_bin, account_number, account_name, status, amount_paid, underpaid, renter_token_hash, expires_at,
                next_check_at, check_attempts, created_at, updated_at, description, customer_name, customer_email,
                customer_phone, booking_id, owner_id, renter_id)
            VALUES (\(p.paymentCode), \(p.orderCode), \(p.amount), 'VND', \(p.paymentLinkID), \(p.checkoutURL), \(p.qrCode),
                \(p.bankBIN), \(p.accountNumber), \(p.accountName), 'pending', 0, 0, \(p.renterTokenHash), \(p.expiresAt),
                \(now + firstCheckAfterMillis), 0, \(now), \(now), \(p.description), \(p.customerName), \(p.customerEmail),
                \(p.customerPhone), \(p.bookingID), \(p.ownerID), \(p.renterID))
            """)
        guard let id = result.lastInsertID else { throw StorageError(code: .statementFailed, detail: "no id for new payment") }
        try await PaymentRollup.recordCreated(owner: p.ownerID, createdAt: now, on: connection)
        return Payment(
            id: PaymentID(id), ownerID: p.ownerID, bookingID: p.bookingID, renterID: p.renterID, paymentCode: p.paymentCode,
            orderCode: p.orderCode, amount: p.amount, amountPaid: 0, currency: "VND", status: .pending, underpaid: false,
            settledBy: nil, paymentLinkID: p.paymentLinkID, checkoutURL: p.checkoutURL, qrCode: p.qrCode, bankBIN: p.bankBIN,
            accountNumber: p.accountNumber, accountName: p.accountName, description: p.description, transactionReference: nil,
            paymentMethod: nil, customerName: p.customerName, customerEmail: p.customerEmail, customerPhone: p.customerPhone,
            expiresAt: p.expiresAt, createdAt: now, updatedAt: now, paidAt: nil)
    }

    /// The payment with this id, whoever owns it. Callers must check access (owner or renter token).
    public func get(_ id: PaymentID, logger: Logger) async throws -> Payment? {
        try await database.query("SELECT \(unescaped: Self.columns) FROM payment WHERE id = \(id)", logger: logger).first.map(Self.decode)
    }

    /// The owner's payment with this id; `nil` when it does not exist or belongs to another owner.
    public func get(owner: OwnerID, id: PaymentID, logger: Logger) async throws -> Payment? {
        try await database.query(
            "SELECT \(unescaped: Self.columns) FROM payment WHERE id = \(id) AND owner_id = \(owner)", logger: logger
        ).first.map(Self.decode)
    }

    /// As ``get(owner:id:logger:)``, on the caller's connection (inside its transaction).
    public func get(owner: OwnerID, id: PaymentID, on connection: any SQLConnection) async throws -> Payment? {
        try await connection.query("SELECT \(unescaped: Self.columns) FROM payment WHERE id = \(id) AND owner_id = \(owner)")
            .first.map(Self.decode)
    }

    /// The payment with this payOS orderCode (unique across Gatehouse).
    public func get(orderCode: Int64, logger: Logger) async throws -> Payment? {
        try await database.query(
            "SELECT \(unescaped: Self.columns) FROM payment WHERE order_code = \(orderCode)", logger: logger
        ).first.map(Self.decode)
    }

    /// The stored keyed hash of the payment's renter token, with its owner; `nil` when there is no such payment.
    public func renterAccess(_ id: PaymentID, logger: Logger) async throws -> (owner: OwnerID, tokenHash: [UInt8])? {
        guard let row = try await database.query(
            "SELECT owner_id, renter_token_hash FROM payment WHERE id = \(id)", logger: logger
        ).first else { return nil }
        return (try row.decode("owner_id"), try row.decode("renter_token_hash"))
    }

    /// The owner's payments, newest first.
    public func list(owner: OwnerID, status: PaymentStatus? = nil, limit: Int = 50, logger: Logger) async throws -> [Payment] {
        let limit = max(1, min(limit, 500))
        if let status {
            return try await database.query(
                """
                SELECT \(unescaped: Self.columns) FROM payment WHERE owner_id = \(owner) AND status = \(status.rawValue)
                ORDER BY created_at DESC, id DESC LIMIT \(limit)
                """, logger: logger
            ).map(Self.decode)
        }
        return try await database.query(
            "SELECT \(unescaped: Self.columns) FROM payment WHERE owner_id = \(owner) ORDER BY created_at DESC, id DESC LIMIT \(limit)",
            logger: logger
        ).map(Self.decode)
    }

    /// The booking's pending payments, newest first (normally at most one: one live link per booking).
    public func pending(owner: OwnerID, booking: BookingID, logger: Logger) async throws -> [Payment] {
        try await database.query(
            """
            SELECT \(unescaped: Self.columns) FROM payment WHERE booking_id = \(booking) AND owner_id = \(owner) AND status = 'pending'
            ORDER BY created_at DESC, id DESC
            """, logger: logger
        ).map(Self.decode)
    }

    /// Whether the booking already has a successful payment.
    public func hasSuccessfulPayment(booking: BookingID, on connection: any SQLConnection) async throws -> Bool {
        try await !connection.query("SELECT id FROM payment WHERE booking_id = \(booking) AND status = 'success' LIMIT 1").isEmpty
    }

    /// Applies `event` to the payment through the state machine, on the caller's connection (inside its transaction):
    /// the payment row is locked, the decision made, the payment and (on success) its booking updated (the owner's daily
    /// rollup is ``PaymentSettlement``'s, last in the same transaction).
    /// Returns the change, or `nil` when nothing changed.
    public func apply(
        _ event: PaymentEvent, to id: PaymentID, reference: String? = nil, on connection: any SQLConnection
    ) async throws -> PaymentStatusChange? {
        guard let row = try await connection.query(
            "SELECT id, owner_id, booking_id, amount, amount_paid, status, created_at FROM payment WHERE id = \(id)\(unescaped: connection.dialect.forUpdate)"
        ).first else { return nil }
        let status = PaymentStatus(rawValue: try row.decode("status")) ?? .failed
        let owner: OwnerID = try row.decode("owner_id")
        let booking: BookingID = try row.decode("booking_id")
        let amount: Int64 = try row.decode("amount")
        let amountPaid: Int64 = try row.decode("amount_paid")
        // Only a full payment of a pending link can pay the booking; only then does another payment matter. The
        // booking row is locked first, so two links of one booking paid at once settle one after the other.
        var paidElsewhere = false
        if status == .pending, event.totalPaid >= amount {
            _ = try await connection.query("SELECT id FROM booking WHERE id = \(booking)\(unescaped: connection.dialect.forUpdate)")
            paidElsewhere = try await !connection.query(
                "SELECT id FROM payment WHERE booking_id = \(booking) AND status = 'success' AND id <> \(id) LIMIT 1").isEmpty
        }
        let decision = PaymentStateMachine.decide(
            status: status, amount: amount, amountPaid: amountPaid, event: event, bookingPaidElsewhere: paidElsewhere)
        let now = clock.now()
        switch decision {
        case .ignored:
            return nil
        case .partial(let total):
            try await connection.execute(
                "UPDATE payment SET amount_paid = \(total), underpaid = 1, updated_at = \(now) WHERE id = \(id) AND status = 'pending'")
            return PaymentStatusChange(
                paymentID: id, ownerID: owner, from: status, to: status, amountPaid: total, underpaid: true, settledBy: nil, at: now)
        case .lateMoney(let total, let refund):
            // The first reason stays (an underpaid ending that then gets more money is still owed back as one refund).
            try await connection.execute(
                """
                UPDATE payment SET amount_paid = \(total), refund_reason = COALESCE(refund_reason, \(refund.rawValue)),
                    refund_flagged_at = COALESCE(refund_flagged_at, \(now)), refund_resolved_at = NULL,
                    payos_transaction_id = COALESCE(\(reference), payos_transaction_id), updated_at = \(now)
                WHERE id = \(id) AND status = \(status.rawValue)
                """)
            return PaymentStatusChange(
                paymentID: id, ownerID: owner, from: status, to: status, amountPaid: total, underpaid: total < amount, settledBy: nil,
                at: now, refund: refund)
        case .transition(let to, let total, let underpaid, let source, let refund):
            let paidAt: Int64? = to == .success ? now : nil
            try await connection.execute(
                """
                UPDATE payment SET status = \(to.rawValue), amount_paid = \(total), underpaid = \(underpaid), settled_by = \(source.rawValue),
                    paid_at = \(paidAt), payos_transaction_id = COALESCE(\(reference), payos_transaction_id), next_check_at = NULL,
                    refund_reason = \(refund?.rawValue), refund_flagged_at = \(refund == nil ? nil : now), updated_at = \(now)
                WHERE id = \(id) AND status = 'pending'
                """)
            if to == .success {
                try await connection.execute(
                    "UPDATE booking SET status = 'confirmed', payment_status = 'paid', updated_at = \(now) WHERE id = \(booking) AND owner_id = \(owner)")
            }
            return PaymentStatusChange(
                paymentID: id, ownerID: owner, from: status, to: to, amountPaid: total, underpaid: underpaid, settledBy: source, at: now,
                refund: refund, paymentCreatedAt: try row.decode("created_at"))
        }
    }

    static let columns = """
        id, owner_id, booking_id, renter_id, payment_code, order_code, amount, amount_paid, currency, status, underpaid, settled_by,
        payos_payment_link_id, checkout_url, qr_code, bank_bin, account_number, account_name, description, payos_transaction_id,
        payment_method, customer_name, customer_email, customer_phone, expires_at, created_at, updated_at, paid_at,
        refund_reason, refund_flagged_at, refund_resolved_at
        """

    static func decode(_ row: SQLRow) throws -> Payment {
        Payment(
            id: try row.decode("id"), ownerID: try row.decode("owner_id"), bookingID: try row.decode("booking_id"),
            renterID: try row.decode("renter_id"), paymentCode: try row.decode("payment_code"), orderCode: try row.decode("order_code"),
            amount: try row.decode("amount"), amountPaid: try row.decode("amount_paid"), currency: try row.decode("currency"),
            status: PaymentStatus(rawValue: try row.decode("status")) ?? .failed, underpaid: try row.decode("underpaid"),
            settledBy: (try row.decodeIfPresent("settled_by", as: String.self)).flatMap(SettlementSource.init(rawValue:)),
            paymentLinkID: try row.decodeIfPresent("payos_payment_link_id"), checkoutURL: try row.decodeIfPresent("checkout_url"),
            qrCode: try row.decodeIfPresent("qr_code"), bankBIN: try row.decodeIfPresent("bank_bin"),
            accountNumber: try row.decodeIfPresent("account_number"), accountName: try row.decodeIfPresent("account_name"),
            description: try row.decodeIfPresent("description"), transactionReference: try row.decodeIfPresent("payos_transaction_id"),
            paymentMethod: try row.decodeIfPresent("payment_method"), customerName: try row.decodeIfPresent("customer_name"),
            customerEmail: try row.decodeIfPresent("customer_email"), customerPhone: try row.decodeIfPresent("customer_phone"),
            expiresAt: try row.decode("expires_at"), createdAt: try row.decode("created_at"), updatedAt: try row.decode("updated_at"),
            paidAt: try row.decodeIfPresent("paid_at"),
            refundReason: (try row.decodeIfPresent("refund_reason", as: String.self)).flatMap(RefundReason.init(rawValue:)),
            refundFlaggedAt: try row.decodeIfPresent("refund_flagged_at"), refundResolvedAt: try row.decodeIfPresent("refund_resolved_at"))
    }
}
