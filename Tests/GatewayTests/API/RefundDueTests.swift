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
import GatehouseCore
import Payments

extension GatewayAPITests {
    /// A renter who pays a superseded link, through the HTTP edges: payOS's signed webhook for the cancelled link is
    /// accepted, the money is recorded and owed back, and the owner's API, notifications and `/metrics` all show it.
    @Suite struct RefundDueTests {
        @Test(arguments: TestDatabases.backends)
        func aRenterWhoPaysASupersededLinkShowsUpAsARefundDueEverywhereTheOwnerAndOperatorsLook(backend: TestBackend) async throws {
            try await GatewayHarness.run(backend) { gw in
                let bookingID = try await gw.createBooking(gw.ownerA)
                let superseded = try await gw.createPayment(gw.ownerA, bookingID: bookingID)
                let replacement = try await gw.post(
                    "/payment/process_payment", #"{"booking_id": \#(bookingID), "description": "Coc phong 101"}"#, headers: gw.ownerA.bearer)
                #expect(replacement.status == .created)

                try await gw.sandbox.pay(String(superseded.orderCode), clientId: gw.ownerA.channel.clientId, late: true)
                let link = try await gw.link(superseded, of: gw.ownerA)
                let webhook = try WebhookTests.webhook(for: link, key: gw.ownerA.channel.checksumKey)
                #expect(try await gw.post(WebhookTests.webhookPath(gw, gw.ownerA), webhook).status == .ok)
                await gw.settled()

                let list = try await gw.get("/api/payments", headers: gw.ownerA.bearer)
                let row = try #require(list.json?["payments"]?.arrayValue?.first { $0["id"]?.int64Value == superseded.paymentID })
                #expect(row["status"]?.stringValue == "cancelled" && row["settled_by"]?.stringValue == "superseded")
                #expect(row["refund_reason"]?.stringValue == "paid_after_cancel" && row["amount_paid"]?.int64Value == 500_000)
                #expect(try await gw.get("/api/payments", headers: gw.ownerB.bearer).json?["payments"]?.arrayValue?.isEmpty == true)

                let notices = try await gw.get("/api/notifications/check", headers: gw.ownerA.bearer)
                let kinds = notices.json?["notifications"]?.arrayValue?.compactMap { $0["type"]?.stringValue ?? $0["kind"]?.stringValue }
                #expect(kinds?.contains("payment_refund_due") == true, "\(notices.body)")

                let text = try await gw.get("/metrics").body
                typealias P = PrometheusEndpointTests
                #expect(P.sample(text, "gatehouse_payment_refunds_due", ["reason=\"paid_after_cancel\""]) == 1)
                #expect(P.sample(text, "gatehouse_payment_refunds_due_vnd", ["reason=\"paid_after_cancel\""]) == 500_000)
                #expect(P.sample(text, "gatehouse_payment_refunds_due", ["reason=\"underpaid\""]) == 0)
                #expect(P.sample(text, "gatehouse_payments_settled", ["settled_by=\"superseded\""]) == 1)

                // The booking is unpaid until its live link is paid, and then paid once.
                #expect(try await gw.storedPayment(superseded, of: gw.ownerA)?.refundDue == true)
                let bookings = try await gw.components.database.query(
                    "SELECT payment_status FROM booking WHERE id = \(bookingID)", logger: gw.logger)
                #expect(try bookings.first?.decode("payment_status", as: String.self) == "unpaid")
            }
        }
    }
}
