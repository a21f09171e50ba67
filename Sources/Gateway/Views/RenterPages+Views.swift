// Copyright (c) the Gatehouse authors
import Foundation
import Tenancy
import GatehouseCore
import Payments

/// What a template renders: plain stored properties, everything already formatted and localised, so the templates
/// hold no logic beyond sections. ``MustacheContext`` flattens it into dictionaries before rendering.
protocol PageView {}

/// The layout's fields, shared by every page.
struct Chrome {
    var lang: String
    var otherLang: String
    var toggleURL: String
    var nonce: String
    var title: String
    var css: String
}

/// One labelled line of details, optionally with a copy button.
struct DetailRow {
    var label: String
    var value: String
    /// Smaller text after the value (e.g. the BIN after the bank name).
    var note: String?
    /// What the copy button puts on the clipboard; `nil` means no button.
    var copyValue: String?
    var copyLabel: String?
    /// Draws attention (the transfer content, which must be typed exactly).
    var emphasis: Bool
    var monospace: Bool

    init(
        label: String,
        value: String,
        note: String? = nil,
        copy: String? = nil,
        strings: PageStrings,
        emphasis: Bool = false,
        monospace: Bool = false
    ) {
        self.label = label
        self.value = value
        self.note = note
        self.copyValue = copy
        self.copyLabel = copy == nil ? nil : "\(strings.copyLabelPrefix): \(label)"
        self.emphasis = emphasis
        self.monospace = monospace
    }

    /// The booking's room and time, the first rows of the receipt and of the failed page.
    static func booking(_ booking: BookingSummary, strings: PageStrings, locale: PageLocale) -> [DetailRow] {
        [
            DetailRow(label: strings.room, value: booking.roomTitle, strings: strings),
            DetailRow(
                label: strings.time,
                value: VietnamTime.formatRange(start: booking.startTime, end: booking.endTime, locale: locale),
                strings: strings
            ),
        ]
    }
}

struct NoticeView {
    var message: String
    var time: String?
}

struct StatusView: PageView {
    var chrome: Chrome
    var s: [String: String]
    var roomTitle: String
    var timeText: String
    var amountText: String
    var statusKey: String
    var statusName: String
    var isPending: Bool
    var secondsLeft: Int64
    var countdownText: String
    var expiredLocally: Bool
    /// The QR is offered only while it asks for the right amount: payOS's code always carries the full amount, so
    /// after a partial transfer it would make the renter pay too much.
    var qrSVG: String?
    /// Who and where the QR pays, under the code: the renter checks it before scanning.
    var qrCaption: String?
    /// Why there is no QR when one was expected (not yet available); `nil` when the QR is shown or withheld on purpose.
    var noQRText: String?
    /// payOS's checkout as the way to pay, where its QR is: set when we have neither QR nor bank details (a link
    /// recovered after payOS's code 231, whose lookup returns neither); ``checkoutURL`` is then `nil`.
    var payOSCheckoutURL: String?
    var transferTitle: String
    var checkoutHint: String
    var transferRows: [DetailRow]
    var hasTransferRows: Bool
    var paymentCode: String
    var checkoutURL: String?
    var underpaidText: String?
    var refreshURL: String
    var cancelURL: String?
    var waitSeconds: Int
    var notificationsURL: String
    var notifications: [NoticeView]
    var showNotifications: Bool
    /// For the script's notification times in English (the same table the server formats with).
    var monthNames: String
    var script: String

    init(_ model: StatusPageModel, chrome: Chrome, script: String) {
        let locale = model.page.locale
        let s = PageStrings.forLocale(locale)
        var chrome = chrome
        chrome.title = "\(s.statusPageTitle) · \(model.payment.paymentCode)"
        self.chrome = chrome
        self.s = PageStrings.templateTable(locale)
        self.roomTitle = model.payment.booking.roomTitle
        self.timeText = VietnamTime.formatRange(start: model.payment.booking.startTime, end: model.payment.booking.endTime, locale: locale)
        self.amountText = VND.format(model.payment.amount, locale: locale)
        self.statusKey = model.status.rawValue
        self.statusName = s.statusName(model.status)
        self.isPending = model.status == .pending
        let secondsLeft = max(0, (model.expiresAt - model.now) / 1000)
        self.secondsLeft = secondsLeft
        self.countdownText = Countdown.format(seconds: secondsLeft)
        self.expiredLocally = model.status == .pending && secondsLeft == 0
        let underpaid = model.status == .pending && model.payment.amountPaid > 0 && model.payment.amountPaid < model.payment.amount
        let svg = QRMarkup.inlineSVG(model.qrSVG)
        self.qrSVG = underpaid ? nil : svg
        let checkout = SafeLink.absoluteHTTP(model.checkoutURL)
        let onlyOnPayOS = svg == nil && !underpaid && model.accountNumber.nonBlank == nil && checkout != nil
        self.payOSCheckoutURL = onlyOnPayOS ? checkout : nil
        self.noQRText = svg == nil && !underpaid ? (onlyOnPayOS ? s.qrOnPayOSPage : s.noQRHint) : nil
        let bankName = model.bankBIN.nonBlank.map(VietnamBanks.shortName(forBIN:))
        let caption = [model.accountName.nonBlank, bankName].compactMap { $0 }.joined(separator: " · ")
        self.qrCaption = caption.isEmpty ? nil : caption

        var rows: [DetailRow] = []
        if let bin = model.bankBIN.nonBlank, let name = bankName {
            rows.append(DetailRow(label: s.bank, value: name, note: name == bin ? nil : "BIN \(bin)", strings: s))
        }
        if let number = model.accountNumber.nonBlank {
            rows.append(DetailRow(label: s.accountNumber, value: number, copy: number, strings: s, monospace: true))
        }
        if let name = model.accountName.nonBlank {
            rows.append(DetailRow(label: s.accountName, value: name, copy: name, strings: s))
        }
        let due = max(0, model.payment.amount - max(0, model.payment.amountPaid))
        // The renter copies digits only: banking apps reject "500.000 ₫" in an amount field.
        let amountLabel = underpaid ? s.amountRemaining : s.amount
        rows.append(DetailRow(label: amountLabel, value: VND.format(due, locale: locale), copy: String(due), strings: s))
        if let content = model.transferContent.nonBlank {
            rows.append(DetailRow(label: s.transferContent, value: content, copy: content, strings: s, emphasis: true, monospace: true))
        }
        self.transferRows = rows
        self.transferTitle = qrSVG == nil ? s.transferDetailsTitle : s.manualTitle
        self.checkoutHint = qrSVG == nil ? s.checkoutHintWithoutQR : s.checkoutHint
        self.hasTransferRows = model.accountNumber.nonBlank != nil
        self.paymentCode = model.payment.paymentCode
        self.checkoutURL = onlyOnPayOS ? nil : checkout
        if underpaid {
            self.underpaidText = s.underpaidNotice
                .replacingOccurrences(of: "{paid}", with: VND.format(model.payment.amountPaid, locale: locale))
                .replacingOccurrences(of: "{remaining}", with: VND.format(model.payment.amount - model.payment.amountPaid, locale: locale))
        } else {
            self.underpaidText = nil
        }
        self.refreshURL = model.refreshURL
        self.cancelURL = model.cancelURL
        self.waitSeconds = max(0, model.waitSeconds)
        self.notificationsURL = model.notificationsURL ?? ""
        self.notifications = model.notifications.map {
            NoticeView(message: $0.message, time: $0.createdAt.map { VietnamTime.format($0, locale: locale) })
        }
        self.showNotifications = !model.notifications.isEmpty
        self.monthNames = VietnamTime.englishMonths.joined(separator: " ")
        self.script = script
    }
}

