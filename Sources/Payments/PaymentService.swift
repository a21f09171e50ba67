// Copyright (c) the Gatehouse authors
import Foundation
public import Logging
public import PayOS
import Sodium
public import Storage
public import Vault
public import GatehouseCore
public import Tenancy

/// What an owner asks for: a payment of one of its bookings.
public struct PaymentRequest: Sendable, Hashable {
    public var bookingID: BookingID
    /// Must equal the booking's amount when given.
    public var amount: Int64?
    /// The payOS description (≤ 25 ASCII characters after removing Vietnamese accents); derived when nil.
    public var description: String?

    public init(bookingID: BookingID, amount: Int64? = nil, description: String? = nil) {
        self.bookingID = bookingID
        self.amount = amount
        self.description = description
    }

    /// A digest of the request's meaning, to tell a retry from a different request under the same idempotency key.
    var digest: [UInt8] {
        SHA256.hash(Array("booking=\(bookingID.rawValue)|amount=\(amount.map(String.init) ?? "")|description=\(description ?? "")".utf8))
    }
}

/// What the owner gets back for a new payment.
public struct CreatedPayment: Sendable {
    public let payment: Payment
    /// The renter's bearer token for this payment: never stored (only its keyed hash is), re-derivable with the pepper.
    public let renterToken: String
    /// `true` when this answers a retried request with the same `Idempotency-Key`.
    public let replayed: Bool
}

/// Creates payments through the owner's own payOS account and settles them from what payOS reports.
///
/// The owner's payOS keys are unsealed from the vault for the one payOS call that needs them and wiped after.
public struct PaymentService: Sendable {
    public struct Configuration: Sendable {
        /// Where renters and payOS reach Gatehouse (no trailing slash).
        public var publicURL: String
        /// Lifetime of a payment link.
        public var linkLifetimeSeconds: Int64
        /// An in-progress idempotency key older than this is taken over by a retry (its first attempt crashed).
        public var idempotencyTakeoverMillis: Int64
        /// Reconciliation first asks payOS about a payment this long after its creation (if no webhook came).
        public var firstReconcileCheckMillis: Int64

        public init(
            publicURL: String, linkLifetimeSeconds: Int64 = 900, idempotencyTakeoverMillis: Int64 = 120_000,
            firstReconcileCheckMillis: Int64 = 30_000
        ) {
            self.publicURL = publicURL
            self.linkLifetimeSeconds = linkLifetimeSeconds
            self.idempotencyTakeoverMillis = idempotencyTakeoverMillis
            self.firstReconcileCheckMillis = firstReconcileCheckMillis
        }
    }

    public let database: any SQLDatabase
    public let bookings: BookingRepository
    public let payments: PaymentRepository
    public let vault: Vault
    public let payOS: PayOSClient
    public let statusView: PaymentStatusView
    let hasher: TokenHasher
    let clock: WallClock
    public let configuration: Configuration
    /// Enqueues the e-mails and web notifications of a successful payment inside its settlement transaction.
    public var notifications: PaymentNotifications? = nil
    /// Caps this owner's calls to payOS (create, get, cancel): a call over the cap is refused before it leaves
    /// (``RateLimitError``), so one owner cannot use up payOS's patience for everyone.
    public var rateLimiter: TenantRateLimiter? = nil

    public init(
        database: any SQLDatabase, vault: Vault, payOS: PayOSClient, hasher: TokenHasher, statusView: PaymentStatusView,
        clock: WallClock = .system, configuration: Configuration
    ) {
        self.database = database
        self.bookings = BookingRepository(database: database, clock: clock)
        self.payments = PaymentRepository(database: database, clock: clock)
        self.vault = vault
        self.payOS = payOS
        self.hasher = hasher
        self.statusView = statusView
        self.clock = clock
        self.configuration = configuration
    }

    // MARK: Renter tokens

    static let renterTokenPurpose = "renter-link"
    static let renterTokenAlphabet = Array("abcdefghijkmnpqrstuvwxyz23456789".utf8)

    /// The renter token of a payment: derived from its random payment code with the server's pepper (160 bits),
    /// so it is never stored — only its keyed hash is — yet can be given again to an owner's retried request.
    public func renterToken(paymentCode: String) -> String {
        let mac = hasher.hash(paymentCode, purpose: "renter-token-derivation")
        return String(decoding: mac.prefix(32).map { Self.renterTokenAlphabet[Int($0 & 31)] }, as: UTF8.self)
    }

