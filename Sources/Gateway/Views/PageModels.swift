// Copyright (c) the Gatehouse authors
import PayOS
import Tenancy
public import GatehouseCore
import Payments

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
struct RenterNotice: Sendable, Hashable {
    var message: String
    /// Unix milliseconds; shown in Vietnam time when present.
    var createdAt: Int64?
}

/// The booking details shown on every payment page.
struct BookingSummary: Sendable, Hashable {
    var roomTitle: String
    /// Unix milliseconds.
    var startTime: Int64
    /// Unix milliseconds; `nil` shows the start time alone.
    var endTime: Int64?
}

extension BookingSummary {
    init(_ booking: Booking) {
        self.init(roomTitle: booking.roomTitle, startTime: booking.startTime, endTime: booking.endTime)
    }
}

/// What every payment page shows of the payment itself.
struct PaymentSummary: Sendable, Hashable {
    var booking: BookingSummary
    /// VND.
    var amount: Int64
    /// VND received so far: on the status page, above zero and below `amount` shows the "transfer the rest" notice; on
    /// the receipt it is shown separately when it differs from `amount` (an overpayment); on the failed page, above
    /// zero shows "we received … contact the owner".
    var amountPaid: Int64 = 0
    var paymentCode: String
}

extension PaymentSummary {
    init(_ payment: Payment, booking: Booking) {
        self.init(booking: BookingSummary(booking), amount: payment.amount, amountPaid: payment.amountPaid, paymentCode: payment.paymentCode)
    }
}

/// The status page of a payment: QR code, transfer details, countdown, and the self-updating status.
struct StatusPageModel: Sendable, Hashable {
    var page: PageContext
    var payment: PaymentSummary
    var status: PaymentStatus
    /// Unix milliseconds.
    var expiresAt: Int64
    /// The server's clock at render time (Unix milliseconds). The countdown starts from `expiresAt - now`, so a
    /// renter's wrong phone clock cannot show a wrong remaining time.
    var now: Int64
    /// The VietQR code as an SVG document, inserted into the page **unescaped**. It must come only from our own QR
    /// renderer (Sources/QRCode), never from payOS or user input; anything before `<svg` (an XML declaration or
    /// comment) is dropped. It should carry a `viewBox` so it scales to the card, and presentation attributes
    /// (`fill=`) rather than `style=` attributes, which a strict CSP would block. `nil` hides the QR block.
    var qrSVG: String?
    /// NAPAS BIN of the receiving bank (shown as the bank's short name).
    var bankBIN: String?
    var accountNumber: String?
    var accountName: String?
    /// The transfer content the renter must type (payOS `description`).
    var transferContent: String?
    /// payOS's hosted checkout page, offered as another way to pay. Only `https://` and `http://` URLs are linked.
    var checkoutURL: String?
    /// Relative URL of the status JSON (the seed's `{status, message, payment_status, redirect}`), e.g.
    /// `/payment/refresh-status/456`. The script appends `wait=<waitSeconds>` for long-polling.
    var refreshURL: String
    /// Where the page's cancel button posts (`POST /payment/cancel/{id}`); `nil` hides the button.
    var cancelURL: String? = nil
    /// How long the server may hold a long-poll before answering "still pending".
    var waitSeconds: Int = 25
    /// Relative URL answering `{"has_new": Bool, "notifications": [{"message": String, "created_at": String?}]}`;
    /// `nil` hides the notifications area unless `notifications` is non-empty.
    var notificationsURL: String?
    /// Notifications known at render time (shown without JavaScript too).
    var notifications: [RenterNotice] = []
}

extension StatusPageModel {
    /// The model for `payment` of `booking`; the QR SVG is rendered by the caller from `payment.qrCode`.
    init(
        page: PageContext,
        payment: Payment,
        booking: Booking,
        now: Int64,
        qrSVG: String?,
        refreshURL: String,
        cancelURL: String? = nil,
        waitSeconds: Int = 25,
        notificationsURL: String? = nil,
        notifications: [RenterNotice] = []
    ) {
        self.init(
            page: page,
            payment: PaymentSummary(payment, booking: booking),
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
            cancelURL: cancelURL,
            waitSeconds: waitSeconds,
            notificationsURL: notificationsURL,
            notifications: notifications
        )
    }
}

/// The page shown once a payment has succeeded: a receipt.
struct SuccessPageModel: Sendable, Hashable {
    var page: PageContext
    var payment: PaymentSummary
    /// Unix milliseconds.
    var paidAt: Int64?
    /// The bank's transaction reference, when payOS reported one.
    var transactionReference: String?
    /// A link back to the owner's site; only `https://`, `http://` and `/…` URLs are linked.
    var backURL: String?
}

extension SuccessPageModel {
    init(page: PageContext, payment: Payment, booking: Booking, backURL: String? = nil) {
        self.init(
            page: page, payment: PaymentSummary(payment, booking: booking), paidAt: payment.paidAt,
            transactionReference: payment.transactionReference, backURL: backURL)
    }
}

/// The page shown for a payment that ended without success.
struct FailedPageModel: Sendable, Hashable {
    /// Why the payment ended; each has its own title and explanation.
    enum Outcome: String, Sendable, Hashable, CaseIterable {
        case failed
        case cancelled
        case expired

        /// The outcome for a terminal non-success status; `nil` for `pending` and `success`.
        init?(_ status: PaymentStatus) {
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

    var page: PageContext
    var outcome: Outcome
    var payment: PaymentSummary
    /// A link back to the owner's site; only `https://`, `http://` and `/…` URLs are linked.
    var backURL: String?
}

extension FailedPageModel {
    /// The model for a payment that ended in `failed`, `cancelled` or `expired`; `nil` for any other status.
    init?(page: PageContext, payment: Payment, booking: Booking, backURL: String? = nil) {
        guard let outcome = Outcome(payment.status) else { return nil }
        self.init(page: page, outcome: outcome, payment: PaymentSummary(payment, booking: booking), backURL: backURL)
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
