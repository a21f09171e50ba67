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
    /// The whole journey on the production backend, with no shortcut: booking → payment → the renter pays at payOS
    /// (the sandbox) → payOS's own signed webhook → success, booking confirmed → exactly one e-mail each to the renter
    /// and the owner at a real SMTP server → the renter's page shows success.
    @Suite struct PaymentEndToEndTests {
        static let smtpURL = ProcessInfo.processInfo.environment["GATEHOUSE_TEST_SMTP_URL"].flatMap { $0.isEmpty ? nil : $0 }
        static let maildir = ProcessInfo.processInfo.environment["GATEHOUSE_TEST_SMTP_MAILDIR"].flatMap { $0.isEmpty ? nil : $0 }

        /// Envelopes the SMTP sink received for `recipient`.
        static func deliveries(to recipient: String) -> Int {
            guard let maildir, let names = try? FileManager.default.contentsOfDirectory(atPath: maildir) else { return 0 }
            return names.filter { $0.hasSuffix(".json") }.filter { name in
                guard let data = FileManager.default.contents(atPath: maildir + "/" + name),
                    let envelope = try? JSONValue(parsing: Array(data)), let recipients = envelope["rcpt_tos"]?.arrayValue
                else { return false }
                return recipients.contains(.string(recipient))
            }.count
        }

        // MARK: Tests

        @Test(.mariaDBAvailable)
        func aPaymentPaidAtPayOSEndsInSuccessWithOneEmailEach() async throws {
            guard let smtpURL = Self.smtpURL, Self.maildir != nil else {
                if TestDatabases.isCI { Issue.record("GATEHOUSE_TEST_SMTP_URL / _MAILDIR must be set on CI (scripts/smtp-test-server)") }
                return
            }
            try await GatewayHarness.run(.mariadb, environment: ["GATEHOUSE_SMTP_URL": smtpURL]) { gw in
                let unique = UUID().uuidString.prefix(8).lowercased()
                let ownerEmail = "e2e-owner-\(unique)@example.vn"
                let renterEmail = "e2e-renter-\(unique)@example.vn"
                let owner = try await gw.makeOwner(name: "Nhà nghỉ E2E", email: ownerEmail, credentials: GatewayHarness.channelA)
                // payOS delivers this channel's webhooks to the owner's own URL (as confirm-webhook would record it).
                let channel = GatewayHarness.channelA
                try await gw.sandbox.addChannel(
                    SandboxChannel(
                        clientId: channel.clientId, apiKey: channel.apiKey, checksumKey: channel.checksumKey, accountName: "NHA TRO HOA SEN",
                        webhookUrl: "\(gw.baseURL)/webhook/payos/\(gw.components.credentials.webhookKeys.key(for: owner.owner))"),
                    replace: true)

                let bookingID = try await gw.createBooking(owner, renterEmail: renterEmail)
                let payment = try await gw.createPayment(owner, bookingID: bookingID)
                let page = try await gw.get(payment.redirectURL, headers: [.accept: "text/html"])
                #expect(page.status == .ok)

                try await gw.sandbox.pay(String(payment.orderCode), clientId: channel.clientId)
                try await gw.wait(timeout: .seconds(30), "the webhook settles the payment") {
                    try await gw.storedPayment(payment, of: owner)?.status == .success
                }
                let stored = try #require(try await gw.storedPayment(payment, of: owner))
                #expect(stored.settledBy == .webhook)
                let booking = try #require(try await gw.components.bookings.get(owner: owner.id, id: stored.bookingID, logger: gw.logger))
                #expect(booking.status == .confirmed)

                try await gw.wait(timeout: .seconds(30), "both e-mails arrive at the SMTP server") {
                    Self.deliveries(to: renterEmail) >= 1 && Self.deliveries(to: ownerEmail) >= 1
                }
                // The outbox has nothing left to send, so nothing more can arrive: exactly one each.
                try await gw.wait(timeout: .seconds(30), "the outbox is drained") {
                    try await gw.components.database.query(
                        "SELECT id FROM outbox WHERE status <> 'sent' AND recipient IN \(list: [renterEmail, ownerEmail])", logger: gw.logger
                    ).isEmpty
                }
                #expect(Self.deliveries(to: renterEmail) == 1)
                #expect(Self.deliveries(to: ownerEmail) == 1)

                let status = try await gw.get(payment.redirectURL, headers: [.accept: "text/html"])
                #expect(status.status == .seeOther)
                #expect(status.location == "/payment/success/\(payment.paymentID)")
                let success = try await gw.get("/payment/success/\(payment.paymentID)?lang=vi", headers: payment.cookie.merging([.accept: "text/html"]))
                #expect(success.body.contains("Thanh toán thành công"))
            }
        }

        /// payOS's statuses no payment reaches by itself, forced at the sandbox and read by the return redirect (which
        /// trusts only payOS's GET): PROCESSING leaves the payment pending, FAILED settles it failed.
        @Test(arguments: TestDatabases.backends)
        func aProcessingLinkStaysPendingAndAFailedOneSettlesFailed(backend: TestBackend) async throws {
            // Every return asks payOS again (no interval between redirects' confirmations): the second one must see FAILED.
            try await GatewayHarness.run(backend, environment: ["GATEHOUSE_RETURN_CONFIRM_SECONDS": "0"]) { gw in
                let payment = try await gw.bookAndCreatePayment(gw.ownerA)
                let clientId = gw.ownerA.channel.clientId
                let returnPath = "/payment/return?code=00&status=PAID&orderCode=\(payment.orderCode)"

                try await gw.sandbox.forceStatus(String(payment.orderCode), to: .processing, clientId: clientId)
                let processing = try await gw.get(returnPath)
                #expect(processing.status == .seeOther)
                #expect(try await gw.storedPayment(payment, of: gw.ownerA)?.status == .pending)

                try await gw.sandbox.forceStatus(String(payment.orderCode), to: .failed, clientId: clientId)
                let failed = try await gw.get(returnPath)
                #expect(failed.location == "/payment/failed/\(payment.paymentID)")
                let stored = try #require(try await gw.storedPayment(payment, of: gw.ownerA))
                #expect(stored.status == .failed && stored.settledBy == .return)
            }
        }
    }
}
