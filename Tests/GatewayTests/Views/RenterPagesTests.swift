// Copyright (c) the Gatehouse authors
import Foundation
@testable import Gateway
import Tenancy
import Testing
import GatehouseCore
import Payments

@Suite struct RenterPagesRenderingTests {
    let pages: RenterPages

    init() throws {
        pages = try RenterPages()
    }

    // MARK: Status page

    @Test func vietnameseStatusPageShowsBookingAmountAndTransferDetails() {
        let html = pages.statusPage(RenterPageFixtures.status(.vi))
        #expect(html.contains("<html lang=\"vi\">"))
        #expect(html.contains("Thanh toán đặt phòng"))
        #expect(html.contains("Phòng Deluxe hướng biển"))
        #expect(html.contains("14:00–17:00 15/01/2024"))
        #expect(html.contains("500.000 ₫"))
        #expect(html.contains("Chờ thanh toán"))
        #expect(html.contains("MB Bank"))
        #expect(html.contains("BIN 970422"))
        #expect(html.contains("0123456789"))
        #expect(html.contains("NGUYEN VAN AN"))
        #expect(html.contains("CSXJ8QWEK2 PAY7K2M9Q4XWD"))
        #expect(html.contains("PAY-7K2M9Q4XWD"))
        #expect(html.contains("Mã hết hạn sau"))
        // 15 min 30 s left at render time.
        #expect(html.contains(">15:30<"))
        #expect(html.contains("href=\"https://pay.payos.vn/web/6f4c1b2e9a3d4c5b8e7f\""))
        #expect(html.contains("href=\"?lang=en\""))
    }

    @Test func englishStatusPageIsTranslatedAndGroupsThousandsWithCommas() {
        let html = pages.statusPage(RenterPageFixtures.status(.en))
        #expect(html.contains("<html lang=\"en\">"))
        #expect(html.contains("Pay for your booking"))
        #expect(html.contains("Awaiting payment"))
        #expect(html.contains("500,000 ₫"))
        #expect(!html.contains("500.000 ₫"))
        #expect(html.contains("14:00–17:00, 15 Jan 2024"))
        #expect(html.contains("Account number"))
        #expect(html.contains("href=\"?lang=vi\""))
        #expect(!html.contains("Chờ thanh toán"))
    }

    @Test func copyButtonsCarryRawValuesForEachTransferField() {
        let html = pages.statusPage(RenterPageFixtures.status(.vi))
        #expect(html.contains("data-copy=\"0123456789\""))
        #expect(html.contains("data-copy=\"NGUYEN VAN AN\""))
        // Banking apps want digits in the amount field, not "500.000 ₫".
        #expect(html.contains("data-copy=\"500000\""))
        #expect(html.contains("data-copy=\"CSXJ8QWEK2 PAY7K2M9Q4XWD\""))
        #expect(HTMLInspection.count("class=\"copy\"", in: html) == 4)
    }

    @Test func qrSVGIsInsertedUnescapedWithoutItsXMLProlog() {
        let html = pages.statusPage(RenterPageFixtures.status(.vi))
        #expect(html.contains("<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 21 21\" id=\"qr-marker\">"))
        #expect(!html.contains("&lt;svg"))
        #expect(!html.contains("<?xml"))
        #expect(!html.contains("made by a test"))
    }

    @Test func textThatIsNotAnSVGIsNeverInsertedAsMarkup() {
        let html = pages.statusPage(RenterPageFixtures.status(.vi, qrSVG: "<img src=x onerror=alert(1)>"))
        #expect(!html.contains("onerror"))
        #expect(html.contains("Mã QR chưa sẵn sàng"))
    }

