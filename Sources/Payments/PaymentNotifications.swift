// Copyright (c) the Gatehouse authors
public import Logging
import Mailer
public import Storage
import GatehouseCore
public import Tenancy
public import Notifications

/// What a successful payment tells people, written in the settlement's own transaction:
/// - an e-mail to the renter ("payment received, booking confirmed") and one to the owner ("new payment"), through
///   the ``NotificationOutbox`` (deduplicated by `payment:<id>:renter:success` / `payment:<id>:owner:success`);
/// - a web notification for the renter's status page (recipient `renter`, id = payment id) and one for the owner
///   (recipient `owner`, id = owner id).
///
/// Language: each e-mail carries both languages, Vietnamese first, then English, because Gatehouse knows no
/// recipient's language (renters have no account; owners have no language setting). Web notifications hold one
/// line in each language too (the page shows what is stored). Amounts read `500.000 ₫` in Vietnamese and
/// `500,000 ₫` in English, times are Vietnam time — the renter pages' conventions.
///
/// Because everything is written in the settlement transaction, the notifications exist exactly when the payment is
/// `success`: a rolled-back settlement leaves none, and a committed one always has them.
public struct PaymentNotifications: Sendable {
    public struct Configuration: Sendable {
        /// Where renters reach Gatehouse (no trailing slash), for the receipt link in the renter's e-mail.
        public var publicURL: String?
        /// Whether the receipt link carries the renter's token, so it opens without the cookie (the outbox worker puts
        /// the token in at send time and must then be given the renter tokens); `false` leaves the link out.
        public var linksRenterToken: Bool

        public init(publicURL: String? = nil, linksRenterToken: Bool = false) {
            self.publicURL = publicURL
            self.linksRenterToken = linksRenterToken
        }
    }

    let outbox: NotificationOutbox
    let web: WebNotifications
    let configuration: Configuration
    let logger: Logger

    /// The texts read the payment, booking, owner and renter on the settlement's connection (``context(of:on:)``).
    public init(outbox: NotificationOutbox, web: WebNotifications, configuration: Configuration = .init(), logger: Logger) {
        self.outbox = outbox
        self.web = web
        self.configuration = configuration
        self.logger = logger
    }

    /// Enqueues the notifications of `change` on `connection`, inside the caller's (settlement) transaction.
    ///
    /// A change *to* `success` notifies the renter and the owner; a change that flags a refund tells the owner (an
    /// e-mail and a web notification); any other change returns at once. Calling it twice for the same change adds
    /// nothing. A recipient address the mailer cannot use skips that one e-mail (logged) rather than failing the
    /// settlement; database errors propagate and roll the settlement back with everything else.
    /// - Returns: whether an e-mail row was inserted (the caller wakes the outbox worker once it commits:
    ///   ``emailsCommitted()``).
    @discardableResult
    public func enqueue(for change: PaymentStatusChange, on connection: any SQLConnection) async throws -> Bool {
        var mailed = false
        if let refund = change.refund { mailed = try await enqueueRefund(refund, for: change, on: connection) }
        guard change.to == .success, change.from != .success else { return mailed }
        guard let (payment, booking, owner, renter) = try await Self.context(of: change, on: connection) else { return mailed }
        let renterName = renter?.name ?? payment.customerName ?? ""
        let renterEmail = renter?.email ?? payment.customerEmail

        let content = PaymentSuccessContent(
            payment: payment, booking: booking, owner: owner, renterName: renterName, renterAddress: renterEmail,
            paidAt: payment.paidAt ?? change.at, receiptURL: receiptURL(payment))
        var metadata: Logger.Metadata = ["payment.id": "\(payment.id)", "tenant.id": "\(payment.ownerID)"]

        var emails: [OutboxEmail] = []
        for email in [content.renterEmail, Optional(content.ownerEmail)].compactMap({ $0 }) {
            do {
                try NotificationOutbox.validate(email)
                emails.append(email)
            } catch {
                metadata["outbox.kind"] = "\(email.kind)"
                logger.warning("payment e-mail skipped: the recipient address cannot be used", metadata: metadata)
            }
        }
        if try await outbox.enqueue(emails, on: connection) { mailed = true }
        try await web.insert([content.renterNotice, content.ownerNotice], on: connection)
        return mailed
    }

    /// Wakes this instance's outbox worker: call after the transaction in which ``enqueue(for:on:)`` returned `true`
    /// has committed (before the commit the worker could not see the rows).
    public func emailsCommitted() {
        outbox.wakeWorker()
    }

