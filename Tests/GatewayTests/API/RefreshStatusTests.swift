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

extension GatewayAPITests {
    /// `GET /payment/refresh-status/{id}[?wait=N]`: the renter page's poll — the seed's document, a long poll that
    /// returns the moment the payment settles, and answered from memory after the first read.
    @Suite struct RefreshStatusTests {
        @Test(arguments: TestDatabases.backends)
        func pendingThenSettledDocumentsHaveTheSeedsFields(backend: TestBackend) async throws {
            try await GatewayHarness.run(backend) { gw in
                let payment = try await gw.bookAndCreatePayment(gw.ownerA)
                let path = "/payment/refresh-status/\(payment.paymentID)"

                let pending = try await gw.get(path, headers: payment.cookie)
                #expect(pending.status == .ok)
                let p = try #require(pending.json)
                #expect(p["status"] == "pending")
                #expect(p["payment_status"] == "pending")
                #expect(p["message"] == "Đang chờ thanh toán")
                // No redirect while pending (the key is absent or null).
                #expect(p["redirect"] == .null)

                let english = try await gw.get(path + "?lang=en", headers: payment.cookie)
                #expect(english.json?["message"] == "Waiting for payment")

                try await gw.payAndReturn(payment, of: gw.ownerA)
                let settled = try await gw.get(path, headers: payment.cookie)
                let s = try #require(settled.json)
                #expect(s["status"] == "success")
                #expect(s["payment_status"] == "success")
                #expect(s["message"] == "Thanh toán thành công")
                #expect(s["redirect"] == .string("/payment/success/\(payment.paymentID)"))
                let settledEnglish = try await gw.get(path, headers: payment.cookie.merging([.acceptLanguage: "en-US,en;q=0.9"]))
                #expect(settledEnglish.json?["message"] == "Payment completed successfully")
            }
        }

        @Test(arguments: TestDatabases.backends)
        func cancelledPaymentRedirectsToTheFailedPage(backend: TestBackend) async throws {
            try await GatewayHarness.run(backend) { gw in
                let payment = try await gw.bookAndCreatePayment(gw.ownerA)
                let cancelled = try await gw.post(
                    "/payment/cancel/\(payment.paymentID)", "", headers: payment.cookie.merging([HTTPField.Name("Sec-Fetch-Site")!: "same-origin"]))
                #expect(cancelled.status == .seeOther)
                let r = try await gw.get("/payment/refresh-status/\(payment.paymentID)", headers: payment.cookie)
                // The seed's page stops polling only on success or failed: cancelled answers failed, precisely in payment_status.
                #expect(r.json?["status"] == "failed")
                #expect(r.json?["payment_status"] == "cancelled")
                #expect(r.json?["message"] == "Thanh toán đã bị hủy")
                #expect(r.json?["redirect"] == .string("/payment/failed/\(payment.paymentID)"))
            }
        }

        @Test(arguments: TestDatabases.backends)
        func longPollReturnsAsSoonAsThePaymentIsPaidDuringTheWait(backend: TestBackend) async throws {
            try await GatewayHarness.run(backend) { gw in
                let payment = try await gw.bookAndCreatePayment(gw.ownerA)
                let path = "/payment/refresh-status/\(payment.paymentID)"
                _ = try await gw.get(path, headers: payment.cookie)  // loads the payment into the status view
                let view = gw.components.statusView
                let hitsBefore = view.hits

                let started = ContinuousClock.now
                let poll = Task { try await gw.get(path + "?wait=5", headers: payment.cookie) }
                // The poll is waiting once it has read the view twice (access check, then the wait's first look).
                try await gw.wait("the long poll is waiting") { view.hits >= hitsBefore + 2 }

                try await gw.sandbox.pay(String(payment.orderCode), clientId: gw.ownerA.channel.clientId)
                let returned = try await gw.get("/payment/return?orderCode=\(payment.orderCode)")
                #expect(returned.location == "/payment/success/\(payment.paymentID)")
                let settledAt = ContinuousClock.now

                let answer = try await poll.value
                let answeredAt = ContinuousClock.now
                #expect(answer.status == .ok)
                #expect(answer.json?["status"] == "success")
                #expect(answer.json?["redirect"] == .string("/payment/success/\(payment.paymentID)"))
                // It answered because the payment settled, not because the 5 s ran out.
                #expect(answeredAt - started < .seconds(5), "the long poll took \(answeredAt - started)")
                #expect(answeredAt - settledAt < .seconds(2), "the long poll answered \(answeredAt - settledAt) after the settlement")
            }
        }