    /// Whether `token` opens the payment whose stored hash is `storedHash` (constant time).
    public func renterTokenMatches(_ token: String, storedHash: [UInt8]) -> Bool {
        guard token.utf8.count == 32 else { return false }
        return hasher.matches(token, purpose: Self.renterTokenPurpose, stored: storedHash)
    }

    // MARK: Creating

    /// Creates a payment link at the owner's payOS for a booking, and stores the payment.
    ///
    /// - The amount must equal the booking's; a booking already paid gets `conflict`.
    /// - With an idempotency key, a retry with the same request returns the first answer (`replayed`), the same key
    ///   with another request is `conflict`, and a key whose first attempt is still running is `conflict` too.
    /// - payOS is called before anything is stored, so a payOS failure leaves no payment that looks payable.
    public func createPayment(
        owner: OwnerID, _ request: PaymentRequest, idempotencyKey: String?, audit: AuditContext, logger: Logger
    ) async throws -> CreatedPayment {
        guard let booking = try await bookings.get(owner: owner, id: request.bookingID, logger: logger) else {
            throw TenancyError.notFound("booking")
        }
        if let amount = request.amount, amount != booking.amount {
            throw TenancyError.validation("amount must equal the booking's amount (\(booking.amount) VND)")
        }
        let description = try Self.payOSDescription(request.description, booking: booking)
        if let key = idempotencyKey {
            guard !key.isEmpty, key.utf8.count <= 200 else { throw TenancyError.validation("Idempotency-Key must be 1 to 200 characters") }
            if let replay = try await claimIdempotencyKey(owner: owner, key: key, digest: request.digest, logger: logger) {
                return replay
            }
        }
        do {
            let created = try await createLinkAndStore(
                owner: owner, booking: booking, description: description, idempotencyKey: idempotencyKey, audit: audit, logger: logger)
            return created
        } catch {
            if let key = idempotencyKey {
                // Release the key so a retry can try again; a stored answer is never removed.
                try? await database.execute(
                    "DELETE FROM idempotency_key WHERE owner_id = \(owner) AND idem_key = \(key) AND status_code IS NULL", logger: logger)
            }
            throw error
        }
    }

    /// Reserves the idempotency key, or returns the stored answer of an earlier identical request.
    private func claimIdempotencyKey(owner: OwnerID, key: String, digest: [UInt8], logger: Logger) async throws -> CreatedPayment? {
        let now = clock.now()
        do {
            try await database.execute(
                "INSERT INTO idempotency_key (owner_id, idem_key, request_hash, created_at) VALUES (\(owner), \(key), \(digest), \(now))",
                logger: logger)
            return nil
        } catch let error as StorageError where error.code == .duplicate {
            guard let row = try await database.query(
                "SELECT request_hash, status_code, response_body, created_at FROM idempotency_key WHERE owner_id = \(owner) AND idem_key = \(key)",
                logger: logger
            ).first else { throw TenancyError.conflict("the Idempotency-Key is being used concurrently; retry") }
            guard ConstantTime.equals(try row.decode("request_hash", as: [UInt8].self), digest) else {
                throw TenancyError.conflict("this Idempotency-Key was already used with a different request")
            }
            if let paymentID = try row.decodeIfPresent("response_body", as: String.self).flatMap(Int64.init),
                let payment = try await payments.get(owner: owner, id: PaymentID(paymentID), logger: logger)
            {
                return CreatedPayment(payment: payment, renterToken: renterToken(paymentCode: payment.paymentCode), replayed: true)
            }
            let startedAt: Int64 = try row.decode("created_at")
            guard now - startedAt > configuration.idempotencyTakeoverMillis else {
                throw TenancyError.conflict("a request with this Idempotency-Key is still in progress; retry shortly")
            }
            // The first attempt died without an answer: take the key over.
            let taken = try await database.execute(
                """
                UPDATE idempotency_key SET created_at = \(now)
                WHERE owner_id = \(owner) AND idem_key = \(key) AND status_code IS NULL AND created_at = \(startedAt)
                """, logger: logger)
            guard taken.affectedRows == 1 else { throw TenancyError.conflict("a request with this Idempotency-Key is still in progress; retry shortly") }
            return nil
        }
    }

