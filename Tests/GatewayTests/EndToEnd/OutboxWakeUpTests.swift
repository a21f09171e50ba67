// Copyright (c) the Gatehouse authors
import Foundation
import GatehouseTestSupport
import StorageTestSupport
import Testing

extension GatewayAPITests {
    /// A settlement wakes this instance's outbox worker when it commits: with the worker's poll an hour apart, a
    /// settled payment's e-mails still reach the SMTP server — which only the wake-up can make happen.
    @Suite struct OutboxWakeUpTests {
        @Test(arguments: TestDatabases.backends)
        func settledPaymentsEmailsLeaveWithoutWaitingForTheOutboxPoll(backend: TestBackend) async throws {
            guard let smtpURL = PaymentEndToEndTests.smtpURL, PaymentEndToEndTests.maildir != nil else {
                if TestDatabases.isCI { Issue.record("GATEHOUSE_TEST_SMTP_URL / _MAILDIR must be set on CI (scripts/smtp-test-server)") }
                return
            }
            let environment = ["GATEHOUSE_SMTP_URL": smtpURL, "GATEHOUSE_OUTBOX_POLL_SECONDS": "3600"]
            try await GatewayHarness.run(backend, environment: environment) { gw in
                let unique = UUID().uuidString.prefix(8).lowercased()
                // Two payments, one after the other: the worker's first pass (at start) may pick up the first one's
                // e-mails; the second's are enqueued after that pass began, so only a pass the wake-up started sends them.
                for n in 1...2 {
                    let renterEmail = "wake-\(unique)-\(n)@example.vn"
                    let booking = try await gw.createBooking(gw.ownerA, renterEmail: renterEmail)
                    let payment = try await gw.createPayment(gw.ownerA, bookingID: booking)
                    let returned = try await gw.payAndReturn(payment, of: gw.ownerA)
                    #expect(returned.location == "/payment/success/\(payment.paymentID)")
                    try await gw.wait(timeout: .seconds(30), "payment \(n)'s renter e-mail arrives at the SMTP server") {
                        PaymentEndToEndTests.deliveries(to: renterEmail) == 1
                    }
                }
            }
        }
    }
}