    /// The owner's "refund due" e-mail and web notification.
    private func enqueueRefund(_ reason: RefundReason, for change: PaymentStatusChange, on connection: any SQLConnection) async throws -> Bool {
        guard let (payment, booking, owner, renter) = try await Self.context(of: change, on: connection) else { return false }
        let content = PaymentRefundContent(
            payment: payment, booking: booking, owner: owner, reason: reason, renterName: renter?.name ?? payment.customerName ?? "",
            renterAddress: renter?.email ?? payment.customerEmail)
        logger.warning(
            "refund due", metadata: ["payment.id": "\(payment.id)", "tenant.id": "\(payment.ownerID)", "refund.reason": "\(reason.rawValue)"])
        let email = content.ownerEmail
        var mailed = false
        if (try? NotificationOutbox.validate(email)) != nil {
            mailed = try await outbox.enqueue(email, on: connection)
        } else {
            logger.warning("refund e-mail skipped: the owner's address cannot be used", metadata: ["payment.id": "\(payment.id)"])
        }
        try await web.insert(content.ownerNotice, on: connection)
        return mailed
    }

    /// The payment as changed, its booking, its owner and its renter (if any), for the texts: one plain read on the
    /// settlement's connection (it sees the transaction's own update), every table scoped to the payment's owner. It takes
    /// no locks: the settlement already holds the payment's and the booking's, and locking the owner's row would
    /// serialise all of that owner's settlements and payment inserts. `nil` when the booking or owner is missing.
    static func context(of change: PaymentStatusChange, on connection: any SQLConnection) async throws -> (Payment, Booking, Owner, Renter?)? {
        let select = [
            SQLRow.select(PaymentRepository.columns, of: "p"), SQLRow.select(BookingRepository.columns, of: "b"),
            SQLRow.select(OwnerRepository.columns, of: "o"), SQLRow.select(BookingRepository.renterColumns, of: "r"),
        ].joined(separator: ", ")
        guard
            let row = try await connection.query(
                """
                SELECT \(unescaped: select)
                FROM payment p
                    JOIN booking b ON b.id = p.booking_id AND b.owner_id = p.owner_id
                    JOIN owner o ON o.id = p.owner_id
                    LEFT JOIN renter r ON r.id = p.renter_id AND r.owner_id = p.owner_id
                WHERE p.id = \(change.paymentID) AND p.owner_id = \(change.ownerID)
                """
            ).first
        else { return nil }
        let renter = row.part("r")
        let hasRenter = renter["id"].map { $0 != .null } ?? false  // the LEFT JOIN found one
        return (
            try PaymentRepository.decode(row.part("p")), try BookingRepository.decode(row.part("b")), try OwnerRepository.decode(row.part("o")),
            hasRenter ? try BookingRepository.decodeRenter(renter) : nil
        )
    }

    /// The receipt link as stored: its token is ``OutboxEmail/renterTokenPlaceholder``, which the outbox worker
    /// completes at send time (``OutboxEmail/renterLinkPaymentCode``), so no renter token is ever written to the outbox.
    private func receiptURL(_ payment: Payment) -> String? {
        guard let base = configuration.publicURL, configuration.linksRenterToken else { return nil }
        return "\(base)/payment/success/\(payment.id.rawValue)?t=\(OutboxEmail.renterTokenPlaceholder)"
    }
}

/// The texts of a successful payment's notifications (pure: unit-testable without a database).
struct PaymentSuccessContent: Sendable {
    let payment: Payment
    let booking: Booking
    let owner: Owner
    let renterName: String
    let renterAddress: String?
    let paidAt: Int64
    let receiptURL: String?

    static let separator = "\n\n――――――――――――――――――――\n\n"
    static let footer = "\n\n--\nGatehouse · Email tự động, vui lòng không trả lời. / Automated e-mail, please do not reply.\n"

    /// "Payment received / booking confirmed", to the renter; `nil` when the renter has no address.
    var renterEmail: OutboxEmail? { renterAddress.map(makeRenterEmail) }

    private func makeRenterEmail(to address: String) -> OutboxEmail {
        let name = renterName.isEmpty ? "bạn" : renterName
        let nameEN = renterName.isEmpty ? "there" : renterName
        var vi = """
            Xin chào \(name),

            Chúng tôi đã nhận được thanh toán của bạn. Đặt phòng của bạn đã được xác nhận.

              Phòng:           \(booking.roomTitle)
              Thời gian:       \(VietnamTime.formatRange(start: booking.startTime, end: booking.endTime, locale: .vi))
              Số tiền:         \(VND.format(payment.amountPaid, locale: .vi))
              Mã thanh toán:   \(payment.paymentCode)
              Thanh toán lúc:  \(VietnamTime.format(paidAt, locale: .vi)) (giờ Việt Nam)
              Chủ nhà:         \(owner.name)
            """
        var en = """
            Hello \(nameEN),

            We have received your payment. Your booking is confirmed.

              Room:          \(booking.roomTitle)
              Stay:          \(VietnamTime.formatRange(start: booking.startTime, end: booking.endTime, locale: .en))
              Amount:        \(VND.format(payment.amountPaid, locale: .en))
              Payment code:  \(payment.paymentCode)
              Paid at:       \(VietnamTime.format(paidAt, locale: .en)) (Vietnam time)
              Host:          \(owner.name)
            """
        if let receiptURL {
            vi += "\n\nXem biên nhận: \(receiptURL)"
            en += "\n\nView your receipt: \(receiptURL)"
        }
        vi += "\n\nCảm ơn bạn!"
        en += "\n\nThank you!"
        return OutboxEmail(
            ownerID: payment.ownerID, kind: "payment_success_renter", recipient: address,
            subject: "Đã nhận thanh toán – đặt phòng đã được xác nhận / Payment received – booking confirmed (\(payment.paymentCode))",
            body: vi + Self.separator + en + Self.footer, dedupeKey: "payment:\(payment.id.rawValue):renter:success",
            renterLinkPaymentCode: receiptURL == nil ? nil : payment.paymentCode)
    }

