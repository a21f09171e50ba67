// Copyright (c) the Gatehouse authors
import PayOS
import Tenancy
public import GatehouseCore
public import Payments

/// What every renter page needs besides its content: the language and the CSP nonce.
public struct PageContext: Sendable, Hashable {
    /// The page's language (see ``PageLocale/negotiate(acceptLanguage:query:cookie:)``).
    public var locale: PageLocale
    /// A fresh random value per response, put on the page's `<style>` and `<script>` elements, so the controller can
    /// send `Content-Security-Policy: script-src 'nonce-…'; style-src 'nonce-…'` and forbid every other script.
    /// Use base64 or hex characters (at least 128 random bits).
    public var nonce: String

    public init(locale: PageLocale, nonce: String) {
        self.locale = locale
        self.nonce = nonce
    }
}

/// A notification shown to the renter on the status page (e.g. "Chủ nhà đã xác nhận đặt phòng").
public struct RenterNotice: Sendable, Hashable {
    public var message: String
    /// Unix milliseconds; shown in Vietnam time when present.
    public var createdAt: Int64?

    public init(message: String, createdAt: Int64? = nil) {
        self.message = message
        self.createdAt = createdAt
    }
}

/// The booking details shown on every payment page.
public struct BookingSummary: Sendable, Hashable {
    public var roomTitle: String
    /// Unix milliseconds.
    public var startTime: Int64
    /// Unix milliseconds; `nil` shows the start time alone.
    public var endTime: Int64?

    public init(roomTitle: String, startTime: Int64, endTime: Int64?) {
        self.roomTitle = roomTitle
        self.startTime = startTime
        self.endTime = endTime
    }

    public init(_ booking: Booking) {
        self.init(roomTitle: booking.roomTitle, startTime: booking.startTime, endTime: booking.endTime)
    }
}

/// The status page of a payment: QR code, transfer details, countdown, and the self-updating status.
public struct StatusPageModel: Sendable, Hashable {
    public var page: PageContext
    public var booking: BookingSummary
    /// VND.
    public var amount: Int64
    /// VND received so far; above zero and below `amount` shows the "transfer the rest" notice.
    public var amountPaid: Int64
    public var paymentCode: String
    public var status: PaymentStatus
    /// Unix milliseconds.
    public var expiresAt: Int64
    /// The server's clock at render time (Unix milliseconds). The countdown starts from `expiresAt - now`, so a
    /// renter's wrong phone clock cannot show a wrong remaining time.
    public var now: Int64
    /// The VietQR code as an SVG document, inserted into the page **unescaped**. It must come only from our own QR
    /// renderer (Sources/QRCode), never from payOS or user input; anything before `<svg` (an XML declaration or
    /// comment) is dropped. It should carry a `viewBox` so it scales to the card, and presentation attributes
    /// (`fill=`) rather than `style=` attributes, which a strict CSP would block. `nil` hides the QR block.
    public var qrSVG: String?
    /// NAPAS BIN of the receiving bank (shown as the bank's short name).
    public var bankBIN: String?
    public var accountNumber: String?
    public var accountName: String?
    /// The transfer content the renter must type (payOS `description`).
    public var transferContent: String?
    /// payOS's hosted checkout page, offered as another way to pay. Only `https://` and `http://` URLs are linked.
    public var checkoutURL: String?
    /// Relative URL of the status JSON (the seed's `{status, message, payment_status, redirect}`), e.g.
    /// `/payment/refresh-status/456`. The script appends `wait=<waitSeconds>` for long-polling.
    public var refreshURL: String
    /// How long the server may hold a long-poll before answering "still pending".
    public var waitSeconds: Int
    /// Relative URL answering `{"has_new": Bool, "notifications": [{"message": String, "created_at": String?}]}`;
    /// `nil` hides the notifications area unless `notifications` is non-empty.
    public var notificationsURL: String?
    /// Notifications known at render time (shown without JavaScript too).
    public var notifications: [RenterNotice]

    public init(
        page: PageContext,
        booking: BookingSummary,
        amount: Int64,
        amountPaid: Int64 = 0,
        paymentCode: String,
        status: PaymentStatus,
        expiresAt: Int64,
        now: Int64,
        qrSVG: String?,
        bankBIN: String?,
        accountNumber: String?,
        accountName: String?,
        transferContent: String?,
        checkoutURL: String?,
        refreshURL: String,
        waitSeconds: Int = 25,
        notificationsURL: String? = nil,
        notifications: [RenterNotice] = []
    ) {
        self.page = page
        self.booking = booking
        self.amount = amount
        self.amountPaid = amountPaid
        self.paymentCode = paymentCode
        self.status = status
        self.expiresAt = expiresAt
        self.now = now
        self.qrSVG = qrSVG
        self.bankBIN = bankBIN
        self.accountNumber = accountNumber
        self.accountName = accountName
        self.transferContent = transferContent
        self.checkoutURL = checkoutURL
        self.refreshURL = refreshURL
        self.waitSeconds = waitSeconds
        self.notificationsURL = notificationsURL
        self.notifications = notifications
    }

