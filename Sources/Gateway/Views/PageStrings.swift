// Copyright (c) the Gatehouse authors
import Tenancy
import GatehouseCore
import Payments

/// Every piece of text on the renter's pages, one table per locale.
///
/// Templates contain no words of their own: they read `{{s.…}}` from this table, so a translation is reviewed in one
/// file and a missing string is a compile error, not a blank on a live page. Placeholders in braces (`{paid}`) are
/// filled by the renderer before escaping.
struct PageStrings: Sendable {
    // MARK: Chrome (every page)
    var secureBadge: String
    var switchLanguage: String
    var switchLanguageLabel: String
    var poweredBy: String
    var vietnamTime: String

    // MARK: Booking summary
    var room: String
    var time: String
    var amount: String
    var amountRemaining: String
    var paymentCode: String
    var status: String

    // MARK: Status names
    var statusPending: String
    var statusSuccess: String
    var statusFailed: String
    var statusCancelled: String
    var statusExpired: String

    // MARK: Status page
    var statusPageTitle: String
    var scanTitle: String
    var scanHint: String
    var qrAlt: String
    var saveQR: String
    var expiresIn: String
    var expiredWaiting: String
    var manualTitle: String
    var transferDetailsTitle: String
    var bank: String
    var accountNumber: String
    var accountName: String
    var transferContent: String
    var transferWarning: String
    var copy: String
    var copied: String
    var copyFailed: String
    var copyLabelPrefix: String
    var checkoutLink: String
    var cancelPayment: String
    var checkoutHint: String
    var checkoutHintWithoutQR: String
    var noQRHint: String
    /// A link recovered after payOS's code 231: payOS gave us no QR or bank details, its own page has them.
    var qrOnPayOSPage: String
    var openPayOSCheckout: String
    var autoUpdate: String
    var reconnecting: String
    var noscriptRefresh: String
    var notificationsTitle: String
    /// `{paid}` and `{remaining}` are replaced with amounts.
    var underpaidNotice: String
    var paymentReceived: String

    // MARK: Success page
    var successTitle: String
    var successLead: String
    var paidAt: String
    var amountPaid: String
    var transactionReference: String
    var receiptHint: String

    // MARK: Failed page
    var failedTitle: String
    var failedExplanation: String
    var cancelledTitle: String
    var cancelledExplanation: String
    var expiredTitle: String
    var expiredExplanation: String
    /// `{paid}` is replaced with an amount.
    var moneyReceivedNotice: String
    var backToBooking: String

    // MARK: Error page
    var errorTitle: String
    var errorHint: String
    var errorPaymentNotFound: String
    var errorLinkInvalid: String
    var errorRateLimited: String
    var errorServer: String

    static func forLocale(_ locale: PageLocale) -> PageStrings {
        switch locale {
        case .vi: .vietnamese
        case .en: .english
        }
    }

    /// The table as `name → text` for templates (`{{s.name}}`). Built once per locale: mustache looks a dictionary
    /// entry up directly, where a struct would be reflected with `Mirror` on every lookup.
    static func templateTable(_ locale: PageLocale) -> [String: String] {
        switch locale {
        case .vi: vietnameseTable
        case .en: englishTable
        }
    }

    private static let vietnameseTable = vietnamese.asDictionary()
    private static let englishTable = english.asDictionary()

    private func asDictionary() -> [String: String] {
        var table: [String: String] = [:]
        for child in Mirror(reflecting: self).children {
            if let label = child.label, let text = child.value as? String { table[label] = text }
        }
        return table
    }

