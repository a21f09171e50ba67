// Copyright (c) the Gatehouse authors
import Foundation
@testable import Gateway
import Tenancy
import GatehouseCore
import Payments

/// Fixed models for the renter page tests: a booking on 15/01/2024 14:00–17:00 Vietnam time, 500 000 VND.
enum RenterPageFixtures {
    /// 2024-01-15 07:00:00 UTC = 14:00 in Vietnam.
    static let bookingStart: Int64 = 1_705_302_000_000
    /// 2024-01-15 10:00:00 UTC = 17:00 in Vietnam.
    static let bookingEnd: Int64 = 1_705_312_800_000
    /// The server's clock when the page is rendered: 14:45 on the booking day, 15 minutes before expiry.
    static let now: Int64 = 1_705_304_700_000
    static let expiresAt: Int64 = now + 15 * 60 * 1000 + 30_000

    /// A minimal, recognisable SVG (not a real QR code) for the pure rendering tests.
    static let markerSVG = """
        <?xml version="1.0" encoding="UTF-8"?>
        <!-- made by a test -->
        <svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 21 21" id="qr-marker"><rect x="0" y="0" width="7" height="7" fill="#000000"/></svg>
        """

    /// A VietQR (EMVCo) payload with a valid CRC: MB Bank 0123456789, 500 000 VND.
    static let vietQR =
        "00020101021238540010A00000072701240006970422011001234567890208QRIBFTTA530370454065000005802VN62280824CSXJ8QWEK2 PAY7K2M9Q4XWD63046BE7"

    static func page(_ locale: PageLocale) -> PageContext {
        PageContext(locale: locale, nonce: "dGVzdC1ub25jZS0xMjM0NQ")
    }

    static let booking = BookingSummary(roomTitle: "Phòng Deluxe hướng biển", startTime: bookingStart, endTime: bookingEnd)

    static func status(
        _ locale: PageLocale = .vi,
        status: PaymentStatus = .pending,
        roomTitle: String = "Phòng Deluxe hướng biển",
        qrSVG: String? = markerSVG,
        amountPaid: Int64 = 0,
        checkoutURL: String? = "https://pay.payos.vn/web/6f4c1b2e9a3d4c5b8e7f",
        transferContent: String? = "CSXJ8QWEK2 PAY7K2M9Q4XWD",
        bankDetails: Bool = true,
        notifications: [RenterNotice] = []
    ) -> StatusPageModel {
        StatusPageModel(
            page: page(locale),
            payment: PaymentSummary(
                booking: BookingSummary(roomTitle: roomTitle, startTime: bookingStart, endTime: bookingEnd), amount: 500_000,
                amountPaid: amountPaid, paymentCode: "PAY-7K2M9Q4XWD"),
            status: status,
            expiresAt: expiresAt,
            now: now,
            qrSVG: qrSVG,
            bankBIN: bankDetails ? "970422" : "",
            accountNumber: bankDetails ? "0123456789" : "",
            accountName: bankDetails ? "NGUYEN VAN AN" : "",
            transferContent: transferContent,
            checkoutURL: checkoutURL,
            refreshURL: "/payment/refresh-status/456",
            waitSeconds: 25,
            notificationsURL: "/api/notifications/check",
            notifications: notifications
        )
    }

    static func success(_ locale: PageLocale = .vi, roomTitle: String = "Phòng Deluxe hướng biển", backURL: String? = nil) -> SuccessPageModel {
        SuccessPageModel(
            page: page(locale),
            payment: PaymentSummary(
                booking: BookingSummary(roomTitle: roomTitle, startTime: bookingStart, endTime: bookingEnd), amount: 500_000,
                amountPaid: 500_000, paymentCode: "PAY-7K2M9Q4XWD"),
            // 2024-01-15 07:52:00 UTC = 14:52 Vietnam time.
            paidAt: 1_705_305_120_000,
            transactionReference: "FT24015123456789",
            backURL: backURL
        )
    }

    static func failed(
        _ locale: PageLocale = .vi,
        outcome: FailedPageModel.Outcome,
        amountPaid: Int64 = 0,
        backURL: String? = nil
    ) -> FailedPageModel {
        FailedPageModel(
            page: page(locale),
            outcome: outcome,
            payment: PaymentSummary(booking: booking, amount: 500_000, amountPaid: amountPaid, paymentCode: "PAY-7K2M9Q4XWD"),
            backURL: backURL
        )
    }
}

/// Checks on rendered HTML shared by the page tests.
enum HTMLInspection {
    /// Every place the page would fetch something from another origin: `src`/`href`/`srcset`/`action`/`poster`
    /// attributes on anything but `<a>` (links are navigation, not resources) that name a scheme or `//`, any CSS
    /// `url(` or `@import`, and any URL in the inline script. XML namespace declarations are names, not fetches.
    static func externalResourceReferences(in html: String) -> [String] {
        var found: [String] = []
        let tag = try! NSRegularExpression(pattern: "<(?!a[\\s>]|/)[a-zA-Z][^>]*>")
        let attribute = try! NSRegularExpression(pattern: "(?i)\\b(src|href|srcset|action|poster|data|formaction)\\s*=\\s*[\"']?\\s*([a-z]+:|//)")
        let range = NSRange(html.startIndex..., in: html)
        for match in tag.matches(in: html, range: range) {
            let text = String(html[Range(match.range, in: html)!])
            if attribute.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) != nil {
                found.append(text)
            }
        }
        for marker in ["url(", "@import"] where html.contains(marker) {
            found.append(marker)
        }
        for script in blocks(of: "script", in: html) where script.contains("://") {
            found.append("script mentions a URL")
        }
        return found
    }

    /// The text inside every `<name …>…</name>` element.
    static func blocks(of name: String, in html: String) -> [String] {
        let regex = try! NSRegularExpression(pattern: "<\(name)\\b[^>]*>(.*?)</\(name)>", options: [.dotMatchesLineSeparators])
        return regex.matches(in: html, range: NSRange(html.startIndex..., in: html)).map {
            String(html[Range($0.range(at: 1), in: html)!])
        }
    }

    /// The number of non-overlapping occurrences of `needle`.
    static func count(_ needle: String, in html: String) -> Int {
        html.components(separatedBy: needle).count - 1
    }
}