    /// The model for `payment` of `booking`; the QR SVG is rendered by the caller from `payment.qrCode`.
    public init(
        page: PageContext,
        payment: Payment,
        booking: Booking,
        now: Int64,
        qrSVG: String?,
        refreshURL: String,
        waitSeconds: Int = 25,
        notificationsURL: String? = nil,
        notifications: [RenterNotice] = []
    ) {
        self.init(
            page: page,
            booking: BookingSummary(booking),
            amount: payment.amount,
            amountPaid: payment.amountPaid,
            paymentCode: payment.paymentCode,
            status: payment.status,
            expiresAt: payment.expiresAt,
            now: now,
            qrSVG: qrSVG,
            bankBIN: payment.bankBIN,
            accountNumber: payment.accountNumber,
            accountName: payment.accountName,
            transferContent: payment.qrCode.flatMap(VietQR.purpose(of:)) ?? payment.description,
            checkoutURL: payment.checkoutURL,
            refreshURL: refreshURL,
            waitSeconds: waitSeconds,
            notificationsURL: notificationsURL,
            notifications: notifications
        )
    }
}

/// The page shown once a payment has succeeded: a receipt.
public struct SuccessPageModel: Sendable, Hashable {
    public var page: PageContext
    public var booking: BookingSummary
    /// VND.
    public var amount: Int64
    /// VND actually received; shown separately only when it differs from `amount` (an overpayment).
    public var amountPaid: Int64?
    public var paymentCode: String
    /// Unix milliseconds.
    public var paidAt: Int64?
    /// The bank's transaction reference, when payOS reported one.
    public var transactionReference: String?
    /// A link back to the owner's site; only `https://`, `http://` and `/…` URLs are linked.
    public var backURL: String?

    public init(
        page: PageContext,
        booking: BookingSummary,
        amount: Int64,
        amountPaid: Int64? = nil,
        paymentCode: String,
        paidAt: Int64?,
        transactionReference: String?,
        backURL: String? = nil
    ) {
        self.page = page
        self.booking = booking
        self.amount = amount
        self.amountPaid = amountPaid
        self.paymentCode = paymentCode
        self.paidAt = paidAt
        self.transactionReference = transactionReference
        self.backURL = backURL
    }

    public init(page: PageContext, payment: Payment, booking: Booking, backURL: String? = nil) {
        self.init(
            page: page,
            booking: BookingSummary(booking),
            amount: payment.amount,
            amountPaid: payment.amountPaid,
            paymentCode: payment.paymentCode,
            paidAt: payment.paidAt,
            transactionReference: payment.transactionReference,
            backURL: backURL
        )
    }
}

/// The page shown for a payment that ended without success.
public struct FailedPageModel: Sendable, Hashable {
    /// Why the payment ended; each has its own title and explanation.
    public enum Outcome: String, Sendable, Hashable, CaseIterable {
        case failed
        case cancelled
        case expired

        /// The outcome for a terminal non-success status; `nil` for `pending` and `success`.
        public init?(_ status: PaymentStatus) {
            switch status {
            case .failed: self = .failed
            case .cancelled: self = .cancelled
            case .expired: self = .expired
            case .pending, .success: return nil
            }
        }

        var paymentStatus: PaymentStatus {
            switch self {
            case .failed: .failed
            case .cancelled: .cancelled
            case .expired: .expired
            }
        }
    }

    public var page: PageContext
    public var outcome: Outcome
    public var booking: BookingSummary
    /// VND.
    public var amount: Int64
    /// VND received before the payment ended; above zero shows "we received … contact the owner".
    public var amountPaid: Int64
    public var paymentCode: String
    /// A link back to the owner's site; only `https://`, `http://` and `/…` URLs are linked.
    public var backURL: String?

    public init(
        page: PageContext,
        outcome: Outcome,
        booking: BookingSummary,
        amount: Int64,
        amountPaid: Int64 = 0,
        paymentCode: String,
        backURL: String? = nil
    ) {
        self.page = page
        self.outcome = outcome
        self.booking = booking
        self.amount = amount
        self.amountPaid = amountPaid
        self.paymentCode = paymentCode
        self.backURL = backURL
    }

    /// The model for a payment that ended in `failed`, `cancelled` or `expired`; `nil` for any other status.
    public init?(page: PageContext, payment: Payment, booking: Booking, backURL: String? = nil) {
        guard let outcome = Outcome(payment.status) else { return nil }
        self.init(
            page: page,
            outcome: outcome,
            booking: BookingSummary(booking),
            amount: payment.amount,
            amountPaid: payment.amountPaid,
            paymentCode: payment.paymentCode,
            backURL: backURL
        )
    }
}

/// A generic error page for renters: an HTTP status and a short, localised message.
public struct ErrorPageModel: Sendable, Hashable {
    /// The messages the gateway shows renters, localised from the strings table.
    public enum Message: Sendable, Hashable {
        /// 404 "Không tìm thấy thanh toán".
        case paymentNotFound
        /// 403 "Liên kết thanh toán không hợp lệ hoặc đã hết hạn" (bad or missing token).
        case linkInvalid
        /// 429.
        case rateLimited
        /// 500 and other server-side failures. Never put an error's own description on a page.
        case serverError
        /// Text the caller has already localised (it is escaped like everything else).
        case custom(String)
    }

    public var page: PageContext
    /// The HTTP status the controller sends; shown small on the page to help support.
    public var statusCode: Int
    public var message: Message

    public init(page: PageContext, statusCode: Int, message: Message) {
        self.page = page
        self.statusCode = statusCode
        self.message = message
    }

    public static func paymentNotFound(page: PageContext) -> Self { .init(page: page, statusCode: 404, message: .paymentNotFound) }
    public static func linkInvalid(page: PageContext) -> Self { .init(page: page, statusCode: 403, message: .linkInvalid) }
    public static func rateLimited(page: PageContext) -> Self { .init(page: page, statusCode: 429, message: .rateLimited) }
    public static func serverError(page: PageContext) -> Self { .init(page: page, statusCode: 500, message: .serverError) }
}