    private func createLinkAndStore(
        owner: OwnerID, booking: Booking, description: String, idempotencyKey: String?, audit: AuditContext, logger: Logger
    ) async throws -> CreatedPayment {
        guard booking.paymentStatus != .paid else { throw TenancyError.conflict("this booking is already paid") }
        guard let renter = try await bookings.renter(owner: owner, id: booking.renterID, logger: logger) else {
            throw TenancyError.notFound("renter")
        }
        let paymentCode = "PAY-" + RandomToken.base32(count: 10).uppercased()
        let token = renterToken(paymentCode: paymentCode)
        let expiresAtSeconds = clock.now() / 1000 + configuration.linkLifetimeSeconds
        let base = configuration.publicURL

        // An orderCode taken at payOS by something else (the owner's own shop on the same account) is retried with a new one.
        var lastError: (any Error)? = nil
        for _ in 0..<3 {
            let orderCode = Self.newOrderCode()
            let linkRequest = CreatePaymentLinkRequest(
                orderCode: orderCode, amount: booking.amount, description: description, cancelUrl: "\(base)/payment/cancel",
                returnUrl: "\(base)/payment/return", buyerName: renter.name, buyerEmail: renter.email, buyerPhone: renter.phone,
                expiredAt: expiresAtSeconds)
            let link: CreatePaymentLinkResult
            do {
                try rateLimiter?.admitPayOSCall(owner: owner)
                link = try await vault.withCredentials(owner: owner.rawValue, purpose: "payment.create", audit: audit, logger: logger) {
                    try await payOS.createPaymentLink(linkRequest, credentials: PayOSCredentials(unsealed: $0), logger: logger)
                }
            } catch let error as PayOSError where error.isBusiness(PayOSError.BusinessCode.orderCodeExists) {
                lastError = error
                continue
            }
            let created = link.created
            let newPayment = NewPayment(
                ownerID: owner, bookingID: booking.id, renterID: renter.id, paymentCode: paymentCode, orderCode: orderCode,
                amount: booking.amount, description: description,
                renterTokenHash: hasher.hash(token, purpose: Self.renterTokenPurpose), expiresAt: expiresAtSeconds * 1000,
                paymentLinkID: link.paymentLinkId, checkoutURL: link.checkoutUrl, qrCode: created?.qrCode ?? "",
                bankBIN: created?.bin ?? "", accountNumber: created?.accountNumber ?? "", accountName: created?.accountName ?? "",
                customerName: renter.name, customerEmail: renter.email, customerPhone: renter.phone)
            let payment = try await database.withTransaction(logger: logger) { connection in
                // Checked again under the write lock: a concurrent request may have settled the booking meanwhile.
                if try await payments.hasSuccessfulPayment(booking: booking.id, on: connection) {
                    throw TenancyError.conflict("this booking is already paid")
                }
                let payment = try await payments.insert(
                    newPayment, firstCheckAfterMillis: configuration.firstReconcileCheckMillis, on: connection)
                if let key = idempotencyKey {
                    try await connection.execute(
                        """
                        UPDATE idempotency_key SET status_code = 201, response_body = \(String(payment.id.rawValue))
                        WHERE owner_id = \(owner) AND idem_key = \(key)
                        """)
                }
                return payment
            }
            logger.info(
                "payment created",
                metadata: ["payment.id": "\(payment.id)", "payos.order_code": "\(orderCode)", "tenant.id": "\(owner)"])
            return CreatedPayment(payment: payment, renterToken: token, replayed: false)
        }
        throw lastError ?? TenancyError.conflict("no free orderCode")
    }

    /// A random 12-digit orderCode (well inside payOS's 1…2^53−1); uniqueness is enforced by the database.
    static func newOrderCode() -> Int64 {
        let random = SecureRandom.bytes(count: 8).reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        return 100_000_000_000 + Int64(random % 900_000_000_000)
    }

