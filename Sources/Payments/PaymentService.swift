// Copyright (c) the Gatehouse authors
import Foundation
public import Logging
public import PayOS
import Sodium
public import Storage
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
    /// `true` when the booking's live link matched the request and is returned instead of a new one.
    public var reused: Bool = false
}

/// Creates payments through the owner's own payOS account and settles them from what payOS reports.
///
/// Every payOS call goes through ``TenantKeyAccess`` (the owner's payOS cap, then the owner's keys, unsealed for that
/// one call); every state change goes through ``PaymentSettlement`` (notifications in the same transaction).
/// Every collaborator comes in `init`: a copy of this value behaves exactly like the original.
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
        /// A live link is handed out again only while it has at least this long left: a renter needs time to pay.
        public var reuseMinimumRemainingMillis: Int64
        /// How long one request may hold a booking's link claim (a crashed holder's claim lapses after this): longer
        /// than a cancel plus a create at payOS with all their retries.
        public var linkClaimLeaseMillis: Int64
        /// How long a request waits for another instance's request creating the same booking's link.
        public var linkClaimWaitMillis: Int64

        public init(
            publicURL: String, linkLifetimeSeconds: Int64 = 900, idempotencyTakeoverMillis: Int64 = 120_000,
            firstReconcileCheckMillis: Int64 = 30_000, reuseMinimumRemainingMillis: Int64 = 120_000,
            linkClaimLeaseMillis: Int64 = 300_000, linkClaimWaitMillis: Int64 = 10_000
        ) {
            self.publicURL = publicURL
            self.linkLifetimeSeconds = linkLifetimeSeconds
            self.idempotencyTakeoverMillis = idempotencyTakeoverMillis
            self.firstReconcileCheckMillis = firstReconcileCheckMillis
            self.reuseMinimumRemainingMillis = reuseMinimumRemainingMillis
            self.linkClaimLeaseMillis = linkClaimLeaseMillis
            self.linkClaimWaitMillis = linkClaimWaitMillis
        }
    }

    let database: any SQLDatabase
    let bookings: BookingRepository
    let payments: PaymentRepository
    let idempotencyKeys: IdempotencyKeyRepository
    /// The one way a payment's state changes (shared with webhooks and reconciliation).
    public let settlement: PaymentSettlement
    let keyAccess: TenantKeyAccess
    let payOS: PayOSClient
    let tokens: RenterTokens
    /// The in-process status view renter polls are answered from (the renter-access layer reads it).
    public let statusView: PaymentStatusView
    let clock: WallClock
    let configuration: Configuration
    /// Serialises this instance's requests for one booking's link (the database claim serialises instances).
    let linkGate: KeyedSerialGate<BookingID>
    /// The confirming GETs, one in flight per payment, shared with the webhooks (``PaymentLinkFetches``).
    let linkFetches: PaymentLinkFetches

    /// - Parameters:
    ///   - database: for the transaction that stores a new payment with its idempotency answer.
    ///   - settlement: applies what payOS reports (the return page, the cancel redirect, reconciliation).
    ///   - keyAccess: every payOS call, under the owner's payOS cap with the owner's keys.
    ///   - tokens: derives each new payment's renter token.
    ///   - linkFetches: the confirming GETs; pass the instance the ``WebhookService`` uses, so they are shared.
    public init(
        database: any SQLDatabase, bookings: BookingRepository, payments: PaymentRepository, idempotencyKeys: IdempotencyKeyRepository,
        settlement: PaymentSettlement, keyAccess: TenantKeyAccess, payOS: PayOSClient, linkFetches: PaymentLinkFetches, tokens: RenterTokens,
        statusView: PaymentStatusView, clock: WallClock = .system, configuration: Configuration,
        linkGate: KeyedSerialGate<BookingID> = KeyedSerialGate()
    ) {
        self.linkGate = linkGate
        self.linkFetches = linkFetches
        self.database = database
        self.bookings = bookings
        self.payments = payments
        self.idempotencyKeys = idempotencyKeys
        self.settlement = settlement
        self.keyAccess = keyAccess
        self.payOS = payOS
        self.tokens = tokens
        self.statusView = statusView
        self.clock = clock
        self.configuration = configuration
    }

    // MARK: Renter tokens

    /// The renter token of a payment (see ``RenterTokens``).
    public func renterToken(paymentCode: String) -> String { tokens.token(paymentCode: paymentCode) }

    /// Whether `token` opens the payment whose stored hash is `storedHash` (constant time).
    public func renterTokenMatches(_ token: String, storedHash: [UInt8]) -> Bool { tokens.matches(token, storedHash: storedHash) }

    // MARK: Reading

    /// Where renters reach Gatehouse (no trailing slash): the base of the renter links the API hands out.
    public var publicURL: String { configuration.publicURL }

    /// The owner's payments, newest first.
    public func list(owner: OwnerID, status: PaymentStatus? = nil, limit: Int = 50, logger: Logger) async throws -> [Payment] {
        try await payments.list(owner: owner, status: status, limit: limit, logger: logger)
    }

    /// The owner's payment with this id; `nil` when it does not exist or belongs to another owner.
    public func payment(owner: OwnerID, id: PaymentID, logger: Logger) async throws -> Payment? {
        try await payments.get(owner: owner, id: id, logger: logger)
    }

    /// The owner's payment with this id and its booking; `nil` when either is missing or belongs to another owner.
    public func paymentWithBooking(owner: OwnerID, id: PaymentID, logger: Logger) async throws -> (Payment, Booking)? {
        guard let payment = try await payments.get(owner: owner, id: id, logger: logger),
            let booking = try await bookings.get(owner: owner, id: payment.bookingID, logger: logger)
        else { return nil }
        return (payment, booking)
    }

    /// The payment with this payOS orderCode, whoever owns it (payOS's redirects name only the orderCode).
    public func payment(orderCode: Int64, logger: Logger) async throws -> Payment? {
        try await payments.get(orderCode: orderCode, logger: logger)
    }

    /// Waits until the payment's status differs from `from`, or `timeout` passes (a renter's long poll); returns the
    /// current snapshot (`nil` when there is no such payment).
    public func waitForChange(of id: PaymentID, from: PaymentStatus, timeout: Duration, logger: Logger) async throws -> PaymentSnapshot? {
        try await statusView.waitForChange(of: id, from: from, timeout: timeout, logger: logger)
    }

    // MARK: Creating

    /// Creates a payment link at the owner's payOS for a booking, and stores the payment — or hands out the
    /// booking's live link: a booking has at most one live link.
    ///
    /// - The amount must equal the booking's; a booking already paid gets `conflict`.
    /// - While the booking has a pending link with enough time left, the same amount and the same description (or
    ///   none given and the link's is the default), that link is the answer (`reused`). Otherwise every pending link
    ///   of the booking is cancelled at payOS first, and the new one is created only after payOS confirmed the
    ///   cancel; a link payOS shows paid meanwhile settles the booking instead (`conflict`: already paid).
    /// - Requests for one booking take turns (in this process, then through the booking's claim across
    ///   instances), so concurrent requests create at most one link.
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
        let description = try Self.payOSDescription(request.description)
        if let key = idempotencyKey {
            try Self.checkIdempotencyKey(key)
            if let replay = try await claimIdempotencyKey(owner: owner, key: key, digest: request.digest, logger: logger) {
                return replay
            }
        }
        do {
            return try await linkGate.withTurn(for: booking.id) {
                try await withLinkClaim(owner: owner, booking: booking.id, logger: logger) {
                    try await reuseOrReplaceLink(
                        owner: owner, bookingID: booking.id, description: description, idempotencyKey: idempotencyKey, audit: audit,
                        logger: logger)
                }
            }
        } catch {
            if let key = idempotencyKey {
                // Release the key so a retry can try again; a stored answer is never removed.
                try? await idempotencyKeys.release(owner: owner, key: key, logger: logger)
            }
            throw error
        }
    }

    /// Reserves the idempotency key, or returns the stored answer of an earlier identical request.
    private func claimIdempotencyKey(owner: OwnerID, key: String, digest: [UInt8], logger: Logger) async throws -> CreatedPayment? {
        let now = clock.now()
        if try await idempotencyKeys.claim(owner: owner, key: key, requestHash: digest, at: now, logger: logger) { return nil }
        guard let record = try await idempotencyKeys.get(owner: owner, key: key, logger: logger) else {
            throw TenancyError.conflict("the Idempotency-Key is being used concurrently; retry")
        }
        guard ConstantTime.equals(record.requestHash, digest) else {
            throw TenancyError.conflict("this Idempotency-Key was already used with a different request")
        }
        if let paymentID = record.paymentID, let payment = try await payments.get(owner: owner, id: paymentID, logger: logger) {
            return CreatedPayment(payment: payment, renterToken: renterToken(paymentCode: payment.paymentCode), replayed: true)
        }
        // The first attempt died without an answer (or is still running): take the key over once it is old enough.
        guard now - record.startedAt > configuration.idempotencyTakeoverMillis,
            try await idempotencyKeys.takeOver(owner: owner, key: key, startedAt: record.startedAt, at: now, logger: logger)
        else { throw TenancyError.conflict("a request with this Idempotency-Key is still in progress; retry shortly") }
        return nil
    }

    /// Runs `body` holding the booking's link claim, waiting (bounded) for another instance's request to finish.
    private func withLinkClaim<T: Sendable>(owner: OwnerID, booking: BookingID, logger: Logger, _ body: () async throws -> T) async throws -> T {
        let claimID = RandomToken.base32(count: 20)
        let giveUpAt = clock.now() + configuration.linkClaimWaitMillis
        var pause = Duration.milliseconds(50)
        while try await !bookings.claimLink(
            owner: owner, booking: booking, claimID: claimID, until: clock.now() + configuration.linkClaimLeaseMillis, logger: logger)
        {
            guard clock.now() < giveUpAt else {
                throw TenancyError.conflict("a payment link for this booking is being created by another request; retry shortly")
            }
            try await Task.sleep(for: pause)
            pause = min(pause * 2, .milliseconds(500))
        }
        do {
            let value = try await body()
            try? await bookings.releaseLink(owner: owner, booking: booking, claimID: claimID, logger: logger)
            return value
        } catch {
            try? await bookings.releaseLink(owner: owner, booking: booking, claimID: claimID, logger: logger)
            throw error
        }
    }

    /// With the booking's claim held: the live link when it matches, else cancel the pending ones and create anew.
    private func reuseOrReplaceLink(
        owner: OwnerID, bookingID: BookingID, description: String?, idempotencyKey: String?, audit: AuditContext, logger: Logger
    ) async throws -> CreatedPayment {
        // Read again under the claim: the request before us may have paid, reused or replaced the link.
        guard let booking = try await bookings.get(owner: owner, id: bookingID, logger: logger) else { throw TenancyError.notFound("booking") }
        guard booking.paymentStatus != .paid else { throw TenancyError.conflict("this booking is already paid") }
        let pending = try await payments.pending(owner: owner, booking: bookingID, logger: logger)
        let now = clock.now()
        if let live = pending.first(where: { isReusable($0, for: booking, description: description, now: now) }) {
            if let key = idempotencyKey {
                try await database.withTransaction(logger: logger) { connection in
                    try await idempotencyKeys.recordAnswer(owner: owner, key: key, payment: live.id, on: connection)
                }
            }
            logger.info("live payment link handed out again", metadata: ["payment.id": "\(live.id)", "tenant.id": "\(owner)"])
            return CreatedPayment(payment: live, renterToken: renterToken(paymentCode: live.paymentCode), replayed: false, reused: true)
        }
        for old in pending {
            let after = try await cancelAtPayOS(old, reason: "Replaced by a new payment link", source: .superseded, audit: audit, logger: logger)
            switch after.status {
            case .pending:
                // payOS neither cancelled it nor shows it ended (e.g. a transfer is PROCESSING): no second live link.
                throw TenancyError.conflict("the booking's current payment link is being paid and cannot be replaced now; retry shortly")
            case .success:
                throw TenancyError.conflict("this booking is already paid")
            case .cancelled, .expired, .failed:
                logger.info("payment link superseded", metadata: ["payment.id": "\(old.id)", "payment.status": "\(after.status.rawValue)"])
            }
        }
        return try await createLinkAndStore(
            owner: owner, booking: booking, description: description, idempotencyKey: idempotencyKey, audit: audit, logger: logger)
    }

    /// Whether `payment` answers a request for `booking` with `description` (`nil`: the default one).
    func isReusable(_ payment: Payment, for booking: Booking, description: String?, now: Int64) -> Bool {
        guard payment.status == .pending, payment.amount == booking.amount,
            payment.expiresAt - now >= configuration.reuseMinimumRemainingMillis
        else { return false }
        return payment.description == (description ?? Self.defaultDescription(orderCode: payment.orderCode))
    }

    private func createLinkAndStore(
        owner: OwnerID, booking: Booking, description given: String?, idempotencyKey: String?, audit: AuditContext, logger: Logger
    ) async throws -> CreatedPayment {
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
            let description = given ?? Self.defaultDescription(orderCode: orderCode)
            let linkRequest = CreatePaymentLinkRequest(
                orderCode: orderCode, amount: booking.amount, description: description, cancelUrl: "\(base)/payment/cancel",
                returnUrl: "\(base)/payment/return", buyerName: renter.name, buyerEmail: renter.email, buyerPhone: renter.phone,
                expiredAt: expiresAtSeconds)
            let link: CreatePaymentLinkResult
            do {
                link = try await keyAccess.withPayOSCredentials(owner: owner, purpose: "payment.create", audit: audit, logger: logger) {
                    try await payOS.createPaymentLink(linkRequest, credentials: $0, logger: logger)
                }
            } catch let error as PayOSError where error.isBusiness(PayOSError.BusinessCode.orderCodeExists) {
                lastError = error
                continue
            } catch let error as PayOSError where error.isBusiness("20") && error.businessDescription?.contains("tối đa 9") == true {
                // The owner's receiving account is not linked through payOS: payOS takes at most 9 characters there.
                throw TenancyError.validation(
                    "description must be at most 9 characters for this owner's bank account (it is not linked through payOS); "
                        + "leave it out to get a short one derived from the order")
            }
            let created = link.created
            let newPayment = NewPayment(
                ownerID: owner, bookingID: booking.id, renterID: renter.id, paymentCode: paymentCode, orderCode: orderCode,
                amount: booking.amount, description: description,
                renterTokenHash: tokens.storedHash(of: token), expiresAt: expiresAtSeconds * 1000,
                paymentLinkID: link.paymentLinkId, checkoutURL: link.checkoutUrl, qrCode: created?.qrCode ?? "",
                bankBIN: created?.bin ?? "", accountNumber: created?.accountNumber ?? "", accountName: created?.accountName ?? "",
                customerName: renter.name, customerEmail: renter.email, customerPhone: renter.phone)
            let payment = try await database.withTransaction(logger: logger) { connection in
                // Checked again under the booking's row lock (the one settlement takes): a payment of this booking
                // may have succeeded meanwhile.
                _ = try await connection.query("SELECT id FROM booking WHERE id = \(booking.id)\(unescaped: connection.dialect.forUpdate)")
                if try await payments.hasSuccessfulPayment(booking: booking.id, on: connection) {
                    throw TenancyError.conflict("this booking is already paid")
                }
                let payment = try await payments.insert(
                    newPayment, firstCheckAfterMillis: configuration.firstReconcileCheckMillis, on: connection)
                if let key = idempotencyKey {
                    try await idempotencyKeys.recordAnswer(owner: owner, key: key, payment: payment.id, on: connection)
                }
                return payment
            }
            // The first webhook for it, on the shared route, then finds its owner without a read.
            statusView.orderCodes.remember(payment)
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

    /// An `Idempotency-Key` header: 1 to 200 visible ASCII characters (`idempotency_key.idem_key` is `VARCHAR(200)`).
    /// ASCII only because a header value is bytes: other bytes are not reliably UTF-8, and ill-formed ones reach us
    /// as U+FFFD, so two different keys could be stored as one (a false replay). The draft standard makes it an
    /// `sf-string`, which is ASCII too.
    static func checkIdempotencyKey(_ key: String) throws(TenancyError) {
        guard (1...200).contains(key.utf8.count), key.utf8.allSatisfy({ (0x21...0x7E).contains($0) }) else {
            throw .validation("Idempotency-Key must be 1 to 200 visible ASCII characters (no spaces or control characters)")
        }
    }

    /// `payment.description` as the owner gives it, before accents are removed: one line, within the column.
    static let descriptionField = TextField("description", maximum: 255)
    /// The description payOS takes: at most 25 UTF-16 code units (payOS's own rule, see ``CreatePaymentLinkRequest``).
    static let payOSDescriptionField = TextField("description", maximum: CreatePaymentLinkRequest.maximumDescriptionLength, unit: .utf16Units)

    /// The default description: `D` and the orderCode in base 36, upper case — 9 characters at most, so it fits every
    /// payOS account (9 for accounts not linked through payOS, 25 for linked ones), and unique to the order, so a
    /// transfer's content names the payment it is for.
    static func defaultDescription(orderCode: Int64) -> String {
        "D" + String(orderCode, radix: 36, uppercase: true)
    }

    /// The payOS description the owner gave, with Vietnamese accents removed (≤ 25 ASCII characters), or `nil` when
    /// none was given (then ``defaultDescription(orderCode:)``).
    static func payOSDescription(_ given: String?) throws(TenancyError) -> String? {
        let given = try descriptionField.validated(given ?? "", required: false)
        guard !given.isEmpty else { return nil }
        let folded = given.replacingOccurrences(of: "đ", with: "d").replacingOccurrences(of: "Đ", with: "D")
            .folding(options: [.diacriticInsensitive, .widthInsensitive], locale: Locale(identifier: "vi_VN"))
        guard folded.unicodeScalars.allSatisfy({ $0.isASCII && $0.value >= 0x20 && $0.value < 0x7F }) else {
            throw .validation("description must be plain text (letters, digits, punctuation)")
        }
        guard payOSDescriptionField.unit.count(folded) <= payOSDescriptionField.maximum else {
            throw .validation("description must be at most 25 characters without accents (payOS's limit: 25 UTF-16 code units)")
        }
        return try payOSDescriptionField.validated(folded)
    }

    // MARK: Settling

    /// Asks the owner's payOS for the link's current state and applies it (used by the return page and reconciliation).
    /// Concurrent asks about one payment, webhooks' included, share one GET (``PaymentLinkFetches``).
    /// Returns the payment as stored afterwards.
    @discardableResult
    public func confirmWithPayOS(_ payment: Payment, source: SettlementSource, audit: AuditContext, logger: Logger) async throws -> Payment {
        guard payment.status == .pending else { return payment }
        let link = try await linkFetches.link(
            owner: payment.ownerID, orderCode: payment.orderCode, purpose: "payment.confirm", audit: audit, logger: logger)
        return try await apply(link, to: payment, source: source, logger: logger)
    }

    /// Cancels the link at payOS (the renter pressed cancel) and records it.
    @discardableResult
    ///
    /// payOS refuses to cancel a link that is already paid or expired (a business error, e.g. code 20): the renter may
    /// have paid in another tab a moment ago. Then the link is fetched and settled from what payOS says, so the renter
    /// lands on the page that tells the truth (success, or failed) rather than an error.
    public func cancelAtPayOS(
        _ payment: Payment, reason: String?, source: SettlementSource = .return, audit: AuditContext, logger: Logger
    ) async throws -> Payment {
        guard payment.status == .pending else { return payment }
        let link: PaymentLink
        do {
            link = try await keyAccess.withPayOSCredentials(owner: payment.ownerID, purpose: "payment.cancel", audit: audit, logger: logger) {
                try await payOS.cancelPaymentLink(.orderCode(payment.orderCode), reason: reason, credentials: $0, logger: logger)
            }
        } catch let error as PayOSError where error.code == .business {
            logger.notice(
                "payOS refused the cancel; settling from the link's state", metadata: ["payos.code": "\(error.businessCode ?? "-")"])
            return try await confirmWithPayOS(payment, source: source, audit: audit, logger: logger)
        }
        return try await apply(link, to: payment, source: source, logger: logger)
    }

    /// Settles what the link's state means (if anything) and returns the payment as stored afterwards.
    private func apply(_ link: PaymentLink, to payment: Payment, source: SettlementSource, logger: Logger) async throws -> Payment {
        if let event = PaymentSettlement.event(for: link, source: source, pastExpiry: clock.now() >= payment.expiresAt) {
            try await settlement.settle(payment.id, event: event, reference: link.transactions.last?.reference, logger: logger)
        }
        return try await payments.get(payment.id, logger: logger) ?? payment
    }
}