    /// A link recovered after payOS's code 231 has neither QR nor bank details (payOS's lookup returns neither): the page
    /// says the QR is on payOS's page and links there prominently, with no empty QR frame or bank table.
    @Test(arguments: [
        (PageLocale.vi, "Mã QR và thông tin chuyển khoản của khoản thanh toán này hiển thị trên trang thanh toán của payOS.", "Mở trang payOS để quét mã QR"),
        (PageLocale.en, "The QR code and transfer details for this payment are shown on payOS&#39;s checkout page.", "Open payOS&#39;s page to scan the QR code"),
    ])
    func withoutQRAndBankDetailsThePageSendsTheRenterToPayOSCheckout(locale: PageLocale, message: String, button: String) {
        let html = pages.statusPage(RenterPageFixtures.status(locale, qrSVG: nil, bankDetails: false))
        #expect(html.contains(message), "\(html)")
        #expect(html.contains(
            "<a id=\"payos-checkout\" class=\"btn btn-primary\" href=\"https://pay.payos.vn/web/6f4c1b2e9a3d4c5b8e7f\" rel=\"noopener noreferrer\">\(button)"))
        // One link to payOS, the prominent one; no QR figure, no transfer table, no "details below".
        #expect(HTMLInspection.count("https://pay.payos.vn/web/", in: html) == 1)
        #expect(!html.contains("<figure class=\"qr\""))
        #expect(!html.contains("class=\"rows\""))
        #expect(!html.contains("Mã QR chưa sẵn sàng") && !html.contains("not ready yet"))
    }

    @Test func withBankDetailsButNoQRTheCheckoutStaysASecondaryLink() {
        let html = pages.statusPage(RenterPageFixtures.status(.vi, qrSVG: nil))
        #expect(html.contains("Mã QR chưa sẵn sàng"))
        #expect(html.contains("class=\"rows\""))
        #expect(!html.contains("id=\"payos-checkout\""))
        #expect(html.contains("class=\"btn btn-secondary\" href=\"https://pay.payos.vn/web/6f4c1b2e9a3d4c5b8e7f\""))
    }

    @Test func hostileTextIsEscapedEverywhere() {
        let hostile = "<script>alert(1)</script>\"'&"
        let model = RenterPageFixtures.status(.vi, roomTitle: hostile, transferContent: "\" onmouseover=\"alert(2)")
        let html = pages.statusPage(model)
        #expect(!html.contains("<script>alert(1)</script>"))
        #expect(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;&quot;&#39;&amp;"))
        #expect(!html.contains("\" onmouseover=\"alert(2)"))
        #expect(html.contains("data-copy=\"&quot; onmouseover=&quot;alert(2)\""))
        // The only <script> element is our own, carrying the nonce.
        #expect(HTMLInspection.count("<script", in: html) == 1)
        #expect(html.contains("<script nonce=\"dGVzdC1ub25jZS0xMjM0NQ\">"))

        let success = pages.successPage(RenterPageFixtures.success(.en, roomTitle: hostile))
        #expect(!success.contains("<script>alert(1)</script>"))
        #expect(success.contains("&lt;script&gt;alert(1)&lt;/script&gt;"))
    }

    @Test func linksFromOutsideOurCodeMustBeWebURLs() {
        let html = pages.statusPage(RenterPageFixtures.status(.vi, checkoutURL: "javascript:alert(1)"))
        #expect(!html.contains("javascript:"))
        #expect(!html.contains("Thanh toán trên trang payOS"))

        let success = pages.successPage(RenterPageFixtures.success(.vi, backURL: "JavaScript:alert(1)"))
        #expect(!success.lowercased().contains("javascript:"))
        #expect(!success.contains("Quay lại trang đặt phòng"))

        let withBack = pages.successPage(RenterPageFixtures.success(.vi, backURL: "https://owner.example/bookings/123"))
        #expect(withBack.contains("href=\"https://owner.example/bookings/123\""))
        #expect(withBack.contains("Quay lại trang đặt phòng"))
    }

    @Test func pendingPageReloadsItselfWithoutJavaScript() {
        let html = pages.statusPage(RenterPageFixtures.status(.vi))
        #expect(html.contains("<noscript><meta http-equiv=\"refresh\" content=\"10\"></noscript>"))
        let head = HTMLInspection.blocks(of: "head", in: html).first ?? ""
        #expect(head.contains("http-equiv=\"refresh\""))
    }

    @Test func pageTellsTheScriptWhereAndHowLongToPoll() {
        let html = pages.statusPage(RenterPageFixtures.status(.vi))
        #expect(html.contains("data-refresh-url=\"/payment/refresh-status/456\""))
        #expect(html.contains("data-wait-seconds=\"25\""))
        #expect(html.contains("data-expires-in=\"930\""))
        #expect(html.contains("data-notifications-url=\"/api/notifications/check\""))
        #expect(html.contains("data-status=\"pending\""))
    }

    @Test(arguments: [PaymentStatus.success, .failed, .cancelled, .expired])
    func settledStatusPageShowsTheStatusAndStopsRefreshing(status: PaymentStatus) {
        let vi = pages.statusPage(RenterPageFixtures.status(.vi, status: status))
        let en = pages.statusPage(RenterPageFixtures.status(.en, status: status))
        let names: [PaymentStatus: (String, String)] = [
            .success: ("Đã thanh toán", "Paid"), .failed: ("Không thành công", "Failed"),
            .cancelled: ("Đã huỷ", "Cancelled"), .expired: ("Đã hết hạn", "Expired"),
        ]
        #expect(vi.contains("<span id=\"status-text\">\(names[status]!.0)</span>"))
        #expect(en.contains("<span id=\"status-text\">\(names[status]!.1)</span>"))
        #expect(!vi.contains("http-equiv=\"refresh\""))
        // No QR to pay a settled payment with.
        #expect(!vi.contains("qr-marker"))
    }

    @Test func pageWithoutJavaScriptShowsExpiryAtRenderTime() {
        var model = RenterPageFixtures.status(.vi)
        model.now = model.expiresAt + 1000
        let html = pages.statusPage(model)
        #expect(html.contains("Mã đã hết hạn, đang kiểm tra…"))
        #expect(html.contains(">00:00<"))
    }

    @Test func underpaidPaymentAsksForTheRemainder() {
        let html = pages.statusPage(RenterPageFixtures.status(.vi, amountPaid: 200_000))
        #expect(html.contains("Đã nhận 200.000 ₫. Vui lòng chuyển thêm 300.000 ₫ theo thông tin bên dưới, với cùng nội dung."))
        #expect(html.contains("<dt>Số tiền còn thiếu</dt>"))
        #expect(html.contains("data-copy=\"300000\""))
        // payOS's QR asks for the full amount: scanning it now would overpay, so it is not offered.
        #expect(!html.contains("qr-marker"))
        #expect(!html.contains("Mã QR chưa sẵn sàng"))
        #expect(html.contains("id=\"countdown-time\""))
        #expect(html.contains(">Thông tin chuyển khoản</h2>"))
        #expect(!html.contains("Hoặc chuyển khoản thủ công"))
    }

    @Test func notificationsKnownAtRenderTimeAreListed() {
        let empty = pages.statusPage(RenterPageFixtures.status(.vi))
        #expect(empty.contains("id=\"notifications\" class=\"notifications\" hidden"))
        let notice = RenterNotice(message: "Chủ nhà đã xác nhận <b>đặt phòng</b>", createdAt: RenterPageFixtures.now)
        let html = pages.statusPage(RenterPageFixtures.status(.vi, notifications: [notice]))
        #expect(!html.contains("id=\"notifications\" class=\"notifications\" hidden"))
        #expect(html.contains("Chủ nhà đã xác nhận &lt;b&gt;đặt phòng&lt;/b&gt;"))
        #expect(html.contains("<time>14:45 15/01/2024</time>"))
    }

    // MARK: Success, failed and error pages

    @Test func successPageIsAReceiptInBothLanguages() {
        let vi = pages.successPage(RenterPageFixtures.success(.vi))
        #expect(vi.contains("<h1>Thanh toán thành công</h1>"))
        #expect(vi.contains("500.000 ₫"))
        #expect(vi.contains("PAY-7K2M9Q4XWD"))
        #expect(vi.contains("14:52 15/01/2024"))
        #expect(vi.contains("FT24015123456789"))
        #expect(vi.contains("Phòng Deluxe hướng biển"))
        #expect(!vi.contains("<script"))

        let en = pages.successPage(RenterPageFixtures.success(.en))
        #expect(en.contains("<h1>Payment successful</h1>"))
        #expect(en.contains("500,000 ₫"))
        #expect(en.contains("Transaction reference"))
        #expect(en.contains("14:52, 15 Jan 2024"))
    }

    @Test func successPageOmitsTheTransactionReferenceWhenUnknown() {
        var model = RenterPageFixtures.success(.vi)
        model.transactionReference = nil
        let html = pages.successPage(model)
        #expect(!html.contains("Mã giao dịch"))
    }

    @Test(arguments: [
        (FailedPageModel.Outcome.failed, "Thanh toán không thành công", "Payment failed"),
        (.cancelled, "Thanh toán đã bị huỷ", "Payment cancelled"),
        (.expired, "Mã thanh toán đã hết hạn", "Payment code expired"),
    ])
    func failedPageSaysWhichWayThePaymentEnded(outcome: FailedPageModel.Outcome, vietnamese: String, english: String) {
        let vi = pages.failedPage(RenterPageFixtures.failed(.vi, outcome: outcome))
        let en = pages.failedPage(RenterPageFixtures.failed(.en, outcome: outcome))
        #expect(vi.contains("<h1>\(vietnamese)</h1>"))
        #expect(vi.contains("<title>\(vietnamese)</title>"))
        #expect(en.contains("<h1>\(english)</h1>"))
        #expect(vi.contains("result-\(outcome.rawValue)"))
        #expect(vi.contains("500.000 ₫"))
        #expect(!vi.contains("Quay lại trang đặt phòng"))
    }

    @Test func failedPageMentionsMoneyAlreadyReceivedAndLinksBack() {
        let html = pages.failedPage(
            RenterPageFixtures.failed(.vi, outcome: .expired, amountPaid: 200_000, backURL: "/owner/bookings/123")
        )
        #expect(html.contains("Chúng tôi đã nhận 200.000 ₫ cho mã này."))
        #expect(html.contains("href=\"/owner/bookings/123\""))
        #expect(html.contains("Quay lại trang đặt phòng"))
    }

    @Test func failedModelIsOnlyMadeForFailedCancelledOrExpiredPayments() {
        #expect(FailedPageModel.Outcome(.pending) == nil)
        #expect(FailedPageModel.Outcome(.success) == nil)
        #expect(FailedPageModel.Outcome(.expired) == .expired)
    }

    @Test func errorPageShowsStatusAndLocalisedMessage() {
        let vi = pages.errorPage(.paymentNotFound(page: RenterPageFixtures.page(.vi)))
        #expect(vi.contains("<h1>Không tìm thấy thanh toán</h1>"))
        #expect(vi.contains("HTTP 404"))
        let en = pages.errorPage(.paymentNotFound(page: RenterPageFixtures.page(.en)))
        #expect(en.contains("<h1>Payment not found</h1>"))
        let custom = pages.errorPage(ErrorPageModel(page: RenterPageFixtures.page(.vi), statusCode: 400, message: .custom("<b>x</b>")))
        #expect(custom.contains("&lt;b&gt;x&lt;/b&gt;"))
        #expect(custom.contains("HTTP 400"))
    }

    // MARK: Every page

    @Test func everyPageIsSelfContainedMobileReadyAndKeepsTheURLPrivate() {
        var all: [String] = []
        for locale in PageLocale.allCases {
            all.append(pages.statusPage(RenterPageFixtures.status(locale)))
            all.append(pages.successPage(RenterPageFixtures.success(locale, backURL: "https://owner.example/")))
            for outcome in FailedPageModel.Outcome.allCases {
                all.append(pages.failedPage(RenterPageFixtures.failed(locale, outcome: outcome)))
            }
            all.append(pages.errorPage(.serverError(page: RenterPageFixtures.page(locale))))
        }
        for html in all {
            #expect(html.hasPrefix("<!doctype html>"))
            #expect(html.contains("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"))
            #expect(html.contains("<meta name=\"referrer\" content=\"no-referrer\">"))
            #expect(html.contains("<style nonce=\"dGVzdC1ub25jZS0xMjM0NQ\">"))
            #expect(html.contains("class=\"lang\""))
            #expect(!html.contains("{{"))
            #expect(HTMLInspection.externalResourceReferences(in: html) == [])
            // CSP-friendly: no inline event handlers or inline styles.
            #expect(html.range(of: "\\son[a-z]+\\s*=", options: .regularExpression) == nil)
            #expect(!html.contains(" style=\""))
        }
    }

    @Test func externalResourceCheckFindsWhatItLooksFor() {
        #expect(HTMLInspection.externalResourceReferences(in: "<img src=\"https://cdn.example/x.png\">").count == 1)
        #expect(HTMLInspection.externalResourceReferences(in: "<link rel=stylesheet href=//fonts.example/css>").count == 1)
        #expect(HTMLInspection.externalResourceReferences(in: "<style>body{background:url(x.png)}</style>").count == 1)
        #expect(HTMLInspection.externalResourceReferences(in: "<a href=\"https://pay.payos.vn/\">pay</a>") == [])
    }
}
