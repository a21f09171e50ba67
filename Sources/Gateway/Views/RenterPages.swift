// Copyright (c) the Gatehouse authors
public import Foundation
import Mustache
import Tenancy

/// Renders the renter's payment pages (status, success, failed, error) to HTML.
///
/// Every template, the stylesheet and the script are read from the bundled `Templates` folder once, when the value
/// is created; a missing or malformed file throws ``RenterPagesError`` naming it, so the application refuses to start
/// instead of failing on a renter's phone. After that, rendering touches no files and no shared mutable state,
/// which is why the type is a `Sendable` value that controllers can hold and call from any request.
///
/// Pages are self-contained: CSS and JavaScript are inlined in `<style>` / `<script>` elements carrying the model's
/// nonce, and nothing is loaded from another origin (no fonts, no CDN), so the controller can send a strict CSP:
/// `default-src 'none'; script-src 'nonce-N'; style-src 'nonce-N'; img-src 'self' data: blob:; connect-src 'self';
/// base-uri 'none'; form-action 'none'; frame-ancestors 'none'` (`img-src data: blob:` only serves "Save QR image").
///
/// Escaping: every value goes through mustache's HTML escaping (`{{…}}`, which also escapes quotes, so values are
/// safe inside attributes). Exactly three things are inserted raw (`{{{…}}}`): our own stylesheet and script from
/// the bundle, and the QR code SVG, which comes only from our QR renderer (see ``StatusPageModel/qrSVG``).
public struct RenterPages: Sendable {
    /// The mustache templates the pages need.
    public static let templateNames = ["layout", "countdown", "status", "success", "failed", "error"]
    /// The stylesheet and script inlined into the pages.
    public static let assetNames = ["renter.css", "status.js"]

    private let library: MustacheLibrary
    private let stylesheet: String
    private let statusScript: String

    /// The `Templates` folder bundled with the Gateway module, if the bundle has one.
    public static var bundledTemplatesDirectory: URL? {
        Bundle.module.url(forResource: "Templates", withExtension: nil)
    }

    // MARK: Initialization

    /// Loads the templates bundled with the Gateway module.
    /// - Throws: ``RenterPagesError`` naming the first missing or invalid file.
    public init() throws {
        guard let directory = Self.bundledTemplatesDirectory else {
            throw RenterPagesError(.templatesDirectoryMissing, templateName: "", detail: "no Templates folder in \(Bundle.module.bundlePath)")
        }
        try self.init(templatesDirectory: directory)
    }

    /// Loads the templates from `templatesDirectory` (tests use this to prove a missing template stops start-up).
    /// - Throws: ``RenterPagesError`` naming the first missing or invalid file.
    public init(templatesDirectory: URL) throws {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: templatesDirectory.path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw RenterPagesError(.templatesDirectoryMissing, templateName: "", detail: templatesDirectory.path)
        }
        var library = MustacheLibrary()
        for name in Self.templateNames {
            let fileName = "\(name).mustache"
            let text = try Self.read(fileName, in: templatesDirectory)
            do {
                library.register(try MustacheTemplate(string: text), named: name)
            } catch {
                throw RenterPagesError(.templateInvalid, templateName: fileName, detail: String(describing: error))
            }
        }
        self.library = library
        self.stylesheet = try Self.read("renter.css", in: templatesDirectory)
        self.statusScript = try Self.read("status.js", in: templatesDirectory)
    }

    private static func read(_ fileName: String, in directory: URL) throws -> String {
        let url = directory.appendingPathComponent(fileName)
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw RenterPagesError(.templateMissing, templateName: fileName, detail: url.path)
        }
        guard let data = FileManager.default.contents(atPath: url.path), let text = String(data: data, encoding: .utf8) else {
            throw RenterPagesError(.templateUnreadable, templateName: fileName, detail: url.path)
        }
        return text
    }

    // MARK: Pages

    /// The status page: QR code, transfer details with copy buttons, countdown, and a status that updates itself.
    public func statusPage(_ model: StatusPageModel) -> String {
        render("status", StatusView(model, chrome: chrome(model.page, title: nil), script: statusScript))
    }

    /// The receipt shown after a successful payment.
    public func successPage(_ model: SuccessPageModel) -> String {
        let strings = PageStrings.forLocale(model.page.locale)
        return render("success", SuccessView(model, chrome: chrome(model.page, title: strings.successTitle)))
    }

    /// The page for a payment that failed, was cancelled or expired; its title and explanation say which.
    public func failedPage(_ model: FailedPageModel) -> String {
        let view = FailedView(model, chrome: chrome(model.page, title: nil))
        return render("failed", view)
    }

    /// A generic error page (status code and message), e.g. 404 "Không tìm thấy thanh toán".
    public func errorPage(_ model: ErrorPageModel) -> String {
        render("error", ErrorView(model, chrome: chrome(model.page, title: nil)))
    }

    // MARK: Rendering

    private func chrome(_ page: PageContext, title: String?) -> Chrome {
        Chrome(
            lang: page.locale.code,
            otherLang: page.locale.other.code,
            toggleURL: page.locale.toggleQuery,
            nonce: page.nonce,
            title: title ?? "",
            css: stylesheet
        )
    }

    private func render(_ template: String, _ view: some PageView) -> String {
        // Every template is registered in `init`, so a nil here is a programming error in this file.
        guard let html = library.render(MustacheContext.make(view), withTemplate: template) else {
            preconditionFailure("template \(template) was not loaded")
        }
        return html
    }
}