    /// The payOS description: the owner's text with Vietnamese accents removed, or a derived one; ≤ 25 ASCII characters.
    static func payOSDescription(_ given: String?, booking: Booking) throws(TenancyError) -> String {
        guard let given = given?.trimmingCharacters(in: .whitespacesAndNewlines), !given.isEmpty else {
            return "Dat phong \(booking.id.rawValue)"
        }
        let folded = given.replacingOccurrences(of: "đ", with: "d").replacingOccurrences(of: "Đ", with: "D")
            .folding(options: [.diacriticInsensitive, .widthInsensitive], locale: Locale(identifier: "vi_VN"))
        guard folded.unicodeScalars.allSatisfy({ $0.isASCII && $0.value >= 0x20 && $0.value < 0x7F }) else {
            throw .validation("description must be plain text (letters, digits, punctuation)")
        }
        guard folded.count <= CreatePaymentLinkRequest.maximumDescriptionLength else {
            throw .validation("description must be at most 25 characters (payOS limit)")
        }
        return folded
    }

    // MARK: Settling

    /// Asks the owner's payOS for the link's current state and applies it (used by the return page and reconciliation).
    /// Returns the payment as stored afterwards.
    @discardableResult
    public func confirmWithPayOS(_ payment: Payment, source: SettlementSource, audit: AuditContext, logger: Logger) async throws -> Payment {
        guard payment.status == .pending else { return payment }
        try rateLimiter?.admitPayOSCall(owner: payment.ownerID)
        let link = try await vault.withCredentials(owner: payment.ownerID.rawValue, purpose: "payment.confirm", audit: audit, logger: logger) {
            try await payOS.getPaymentLink(orderCode: payment.orderCode, credentials: PayOSCredentials(unsealed: $0), logger: logger)
        }
        if let event = Self.event(for: link, source: source) {
            try await settle(payment.id, event: event, reference: link.transactions.last?.reference, logger: logger)
        }
        return try await payments.get(payment.id, logger: logger) ?? payment
    }

    /// Cancels the link at payOS (the renter pressed cancel) and records it.
    @discardableResult
    public func cancelAtPayOS(_ payment: Payment, reason: String?, audit: AuditContext, logger: Logger) async throws -> Payment {
        guard payment.status == .pending else { return payment }
        try rateLimiter?.admitPayOSCall(owner: payment.ownerID)
        let link = try await vault.withCredentials(owner: payment.ownerID.rawValue, purpose: "payment.cancel", audit: audit, logger: logger) {
            try await payOS.cancelPaymentLink(.orderCode(payment.orderCode), reason: reason, credentials: PayOSCredentials(unsealed: $0), logger: logger)
        }
        if let event = Self.event(for: link, source: .return) {
            try await settle(payment.id, event: event, reference: link.transactions.last?.reference, logger: logger)
        }
        return try await payments.get(payment.id, logger: logger) ?? payment
    }

    /// Applies an event in one transaction and publishes the change to the status view after it commits.
    ///
    /// - Parameter alsoInTransaction: more work that must commit or roll back with the state change (marking a
    ///   webhook processed, enqueueing notifications); it gets the change, or `nil` when nothing changed.
    @discardableResult
    public func settle(
        _ id: PaymentID, event: PaymentEvent, reference: String?, logger: Logger,
        alsoInTransaction: (@Sendable (any SQLConnection, PaymentStatusChange?) async throws -> Void)? = nil
    ) async throws -> PaymentStatusChange? {
        let change = try await database.withTransaction(logger: logger) { connection in
            let change = try await payments.apply(event, to: id, reference: reference, on: connection)
            // Notifications commit with the state change or not at all: none is lost, none is sent for a rolled-back change.
            if let change, let notifications { try await notifications.enqueue(for: change, on: connection) }
            try await alsoInTransaction?(connection, change)
            return change
        }
        if let change {
            await statusView.publish(change)
            logger.info(
                "payment status changed",
                metadata: [
                    "payment.id": "\(id)", "payment.from": "\(change.from.rawValue)", "payment.to": "\(change.to.rawValue)",
                    "payment.settled_by": "\(change.settledBy?.rawValue ?? "-")",
                ])
        }
        return change
    }

    /// What a payOS link's state means for our payment; `nil` when nothing has happened yet.
    public static func event(for link: PaymentLink, source: SettlementSource) -> PaymentEvent? {
        switch link.status {
        case .paid, .underpaid: return .paid(totalPaid: link.amountPaid, source: source)
        case .pending, .processing: return link.amountPaid > 0 ? .paid(totalPaid: link.amountPaid, source: source) : nil
        case .cancelled: return .cancelled(source: source)
        case .expired: return .expired(source: source)
        case .failed: return .failed(source: source)
        }
    }
}
