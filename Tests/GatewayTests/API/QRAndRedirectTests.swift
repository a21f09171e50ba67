// Copyright (c) the Gatehouse authors
import Foundation
import GatehouseApp
import GatehouseTestSupport
import Gateway
import HTTPTypes
import PayOS
import PayOSSandbox
import Storage
import StorageTestSupport
import Tenancy
import Testing
import Payments
import GatehouseCore

extension GatewayAPITests {
    /// `GET /payment/qr/{id}`: the VietQR payOS made for the link, as an SVG image, with the details a renter needs to
    /// transfer by hand.
    @Suite struct QRCodeEndpointTests {
        @Test(arguments: TestDatabases.backends)
        func qrDocumentCarriesPayOSsVietQRAndTheReceivingAccount(backend: TestBackend) async throws {
            try await GatewayHarness.run(backend) { gw in
                for tenant in [gw.ownerA, gw.ownerB] {
                    let payment = try await gw.bookAndCreatePayment(tenant, amount: 275_000)
                    let link = try await gw.link(payment, of: tenant)
                    let r = try await gw.get("/payment/qr/\(payment.paymentID)", headers: payment.cookie)
                    #expect(r.status == .ok)
                    let json = try #require(r.json)
                    #expect(json["success"] == true)
                    let dataURI = try #require(json["qr_code"]?.stringValue)
                    #expect(dataURI.hasPrefix("data:image/svg+xml;base64,"))
                    let svg = try #require(Data(base64Encoded: String(dataURI.dropFirst("data:image/svg+xml;base64,".count))))
                    #expect(String(decoding: svg, as: UTF8.self).contains("<svg"))
                    #expect(json["qr_text"] == .string(link.qrCode))

                    let account = try #require(json["account_info"])
                    #expect(account["bank_bin"] == .string(link.bin))
                    #expect(account["bank_name"] == .string(VietnamBanks.shortName(forBIN: link.bin)))
                    #expect(account["account_number"] == .string(link.accountNumber))
                    #expect(account["account_name"] == .string(link.accountName))
                    #expect(account["amount"] == .int(link.amount))
                    #expect(account["amount"] == 275_000)
                }
                #expect(VietnamBanks.shortName(forBIN: "970436") != "970436")
            }
        }

        /// A renter who cannot scan types the transfer by hand: the content must be what payOS matches transfers by —
        /// the purpose inside the VietQR, which starts with payOS's payment code — not the description alone.
        @Test(arguments: TestDatabases.backends)
        func transferContentIsTheOneInsideTheVietQR(backend: TestBackend) async throws {
            try await GatewayHarness.run(backend) { gw in
                let payment = try await gw.bookAndCreatePayment(gw.ownerA)
                let link = try await gw.link(payment, of: gw.ownerA)
                #expect(link.qrCode.contains(link.transferContent))
                let r = try await gw.get("/payment/qr/\(payment.paymentID)", headers: payment.cookie)
                let page = try await gw.get(payment.redirectURL, headers: [.accept: "text/html"])
                #expect(r.json?["account_info"]?["transfer_content"] == .string(link.transferContent))
                #expect(page.body.contains("data-copy=\"\(link.transferContent)\""))
            }
        }
    }

    /// payOS's browser redirects: `/payment/return` and `/payment/cancel` carry an unsigned query, so the gateway asks
    /// payOS for the link's real state; only the renter can cancel.
    @Suite struct ReturnAndCancelTests {
        @Test(arguments: TestDatabases.backends)
        func aForgedPaidQueryOnTheReturnPageLeavesAnUnpaidPaymentPending(backend: TestBackend) async throws {
            try await GatewayHarness.run(backend) { gw in
                let payment = try await gw.bookAndCreatePayment(gw.ownerA)
                let link = try await gw.link(payment, of: gw.ownerA)
                let forged = try await gw.get(
                    "/payment/return?code=00&id=\(link.id)&cancel=false&status=PAID&orderCode=\(payment.orderCode)", headers: payment.cookie)
                #expect(forged.status == .seeOther)
                #expect(forged.location == "/payment/status/\(payment.paymentID)")
                let stored = try #require(try await gw.storedPayment(payment, of: gw.ownerA))
                #expect(stored.status == .pending)
                let booking = try #require(try await gw.components.bookings.get(owner: gw.ownerA.id, id: stored.bookingID, logger: gw.logger))
                #expect(booking.paymentStatus == .unpaid)
                // The gateway asked payOS (the owner's channel) instead of believing the query.
                #expect(gw.payOS.calls.contains { $0.method == "GET" && $0.path == "/v2/payment-requests/\(payment.orderCode)" })
            }
        }