    /// "New payment", to the owner.
    var ownerEmail: OutboxEmail {
        let renterLine = [renterName, renterAddress, payment.customerPhone].compactMap { $0 }.filter { !$0.isEmpty }.joined(separator: ", ")
        let source: (vi: String, en: String) =
            switch payment.settledBy {
            case .webhook: ("webhook payOS", "payOS webhook")
            case .reconciliation: ("đối soát với payOS", "reconciliation with payOS")
            case .return: ("trang trả về, đã xác minh với payOS", "return page, verified with payOS")
            case .superseded: ("liên kết thay thế, đã xác minh với payOS", "replaced link, verified with payOS")
            case nil: ("payOS", "payOS")
            }
        var vi = """
            Xin chào \(owner.name),

            Bạn vừa nhận được một khoản thanh toán mới qua payOS.

              Mã thanh toán:   \(payment.paymentCode) (orderCode \(payment.orderCode))
              Số tiền:         \(VND.format(payment.amountPaid, locale: .vi))
              Phòng:           \(booking.roomTitle)
              Thời gian:       \(VietnamTime.formatRange(start: booking.startTime, end: booking.endTime, locale: .vi))
              Khách:           \(renterLine)
              Thanh toán lúc:  \(VietnamTime.format(paidAt, locale: .vi)) (giờ Việt Nam)
              Xác nhận qua:    \(source.vi)
            """
        var en = """
            Hello \(owner.name),

            You have received a new payment through payOS.

              Payment code:  \(payment.paymentCode) (orderCode \(payment.orderCode))
              Amount:        \(VND.format(payment.amountPaid, locale: .en))
              Room:          \(booking.roomTitle)
              Stay:          \(VietnamTime.formatRange(start: booking.startTime, end: booking.endTime, locale: .en))
              Guest:         \(renterLine)
              Paid at:       \(VietnamTime.format(paidAt, locale: .en)) (Vietnam time)
              Confirmed by:  \(source.en)
            """
        if let reference = payment.transactionReference, !reference.isEmpty {
            vi += "\n  Mã giao dịch:    \(reference)"
            en += "\n  Reference:     \(reference)"
        }
        return OutboxEmail(
            ownerID: payment.ownerID, kind: "payment_success_owner", recipient: owner.email,
            subject: "Thanh toán mới \(VND.format(payment.amountPaid, locale: .vi)) / New payment (\(payment.paymentCode))",
            body: vi + Self.separator + en + Self.footer, dedupeKey: "payment:\(payment.id.rawValue):owner:success")
    }

    /// Shown on the renter's status page.
    var renterNotice: NewWebNotification {
        NewWebNotification(
            ownerID: payment.ownerID, recipient: .renter(payment.id), paymentID: payment.id, kind: "payment_success",
            title: "Thanh toán thành công · Payment successful",
            message: "Đã nhận \(VND.format(payment.amountPaid, locale: .vi)). Đặt phòng \(booking.roomTitle) đã được xác nhận. · "
                + "\(VND.format(payment.amountPaid, locale: .en)) received. Your booking of \(booking.roomTitle) is confirmed.")
    }

    /// For the owner's dashboard.
    var ownerNotice: NewWebNotification {
        let who = renterName.isEmpty ? "Khách" : renterName
        let whoEN = renterName.isEmpty ? "A guest" : renterName
        return NewWebNotification(
            ownerID: payment.ownerID, recipient: .owner(payment.ownerID), paymentID: payment.id, kind: "payment_received",
            title: "Thanh toán mới · New payment",
            message: "\(who) đã thanh toán \(VND.format(payment.amountPaid, locale: .vi)) cho \(booking.roomTitle) (\(payment.paymentCode)). · "
                + "\(whoEN) paid \(VND.format(payment.amountPaid, locale: .en)) for \(booking.roomTitle) (\(payment.paymentCode)).")
    }
}