// MARK: - View contexts

/// Plain stored properties that mustache reads by reflection; everything is pre-formatted and localised here so the
/// templates hold no logic beyond sections.
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
    var transferTitle: String
    var checkoutHint: String
    var transferRows: [DetailRow]
    var hasTransferRows: Bool
    var paymentCode: String
    var checkoutURL: String?
    var underpaidText: String?
    var refreshURL: String
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
        chrome.title = "\(s.statusPageTitle) · \(model.paymentCode)"
        self.chrome = chrome
        self.s = PageStrings.templateTable(locale)
        self.roomTitle = model.booking.roomTitle
        self.timeText = VietnamTime.formatRange(start: model.booking.startTime, end: model.booking.endTime, locale: locale)
        self.amountText = VND.format(model.amount, locale: locale)
        self.statusKey = model.status.rawValue
        self.statusName = s.statusName(model.status)
        self.isPending = model.status == .pending
        let secondsLeft = max(0, (model.expiresAt - model.now) / 1000)
        self.secondsLeft = secondsLeft
        self.countdownText = Countdown.format(seconds: secondsLeft)
        self.expiredLocally = model.status == .pending && secondsLeft == 0
        let underpaid = model.status == .pending && model.amountPaid > 0 && model.amountPaid < model.amount
        let svg = QRMarkup.inlineSVG(model.qrSVG)
        self.qrSVG = underpaid ? nil : svg
        self.noQRText = svg == nil && !underpaid ? s.noQRHint : nil
        let bankName = model.bankBIN.nonEmpty.map(VietnamBanks.shortName(forBIN:))
        let caption = [model.accountName.nonEmpty, bankName].compactMap { $0 }.joined(separator: " · ")
        self.qrCaption = caption.isEmpty ? nil : caption

        var rows: [DetailRow] = []
        if let bin = model.bankBIN.nonEmpty, let name = bankName {
            rows.append(DetailRow(label: s.bank, value: name, note: name == bin ? nil : "BIN \(bin)", strings: s))
        }
        if let number = model.accountNumber.nonEmpty {
            rows.append(DetailRow(label: s.accountNumber, value: number, copy: number, strings: s, monospace: true))
        }
        if let name = model.accountName.nonEmpty {
            rows.append(DetailRow(label: s.accountName, value: name, copy: name, strings: s))
        }
        let due = max(0, model.amount - max(0, model.amountPaid))
        // The renter copies digits only: banking apps reject "500.000 ₫" in an amount field.
        let amountLabel = underpaid ? s.amountRemaining : s.amount
        rows.append(DetailRow(label: amountLabel, value: VND.format(due, locale: locale), copy: String(due), strings: s))
        if let content = model.transferContent.nonEmpty {
            rows.append(DetailRow(label: s.transferContent, value: content, copy: content, strings: s, emphasis: true, monospace: true))
        }
        self.transferRows = rows
        self.transferTitle = qrSVG == nil ? s.transferDetailsTitle : s.manualTitle
        self.checkoutHint = qrSVG == nil ? s.checkoutHintWithoutQR : s.checkoutHint
        self.hasTransferRows = model.accountNumber.nonEmpty != nil
        self.paymentCode = model.paymentCode
        self.checkoutURL = SafeLink.absoluteHTTP(model.checkoutURL)
        if underpaid {
            self.underpaidText = s.underpaidNotice
                .replacingOccurrences(of: "{paid}", with: VND.format(model.amountPaid, locale: locale))
                .replacingOccurrences(of: "{remaining}", with: VND.format(model.amount - model.amountPaid, locale: locale))
        } else {
            self.underpaidText = nil
        }
        self.refreshURL = model.refreshURL
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
        self.chrome = chrome
        self.s = PageStrings.templateTable(locale)
        self.amountText = VND.format(model.amount, locale: locale)
        var rows = [
            DetailRow(label: s.room, value: model.booking.roomTitle, strings: s),
            DetailRow(
                label: s.time,
                value: VietnamTime.formatRange(start: model.booking.startTime, end: model.booking.endTime, locale: locale),
                strings: s
            ),
        ]
        if let paid = model.amountPaid, paid != model.amount, paid > 0 {
            rows.append(DetailRow(label: s.amountPaid, value: VND.format(paid, locale: locale), strings: s))
        }
        rows.append(DetailRow(label: s.paymentCode, value: model.paymentCode, strings: s, monospace: true))
        if let paidAt = model.paidAt {
            rows.append(DetailRow(label: s.paidAt, value: VietnamTime.format(paidAt, locale: locale), strings: s))
        }
        if let reference = model.transactionReference.nonEmpty {
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
        self.rows = [
            DetailRow(label: s.room, value: model.booking.roomTitle, strings: s),
            DetailRow(
                label: s.time,
                value: VietnamTime.formatRange(start: model.booking.startTime, end: model.booking.endTime, locale: locale),
                strings: s
            ),
            DetailRow(label: s.amount, value: VND.format(model.amount, locale: locale), strings: s),
            DetailRow(label: s.paymentCode, value: model.paymentCode, strings: s, monospace: true),
        ]
        self.moneyReceivedText =
            model.amountPaid > 0
            ? s.moneyReceivedNotice.replacingOccurrences(of: "{paid}", with: VND.format(model.amountPaid, locale: locale)) : nil
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

// MARK: - Helpers

/// Turns a view struct into nested dictionaries and arrays once per render. Mustache would otherwise reflect the
/// struct with `Mirror` on every `{{name}}` lookup; a dictionary lookup is direct. `nil` optionals are left out,
/// which mustache treats exactly like a `nil` field.
enum MustacheContext {
    static func make(_ value: Any) -> Any {
        switch value {
        case let string as String: return string
        case let dictionary as [String: String]: return dictionary
        case let array as [Any]: return array.map(make)
        default: break
        }
        let mirror = Mirror(reflecting: value)
        switch mirror.displayStyle {
        case .struct:
            var fields: [String: Any] = [:]
            for child in mirror.children {
                guard let label = child.label, let field = unwrap(child.value) else { continue }
                fields[label] = make(field)
            }
            return fields
        case .optional:
            return unwrap(value).map(make) as Any
        default:
            return value
        }
    }

    private static func unwrap(_ value: Any) -> Any? {
        let mirror = Mirror(reflecting: value)
        guard mirror.displayStyle == .optional else { return value }
        return mirror.children.first.map { $0.value }
    }
}

/// `m:ss` / `h:mm:ss` for the countdown (the script uses the same format once it takes over).
enum Countdown {
    static func format(seconds: Int64) -> String {
        let total = max(0, seconds)
        let hours = total / 3600
        let minutes = total % 3600 / 60
        let secs = total % 60
        func pad(_ v: Int64) -> String { v < 10 ? "0\(v)" : String(v) }
        return hours > 0 ? "\(hours):\(pad(minutes)):\(pad(secs))" : "\(pad(minutes)):\(pad(secs))"
    }
}

/// Links on the page that come from outside our code (payOS's checkout URL, the owner's back URL) are only emitted
/// when they are web or same-site URLs: escaping alone would let `javascript:…` through an `href`.
enum SafeLink {
    /// `https://…` or `http://…` (the local payOS sandbox serves plain HTTP); anything else is dropped.
    static func absoluteHTTP(_ url: String?) -> String? {
        guard let url = url.nonEmpty else { return nil }
        let lower = url.lowercased()
        guard lower.hasPrefix("https://") || lower.hasPrefix("http://") else { return nil }
        guard !url.contains(where: { $0.isWhitespace || $0.asciiValue.map { $0 < 0x20 || $0 == 0x7F } == true }) else { return nil }
        return url
    }

    /// An absolute web URL or a same-site path (`/…` but not `//…`).
    static func linkable(_ url: String?) -> String? {
        guard let url = url.nonEmpty else { return nil }
        if url.hasPrefix("/"), !url.hasPrefix("//"), !url.contains("\\"), !url.contains(where: \.isWhitespace) { return url }
        return absoluteHTTP(url)
    }
}

/// Prepares the QR SVG for inline insertion.
enum QRMarkup {
    /// The SVG from its `<svg` tag on (an XML declaration or comment before it has no place inside HTML), or `nil`
    /// when the text is not an SVG document — we never inject markup that is not what we expect.
    static func inlineSVG(_ svg: String?) -> String? {
        guard let svg, let start = svg.range(of: "<svg"), svg.range(of: "</svg>", options: .backwards) != nil else { return nil }
        return String(svg[start.lowerBound...]).trimmingCharacters(in: .whitespacesAndNewlines)
    }
}

extension Optional where Wrapped == String {
    /// The string, or `nil` when it is absent or blank.
    fileprivate var nonEmpty: String? {
        guard let self, !self.trimmingCharacters(in: .whitespaces).isEmpty else { return nil }
        return self
    }
}