        @Test(arguments: TestDatabases.backends)
        func returnAfterPayingAtPayOSSettlesThePaymentAndConfirmsTheBooking(backend: TestBackend) async throws {
            try await GatewayHarness.run(backend) { gw in
                let payment = try await gw.bookAndCreatePayment(gw.ownerA)
                let returned = try await gw.payAndReturn(payment, of: gw.ownerA)
                #expect(returned.status == .seeOther)
                #expect(returned.location == "/payment/success/\(payment.paymentID)")

                let stored = try #require(try await gw.storedPayment(payment, of: gw.ownerA))
                #expect(stored.status == .success)
                #expect(stored.settledBy == .return)
                #expect(stored.amountPaid == 500_000)
                #expect(stored.paidAt != nil)
                let booking = try #require(try await gw.components.bookings.get(owner: gw.ownerA.id, id: stored.bookingID, logger: gw.logger))
                #expect(booking.status == .confirmed)
                #expect(booking.paymentStatus == .paid)

                let api = try await gw.get("/api/bookings/\(stored.bookingID.rawValue)", headers: gw.ownerA.bearer)
                #expect(api.json?["status"] == "confirmed")
                #expect(api.json?["payment_status"] == "paid")
                let status = try await gw.get("/payment/status/\(payment.paymentID)", headers: payment.cookie.merging([.accept: "application/json"]))
                #expect(status.json?["payment"]?["status"] == "success")
                #expect(status.json?["payment"]?["settled_by"] == "return")

                // The success page is the receipt; the status page now leads there.
                let receipt = try await gw.get("/payment/success/\(payment.paymentID)", headers: payment.cookie.merging([.accept: "text/html"]))
                #expect(receipt.status == .ok)
                #expect(receipt.body.contains("Thanh toán thành công"))
                let page = try await gw.get("/payment/status/\(payment.paymentID)", headers: payment.cookie.merging([.accept: "text/html"]))
                #expect(page.status == .seeOther)
                #expect(page.location == "/payment/success/\(payment.paymentID)")

                // Returning again changes nothing.
                let again = try await gw.get("/payment/return?orderCode=\(payment.orderCode)")
                #expect(again.location == "/payment/success/\(payment.paymentID)")
            }
        }

        @Test(arguments: TestDatabases.backends)
        func returnForAnUnknownOrderCodeIs404(backend: TestBackend) async throws {
            try await GatewayHarness.run(backend) { gw in
                for query in ["orderCode=123456789012", "orderCode=abc", "orderCode=-5", ""] {
                    let r = try await gw.get("/payment/return?\(query)", headers: [.accept: "text/html"])
                    #expect(r.status == .notFound, "\(query)")
                    #expect(r.isHTML, "\(query)")
                }
            }
        }

        static let sameOrigin: HTTPFields = [HTTPField.Name("Sec-Fetch-Site")!: "same-origin"]

        @Test(arguments: TestDatabases.backends)
        func theStatusPagesCancelButtonCancelsTheLinkAtPayOS(backend: TestBackend) async throws {
            try await GatewayHarness.run(backend) { gw in
                let payment = try await gw.bookAndCreatePayment(gw.ownerA)
                let page = try await gw.get("/payment/status/\(payment.paymentID)", headers: payment.cookie.merging([.accept: "text/html"]))
                #expect(page.body.contains(#"<form class="cancel" method="post" action="/payment/cancel/\#(payment.paymentID)">"#))

                let r = try await gw.post("/payment/cancel/\(payment.paymentID)", "", headers: payment.cookie.merging(Self.sameOrigin))
                #expect(r.status == .seeOther)
                #expect(r.location == "/payment/failed/\(payment.paymentID)")
                let link = try await gw.link(payment, of: gw.ownerA)
                #expect(link.status(at: Int64(Date().timeIntervalSince1970)) == .cancelled)
                #expect(link.cancellationReason == "Renter cancelled")
                #expect(try await gw.storedPayment(payment, of: gw.ownerA)?.status == .cancelled)
                let failedPage = try await gw.get("/payment/failed/\(payment.paymentID)", headers: payment.cookie.merging([.accept: "text/html"]))
                #expect(failedPage.status == .ok)
                #expect(failedPage.isHTML)
            }
        }

        @Test(arguments: TestDatabases.backends)
        func noOtherSiteCanCancelARentersPayment(backend: TestBackend) async throws {
            try await GatewayHarness.run(backend) { gw in
                let payment = try await gw.bookAndCreatePayment(gw.ownerA)
                // A link or a redirect to payOS's cancel URL, carrying the renter's (SameSite=Lax) cookie: it only shows
                // the state payOS reports.
                let linked = try await gw.get("/payment/cancel?code=00&cancel=true&status=CANCELLED&orderCode=\(payment.orderCode)", headers: payment.cookie)
                #expect(linked.status == .seeOther)
                #expect(linked.location == "/payment/status/\(payment.paymentID)")
                // A form on another site posting with the cookie (older browsers send it): refused.
                let crossSite: [HTTPFields] = [
                    [HTTPField.Name("Sec-Fetch-Site")!: "cross-site"], [HTTPField.Name("Sec-Fetch-Site")!: "same-site"],
                    [.origin: "https://evil.example"], [:],
                ]
                for headers in crossSite {
                    let r = try await gw.post("/payment/cancel/\(payment.paymentID)", "", headers: payment.cookie.merging(headers))
                    #expect(r.status == .forbidden, "\(headers)")
                    #expect(r.errorCode == "CROSS_SITE_REQUEST", "\(headers)")
                }
                // Our own page without the renter's token is no grant.
                #expect(try await gw.post("/payment/cancel/\(payment.paymentID)", "", headers: Self.sameOrigin).status == .notFound)
                #expect(try await gw.link(payment, of: gw.ownerA).canceledAt == nil)
                #expect(try await gw.storedPayment(payment, of: gw.ownerA)?.status == .pending)
                #expect(!gw.payOS.calls.contains { $0.path.hasSuffix("/cancel") })
            }
        }