struct SuccessView: PageView {
    var chrome: Chrome
    var s: [String: String]
    var amountText: String
    var rows: [DetailRow]
    var backURL: String?

    init(_ model: SuccessPageModel, chrome: Chrome) {
        let locale = model.page.locale
        let s = PageStrings.forLocale(locale)
        var chrome = chrome
        chrome.title = s.successTitle
        self.chrome = chrome
        self.s = PageStrings.templateTable(locale)
        self.amountText = VND.format(model.payment.amount, locale: locale)
        var rows = DetailRow.booking(model.payment.booking, strings: s, locale: locale)
        let paid = model.payment.amountPaid
        if paid != model.payment.amount, paid > 0 {
            rows.append(DetailRow(label: s.amountPaid, value: VND.format(paid, locale: locale), strings: s))
        }
        rows.append(DetailRow(label: s.paymentCode, value: model.payment.paymentCode, strings: s, monospace: true))
        if let paidAt = model.paidAt {
            rows.append(DetailRow(label: s.paidAt, value: VietnamTime.format(paidAt, locale: locale), strings: s))
        }
        if let reference = model.transactionReference.nonBlank {
            rows.append(DetailRow(label: s.transactionReference, value: reference, strings: s, monospace: true))
        }
        self.rows = rows
        self.backURL = SafeLink.linkable(model.backURL)
    }
}

struct FailedView: PageView {
    var chrome: Chrome
    var s: [String: String]
    var outcome: String
    var title: String
    var explanation: String
    var statusName: String
    var isExpired: Bool
    var isCancelled: Bool
    var rows: [DetailRow]
    var moneyReceivedText: String?
    var backURL: String?

    init(_ model: FailedPageModel, chrome: Chrome) {
        let locale = model.page.locale
        let s = PageStrings.forLocale(locale)
        switch model.outcome {
        case .failed: (title, explanation) = (s.failedTitle, s.failedExplanation)
        case .cancelled: (title, explanation) = (s.cancelledTitle, s.cancelledExplanation)
        case .expired: (title, explanation) = (s.expiredTitle, s.expiredExplanation)
        }
        var chrome = chrome
        chrome.title = title
        self.chrome = chrome
        self.s = PageStrings.templateTable(locale)
        self.outcome = model.outcome.rawValue
        self.statusName = s.statusName(model.outcome.paymentStatus)
        self.isExpired = model.outcome == .expired
        self.isCancelled = model.outcome == .cancelled
        self.rows =
            DetailRow.booking(model.payment.booking, strings: s, locale: locale) + [
                DetailRow(label: s.amount, value: VND.format(model.payment.amount, locale: locale), strings: s),
                DetailRow(label: s.paymentCode, value: model.payment.paymentCode, strings: s, monospace: true),
            ]
        self.moneyReceivedText =
            model.payment.amountPaid > 0
            ? s.moneyReceivedNotice.replacingOccurrences(of: "{paid}", with: VND.format(model.payment.amountPaid, locale: locale)) : nil
        self.backURL = SafeLink.linkable(model.backURL)
    }
}

struct ErrorView: PageView {
    var chrome: Chrome
    var s: [String: String]
    var statusCode: Int
    var message: String

    init(_ model: ErrorPageModel, chrome: Chrome) {
        let s = PageStrings.forLocale(model.page.locale)
        let message =
            switch model.message {
            case .paymentNotFound: s.errorPaymentNotFound
            case .linkInvalid: s.errorLinkInvalid
            case .rateLimited: s.errorRateLimited
            case .serverError: s.errorServer
            case .custom(let text): text
            }
        var chrome = chrome
        chrome.title = message
        self.chrome = chrome
        self.s = PageStrings.templateTable(model.page.locale)
        self.statusCode = model.statusCode
        self.message = message
    }
}

