// Copyright (c) the Gatehouse authors
import NIOHTTP1
import PayOS
import Testing

@testable import PayOSSandbox
import GatehouseCore

/// The checkout page `/web/{paymentLinkId}` and its buyer actions (spec 6.1, 6.2).
@Suite struct CheckoutPageTests {
    static let form = [("Content-Type", "application/x-www-form-urlencoded")]

    // MARK: Tests

    @Test func pageShowsQRCodeBankDetailsAndActions() async throws {
        try await TestSandbox.with { sandbox in
            let data = try await sandbox.createLink(orderCode: 123, amount: 1_250_000, description: "Tien phong <101>")
            let checkoutURL = try #require(data["checkoutUrl"]?.stringValue)
            let id = try #require(data["paymentLinkId"]?.stringValue)
            let page = try await sandbox.request(.GET, String(checkoutURL.dropFirst(sandbox.baseURL.count)))
            #expect(page.status == 200)
            #expect(page.headers["Content-Type"] == ["text/html; charset=utf-8"])
            let html = page.text
            #expect(html.contains("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"))
            #expect(html.contains("<svg xmlns=\"http://www.w3.org/2000/svg\""))
            #expect(html.contains(channelA.accountNumber) && html.contains("GATEHOUSE SANDBOX MERCHANT") && html.contains("MBBank (970422)"))
            #expect(html.contains("1.250.000 VND") && html.contains("PENDING"))
            #expect(html.contains("Tien phong &lt;101&gt;") && !html.contains("<101>"), "description is escaped")
            #expect(html.contains("action=\"/web/\(id)/pay\"") && html.contains("action=\"/web/\(id)/cancel\"") && html.contains("name=\"amount\""))
        }
    }

    @Test func payingInFullRedirectsToReturnURLWithPayOSParameters() async throws {
        try await TestSandbox.with { sandbox in
            let data = try await sandbox.createLink(orderCode: 803_347, returnUrl: "https://shop.example.vn/return?ref=a")
            let id = try #require(data["paymentLinkId"]?.stringValue)
            let response = try await sandbox.request(.POST, "/web/\(id)/pay", body: Array("amount=".utf8), headers: Self.form)
            #expect(response.status == 303)
            #expect(
                response.headers["Location"] == ["https://shop.example.vn/return?ref=a&code=00&id=\(id)&cancel=false&status=PAID&orderCode=803347"]
            )
            #expect(try PaymentRequestsTests.signedData(try await sandbox.payOS(.GET, "/v2/payment-requests/803347"))["status"] == "PAID")
            // The page now offers the way back instead of payment buttons.
            let page = try await sandbox.request(.GET, "/web/\(id)").text
            #expect(page.contains("PAID") && !page.contains("/pay\"") && page.contains("status=PAID"))
        }
    }

    @Test func payingPartStaysOnTheCheckoutPage() async throws {
        try await TestSandbox.with { sandbox in
            let data = try await sandbox.createLink(orderCode: 2, amount: 10_000)
            let id = try #require(data["paymentLinkId"]?.stringValue)
            let response = try await sandbox.request(.POST, "/web/\(id)/pay", body: Array("amount=4.000".utf8), headers: Self.form)
            #expect(response.status == 303)
            #expect(response.headers["Location"] == ["/web/\(id)?paid=4000"])
            let page = try await sandbox.request(.GET, "/web/\(id)?paid=4000").text
            #expect(page.contains("UNDERPAID") && page.contains("Đã nhận 4.000 VND") && page.contains("6.000 VND"))
            let bad = try await sandbox.request(.POST, "/web/\(id)/pay", body: Array("amount=abc".utf8), headers: Self.form)
            #expect(bad.status == 400 && bad.headers["Content-Type"] == ["text/html; charset=utf-8"])
            let tooMuch = try await sandbox.request(.POST, "/web/\(id)/pay", body: Array("amount=7000".utf8), headers: Self.form)
            #expect(tooMuch.status == 400)
        }
    }

    @Test func cancellingRedirectsToCancelURL() async throws {
        try await TestSandbox.with { sandbox in
            let data = try await sandbox.createLink(orderCode: 3, cancelUrl: "https://shop.example.vn/cancel#top")
            let id = try #require(data["paymentLinkId"]?.stringValue)
            let response = try await sandbox.request(.POST, "/web/\(id)/cancel", headers: Self.form)
            #expect(response.status == 303)
            #expect(response.headers["Location"] == ["https://shop.example.vn/cancel?code=00&id=\(id)&cancel=true&status=CANCELLED&orderCode=3#top"])
            let info = try PaymentRequestsTests.signedData(try await sandbox.payOS(.GET, "/v2/payment-requests/3"))
            #expect(info["status"] == "CANCELLED" && info["cancellationReason"] == .null)
        }
    }

    @Test func actionsOnAFinishedLinkShowAMessage() async throws {
        try await TestSandbox.with { sandbox in
            let data = try await sandbox.createLink(orderCode: 4)
            let id = try #require(data["paymentLinkId"]?.stringValue)
            _ = try await sandbox.request(.POST, "/web/\(id)/cancel")
            let pay = try await sandbox.request(.POST, "/web/\(id)/pay", headers: Self.form)
            #expect(pay.status == 409 && pay.text.contains("CANCELLED"))
            let page = try await sandbox.request(.GET, "/web/\(id)").text
            #expect(page.contains("CANCELLED") && !page.contains("<svg"))
            await #expect(throws: SandboxControlError.self) { try await sandbox.sandbox.pay(id) }
        }
    }

    @Test func unknownLinkIs404() async throws {
        try await TestSandbox.with { sandbox in
            for (method, path) in [
                (HTTPMethod.GET, "/web/0123456789abcdef0123456789abcdef"), (.POST, "/web/nothing/pay"), (.POST, "/web/nothing/cancel"),
            ] {
                let response = try await sandbox.request(method, path)
                #expect(response.status == 404 && response.text.contains("Không tìm thấy"))
            }
        }
    }
}