    static let vietnamese = PageStrings(
        secureBadge: "Thanh toán an toàn",
        switchLanguage: "English",
        switchLanguageLabel: "Switch to English",
        poweredBy: "Thanh toán được xử lý qua payOS và VietQR",
        vietnamTime: "Giờ Việt Nam (UTC+7)",
        room: "Phòng",
        time: "Thời gian",
        amount: "Số tiền",
        amountRemaining: "Số tiền còn thiếu",
        paymentCode: "Mã thanh toán",
        status: "Trạng thái",
        statusPending: "Chờ thanh toán",
        statusSuccess: "Đã thanh toán",
        statusFailed: "Không thành công",
        statusCancelled: "Đã huỷ",
        statusExpired: "Đã hết hạn",
        statusPageTitle: "Thanh toán đặt phòng",
        scanTitle: "Quét mã QR để thanh toán",
        scanHint: "Mở ứng dụng ngân hàng bất kỳ, chọn Quét QR và xác nhận chuyển khoản.",
        qrAlt: "Mã VietQR để chuyển khoản",
        saveQR: "Lưu ảnh QR",
        expiresIn: "Mã hết hạn sau",
        expiredWaiting: "Mã đã hết hạn, đang kiểm tra…",
        manualTitle: "Hoặc chuyển khoản thủ công",
        transferDetailsTitle: "Thông tin chuyển khoản",
        bank: "Ngân hàng",
        accountNumber: "Số tài khoản",
        accountName: "Chủ tài khoản",
        transferContent: "Nội dung",
        transferWarning: "Nhập đúng số tiền và nội dung chuyển khoản để giao dịch được xác nhận tự động.",
        copy: "Sao chép",
        copied: "Đã chép",
        copyFailed: "Hãy chọn và sao chép thủ công",
        copyLabelPrefix: "Sao chép",
        checkoutLink: "Thanh toán trên trang payOS",
        cancelPayment: "Hủy thanh toán",
        checkoutHint: "Không quét được mã? Mở trang thanh toán của payOS.",
        checkoutHintWithoutQR: "Bạn cũng có thể thanh toán trên trang của payOS.",
        noQRHint: "Mã QR chưa sẵn sàng. Bạn có thể chuyển khoản theo thông tin dưới đây.",
        qrOnPayOSPage: "Mã QR và thông tin chuyển khoản của khoản thanh toán này hiển thị trên trang thanh toán của payOS.",
        openPayOSCheckout: "Mở trang payOS để quét mã QR",
        autoUpdate: "Trang tự cập nhật ngay khi nhận được tiền.",
        reconnecting: "Mất kết nối, đang thử lại…",
        noscriptRefresh: "Trang tự tải lại sau mỗi 10 giây.",
        notificationsTitle: "Thông báo",
        underpaidNotice: "Đã nhận {paid}. Vui lòng chuyển thêm {remaining} theo thông tin bên dưới, với cùng nội dung.",
        paymentReceived: "Đã nhận thanh toán!",
        successTitle: "Thanh toán thành công",
        successLead: "Cảm ơn bạn! Đặt phòng của bạn đã được thanh toán.",
        paidAt: "Thời điểm thanh toán",
        amountPaid: "Số tiền đã nhận",
        transactionReference: "Mã giao dịch",
        receiptHint: "Hãy lưu lại trang này hoặc chụp màn hình làm biên nhận.",
        failedTitle: "Thanh toán không thành công",
        failedExplanation: "Giao dịch chưa được hoàn tất. Vui lòng liên hệ chủ nhà để nhận liên kết thanh toán mới.",
        cancelledTitle: "Thanh toán đã bị huỷ",
        cancelledExplanation:
            "Yêu cầu thanh toán này đã được huỷ. Đừng chuyển khoản theo mã này nữa; hãy liên hệ chủ nhà nếu bạn vẫn muốn đặt phòng.",
        expiredTitle: "Mã thanh toán đã hết hạn",
        expiredExplanation: "Đã quá thời hạn thanh toán của mã này. Đừng chuyển khoản theo mã cũ; hãy liên hệ chủ nhà để nhận mã mới.",
        moneyReceivedNotice: "Chúng tôi đã nhận {paid} cho mã này. Chủ nhà đã được báo để hoàn lại số tiền này cho bạn; bạn có thể liên hệ chủ nhà để được hỗ trợ.",
        backToBooking: "Quay lại trang đặt phòng",
        errorTitle: "Không thể mở trang thanh toán",
        errorHint: "Hãy mở lại đúng liên kết thanh toán bạn đã nhận, hoặc liên hệ chủ nhà.",
        errorPaymentNotFound: "Không tìm thấy thanh toán",
        errorLinkInvalid: "Liên kết thanh toán không hợp lệ hoặc đã hết hạn",
        errorRateLimited: "Có quá nhiều yêu cầu. Vui lòng thử lại sau ít phút.",
        errorServer: "Hệ thống đang gặp sự cố. Vui lòng thử lại sau."
    )

