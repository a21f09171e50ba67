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
import Notifications

extension GatewayAPITests {
    /// A paid payment tells the renter and the owner: one e-mail each (through the outbox) and web notifications
    /// each reads once, never the other's.
    @Suite struct NotificationTests {
        // MARK: Tests

        @Test(arguments: TestDatabases.backends)
        func aSettledPaymentEnqueuesOneEmailEachAndWebNotificationsReadOnce(backend: TestBackend) async throws {
            try await GatewayHarness.run(backend) { gw in
                let payment = try await gw.bookAndCreatePayment(gw.ownerA)
                let other = try await gw.bookAndCreatePayment(gw.ownerA)
                try await gw.payAndReturn(payment, of: gw.ownerA)
                // payOS's return redirect comes again (a reload): still one e-mail each.
                _ = try await gw.get("/payment/return?code=00&status=PAID&orderCode=\(payment.orderCode)")

                let rows = try await gw.components.database.query(
                    "SELECT recipient, status FROM outbox ORDER BY recipient", logger: gw.logger)
                #expect(try rows.map { try $0.decode("recipient", as: String.self) }.sorted() == ["an.nguyen@example.vn", "owner-a@example.vn"].sorted())
                // The settlement woke the outbox worker when it committed: both go out without waiting for its poll.
                try await gw.wait("both e-mails are sent") {
                    try await gw.components.database.query("SELECT id FROM outbox WHERE status <> 'sent'", logger: gw.logger).isEmpty
                }
                #expect(try await gw.components.notifications.worker.processDue().sent == 0)

                let renterPath = "/api/notifications/check?payment_id=\(payment.paymentID)"
                let first = try await gw.get(renterPath, headers: payment.cookie)
                #expect(first.status == .ok)
                #expect(first.json?["has_new"] == true)
                #expect(try await gw.get(renterPath, headers: payment.cookie).json?["has_new"] == false)
                // Another payment's cookie, no credential, and the owner reading the renter's: all refused.
                #expect(try await gw.get(renterPath + "&t=\(other.token)").status == .notFound)
                #expect(try await gw.get("/api/notifications/check").status == .unauthorized)
                let owner = try await gw.get("/api/notifications/check", headers: gw.ownerA.bearer)
                #expect(owner.json?["has_new"] == true)
                #expect(try await gw.get("/api/notifications/check", headers: gw.ownerB.bearer).json?["has_new"] == false)
            }
        }
    }
}