        @Test(arguments: TestDatabases.backends)
        func aCancelOnPayOSsPageIsRecordedFromTheRedirect(backend: TestBackend) async throws {
            try await GatewayHarness.run(backend) { gw in
                let payment = try await gw.bookAndCreatePayment(gw.ownerA)
                let link = try await gw.link(payment, of: gw.ownerA)
                // The renter presses cancel on payOS's checkout page: payOS cancels the link and redirects.
                let sandboxPort = try #require(URLComponents(string: gw.sandboxURL)?.port)
                let atPayOS = try await HTTPResult.fetch(port: sandboxPort, .post, "/web/\(link.id)/cancel")
                let redirect = try #require(atPayOS.location.flatMap { URLComponents(string: $0) })
                #expect(redirect.path == "/payment/cancel")
                let r = try await gw.get("/payment/cancel?\(redirect.percentEncodedQuery ?? "")", headers: payment.cookie)
                #expect(r.location == "/payment/failed/\(payment.paymentID)")
                #expect(try await gw.storedPayment(payment, of: gw.ownerA)?.status == .cancelled)
            }
        }

        @Test(arguments: TestDatabases.backends)
        func cancelWithoutTheRenterCookieDoesNotCancel(backend: TestBackend) async throws {
            try await GatewayHarness.run(backend) { gw in
                let payment = try await gw.bookAndCreatePayment(gw.ownerA)
                let other = try await gw.bookAndCreatePayment(gw.ownerA)
                for headers: HTTPFields in [[:], other.cookie, [.cookie: "gh_pt_\(payment.paymentID)=\(other.token)"], gw.ownerB.bearer] {
                    let r = try await gw.get("/payment/cancel?code=00&cancel=true&status=CANCELLED&orderCode=\(payment.orderCode)", headers: headers)
                    #expect(r.status == .seeOther)
                    #expect(r.location == "/payment/status/\(payment.paymentID)")
                }
                let link = try await gw.link(payment, of: gw.ownerA)
                #expect(link.canceledAt == nil)
                #expect(link.status(at: Int64(Date().timeIntervalSince1970)) == .pending)
                #expect(try await gw.storedPayment(payment, of: gw.ownerA)?.status == .pending)
                #expect(!gw.payOS.calls.contains { $0.path.hasSuffix("/cancel") })
            }
        }

        /// The renter paid in another tab a moment ago (payOS has it, the webhook has not arrived) and presses cancel
        /// on our page: payOS refuses to cancel a paid link (code 20), so the link's state is fetched and settled and
        /// the renter lands on the success page, not an error.
        @Test(arguments: TestDatabases.backends)
        func aCancelPayOSRefusesEndsOnThePageThatTellsTheTruth(backend: TestBackend) async throws {
            try await GatewayHarness.run(backend) { gw in
                let payment = try await gw.bookAndCreatePayment(gw.ownerA)
                try await gw.sandbox.pay(String(payment.orderCode), clientId: gw.ownerA.channel.clientId)
                #expect(try await gw.storedPayment(payment, of: gw.ownerA)?.status == .pending)
                let r = try await gw.post("/payment/cancel/\(payment.paymentID)", "", headers: payment.cookie.merging(Self.sameOrigin))
                #expect(r.status == .seeOther)
                #expect(r.location == "/payment/success/\(payment.paymentID)")
                #expect(try await gw.storedPayment(payment, of: gw.ownerA)?.status == .success)
                #expect(gw.payOS.calls.contains { $0.path.hasSuffix("/cancel") })
                #expect(try await gw.link(payment, of: gw.ownerA).canceledAt == nil)
            }
        }

        @Test(arguments: TestDatabases.backends)
        func cancellingAPaidPaymentKeepsItPaid(backend: TestBackend) async throws {
            try await GatewayHarness.run(backend) { gw in
                let payment = try await gw.bookAndCreatePayment(gw.ownerA)
                try await gw.payAndReturn(payment, of: gw.ownerA)
                let r = try await gw.get("/payment/cancel?orderCode=\(payment.orderCode)", headers: payment.cookie)
                #expect(r.location == "/payment/success/\(payment.paymentID)")
                #expect(try await gw.storedPayment(payment, of: gw.ownerA)?.status == .success)
                #expect(try await gw.link(payment, of: gw.ownerA).canceledAt == nil)
            }
        }
    }
}