    static let english = PageStrings(
        secureBadge: "Secure payment",
        switchLanguage: "Tiếng Việt",
        switchLanguageLabel: "Chuyển sang tiếng Việt",
        poweredBy: "Payments processed by payOS and VietQR",
        vietnamTime: "Vietnam time (UTC+7)",
        room: "Room",
        time: "Time",
        amount: "Amount",
        amountRemaining: "Amount still due",
        paymentCode: "Payment code",
        status: "Status",
        statusPending: "Awaiting payment",
        statusSuccess: "Paid",
        statusFailed: "Failed",
        statusCancelled: "Cancelled",
        statusExpired: "Expired",
        statusPageTitle: "Pay for your booking",
        scanTitle: "Scan the QR code to pay",
        scanHint: "Open any Vietnamese banking app, choose Scan QR and confirm the transfer.",
        qrAlt: "VietQR code for the bank transfer",
        saveQR: "Save QR image",
        expiresIn: "Code expires in",
        expiredWaiting: "Code expired, checking…",
        manualTitle: "Or transfer manually",
        transferDetailsTitle: "Transfer details",
        bank: "Bank",
        accountNumber: "Account number",
        accountName: "Account name",
        transferContent: "Message",
        transferWarning: "Enter the exact amount and message so your payment is confirmed automatically.",
        copy: "Copy",
        copied: "Copied",
        copyFailed: "Select and copy it manually",
        copyLabelPrefix: "Copy",
        checkoutLink: "Pay on the payOS page",
        cancelPayment: "Cancel payment",
        checkoutHint: "Can't scan the code? Open payOS's checkout page.",
        checkoutHintWithoutQR: "You can also pay on payOS's checkout page.",
        noQRHint: "The QR code is not ready yet. You can transfer using the details below.",
        qrOnPayOSPage: "The QR code and transfer details for this payment are shown on payOS's checkout page.",
        openPayOSCheckout: "Open payOS's page to scan the QR code",
        autoUpdate: "This page updates as soon as your payment arrives.",
        reconnecting: "Connection lost, retrying…",
        noscriptRefresh: "This page reloads every 10 seconds.",
        notificationsTitle: "Notifications",
        underpaidNotice: "We received {paid}. Please transfer the remaining {remaining} using the details below, with the same message.",
        paymentReceived: "Payment received!",
        successTitle: "Payment successful",
        successLead: "Thank you! Your booking is paid.",
        paidAt: "Paid at",
        amountPaid: "Amount received",
        transactionReference: "Transaction reference",
        receiptHint: "Keep this page or take a screenshot as your receipt.",
        failedTitle: "Payment failed",
        failedExplanation: "The payment was not completed. Please contact the property owner for a new payment link.",
        cancelledTitle: "Payment cancelled",
        cancelledExplanation:
            "This payment request was cancelled. Do not transfer money with this code; contact the owner if you still want the booking.",
        expiredTitle: "Payment code expired",
        expiredExplanation: "The time to pay with this code has run out. Do not transfer money with the old code; ask the owner for a new one.",
        moneyReceivedNotice: "We received {paid} for this code. The property owner has been told to refund it to you; contact them if you need help.",
        backToBooking: "Back to the booking",
        errorTitle: "We can't open this payment page",
        errorHint: "Open the payment link you received again, or contact the property owner.",
        errorPaymentNotFound: "Payment not found",
        errorLinkInvalid: "This payment link is invalid or has expired",
        errorRateLimited: "Too many requests. Please try again in a few minutes.",
        errorServer: "Something went wrong on our side. Please try again later."
    )
}

extension PageStrings {
    /// The localised name of a payment status.
    func statusName(_ status: PaymentStatus) -> String {
        switch status {
        case .pending: statusPending
        case .success: statusSuccess
        case .failed: statusFailed
        case .cancelled: statusCancelled
        case .expired: statusExpired
        }
    }
}