        @Test(arguments: TestDatabases.backends)
        func longPollAnswersPendingWhenTheWaitRunsOut(backend: TestBackend) async throws {
            try await GatewayHarness.run(backend) { gw in
                let payment = try await gw.bookAndCreatePayment(gw.ownerA)
                let started = ContinuousClock.now
                let r = try await gw.get("/payment/refresh-status/\(payment.paymentID)?wait=1", headers: payment.cookie)
                let elapsed = ContinuousClock.now - started
                #expect(r.status == .ok)
                #expect(r.json?["status"] == "pending")
                #expect(elapsed >= .milliseconds(950), "answered after \(elapsed), before the 1 s wait ended")
                #expect(elapsed < .seconds(4), "answered after \(elapsed)")

                // wait=0 is a plain poll.
                let zero = try await gw.get("/payment/refresh-status/\(payment.paymentID)?wait=0", headers: payment.cookie)
                #expect(zero.json?["status"] == "pending")
            }
        }

        @Test(arguments: TestDatabases.backends)
        func waitOutsideZeroToThirtySecondsIsA400(backend: TestBackend) async throws {
            try await GatewayHarness.run(backend) { gw in
                let payment = try await gw.bookAndCreatePayment(gw.ownerA)
                for wait in ["31", "-1", "abc", "1.5", "99999999999999999999"] {
                    let r = try await gw.get("/payment/refresh-status/\(payment.paymentID)?wait=\(wait)", headers: payment.cookie)
                    #expect(r.status == .badRequest, "wait=\(wait)")
                    #expect(r.errorCode == "VALIDATION_ERROR", "wait=\(wait)")
                    #expect(r.json?["error"]?.stringValue?.contains("wait") == true, "wait=\(wait)")
                }
                // Access is checked first: without the token, 404 whatever the wait.
                let r = try await gw.get("/payment/refresh-status/\(payment.paymentID)?wait=31")
                #expect(r.status == .notFound)
            }
        }

        @Test(arguments: TestDatabases.backends)
        func repeatedPollsAreAnsweredFromMemoryWithoutReadingTheDatabase(backend: TestBackend) async throws {
            // More polls in a row than the renter's default burst (30): this test is about the view, not the limit.
            try await GatewayHarness.run(backend, environment: ["GATEHOUSE_RENTER_RATE_LIMIT_BURST": "1000"]) { gw in
                let payment = try await gw.bookAndCreatePayment(gw.ownerA)
                let view = gw.components.statusView
                let missesBefore = view.misses
                let path = "/payment/refresh-status/\(payment.paymentID)"

                // The first poll comes with the link's token, like a renter opening the link.
                let first = try await gw.get(path + "?t=\(payment.token)")
                #expect(first.json?["status"] == "pending")
                #expect(view.misses == missesBefore + 1)

                let hitsBefore = view.hits
                for _ in 0..<50 {
                    let r = try await gw.get(path, headers: payment.cookie)
                    #expect(r.json?["status"] == "pending")
                }
                #expect(view.misses == missesBefore + 1, "polls read the database")
                #expect(view.hits == hitsBefore + 50)

                // A settlement made by this instance reaches the view without another read.
                try await gw.payAndReturn(payment, of: gw.ownerA)
                let settled = try await gw.get(path, headers: payment.cookie)
                #expect(settled.json?["status"] == "success")
                #expect(view.misses == missesBefore + 1)
            }
        }
    }
}
