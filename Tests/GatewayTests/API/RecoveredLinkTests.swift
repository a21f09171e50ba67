// Copyright (c) the Gatehouse authors
import Foundation
import GatehouseTestSupport
import HTTPTypes
import PayOS
import PayOSSandbox
import Payments
import StorageTestSupport
import Testing

extension GatewayAPITests {
    /// A create whose answer is lost after payOS made the link: the retry meets payOS's code 231 and the link is adopted
    /// from a lookup, which has no QR or bank details. The renter still has a way to pay: payOS's checkout page, at the
    /// configured checkout address (the sandbox's here, as in `gatehouse dev`).
    @Suite struct RecoveredLinkTests {
        @Test(arguments: TestDatabases.backends)
        func aLinkAdoptedAfterCode231IsPaidOnTheConfiguredCheckoutPage(backend: TestBackend) async throws {
            try await GatewayHarness.run(backend) { gw in
                let bookingID = try await gw.createBooking(gw.ownerA)
                gw.payOS.loseAnswers(ofNextCreates: 1)
                let created = try await gw.createPayment(gw.ownerA, bookingID: bookingID)

                // Two creates reached payOS (the lost one and the 231), one lookup, and payOS holds the one link.
                #expect(gw.payOS.creates.count == 2)
                #expect(gw.payOS.calls.filter { $0.method == "GET" && $0.path.hasPrefix("/v2/payment-requests/") }.count == 1)
                let link = try await gw.link(created, of: gw.ownerA)
                let checkout = gw.sandboxURL + "/web/" + link.id
                #expect(created.checkoutURL == checkout)
                let stored = try #require(try await gw.storedPayment(created, of: gw.ownerA))
                #expect(stored.checkoutURL == checkout)
                #expect(stored.qrCode.nonEmpty == nil && stored.accountNumber.nonEmpty == nil)

                // The checkout page exists at the sandbox and shows the QR and the account.
                let sandboxPort = try #require(URLComponents(string: gw.sandboxURL)?.port)
                let page = try await HTTPResult.fetch(port: sandboxPort, .get, "/web/" + link.id)
                #expect(page.status == .ok)
                #expect(page.body.contains("<svg") && page.body.contains(link.accountNumber))

                // The renter's page says where the QR is and links there; no QR frame or empty bank table.
                for (query, message) in [
                    ("", "Mã QR và thông tin chuyển khoản của khoản thanh toán này hiển thị trên trang thanh toán của payOS."),
                    ("?lang=en", "The QR code and transfer details for this payment are shown on payOS&#39;s checkout page."),
                ] {
                    var headers = created.cookie
                    headers[.accept] = "text/html"
                    // Fetched directly: the harness's leak check takes the English page's "Select and copy" for SQL.
                    let renter = try await HTTPResult.fetch(port: gw.port, .get, "/payment/status/\(created.paymentID)\(query)", headers: headers)
                    #expect(renter.status == .ok)
                    #expect(renter.body.contains(message), "\(renter.body)")
                    #expect(renter.body.contains("id=\"payos-checkout\" class=\"btn btn-primary\" href=\"\(checkout)\""))
                    #expect(!renter.body.contains("<figure class=\"qr\"") && !renter.body.contains("class=\"rows\""))
                }

                // The seed's QR endpoint stays truthful: no QR, no made-up bank details, and where to find them.
                let qr = try await gw.get("/payment/qr/\(created.paymentID)", headers: created.cookie)
                #expect(qr.status == .ok)
                #expect(qr.json?["success"] == false)
                #expect(qr.json?["qr_code"] == nil && qr.json?["qr_text"] == nil)
                #expect(qr.json?["checkout_url"] == .string(checkout))
                #expect(qr.json?["account_info"]?["account_number"] == nil && qr.json?["account_info"]?["amount"] == 500_000)
                let refresh = try await gw.get("/payment/refresh-status/\(created.paymentID)", headers: created.cookie)
                #expect(refresh.json?["status"] == "pending")

                // Paid at payOS, the adopted link settles like any other.
                try await gw.payAndReturn(created, of: gw.ownerA)
                #expect(try await gw.storedPayment(created, of: gw.ownerA)?.status == .success)
            }
        }
    }
}

extension Optional where Wrapped == String {
    /// The string, or `nil` when absent or empty.
    fileprivate var nonEmpty: String? { self.flatMap { $0.isEmpty ? nil : $0 } }
}
