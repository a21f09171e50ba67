// Copyright (c) the Gatehouse authors
import GatehouseCore
import Logging
@testable import Payments
import PayOSSandbox
import Storage
import StorageTestSupport
import Tenancy
import Testing

/// A booking has at most one live payOS link, and money that arrives anyway — on a superseded or cancelled link, or
/// a second link of a booking already paid — is recorded and owed back, never a second payment of the booking.
/// Both backends, the real sandbox, two service instances where instances matter.
@Suite struct OneLiveLinkTests {
    @Test(arguments: TestDatabases.backends)
    func aRepeatedRequestGetsTheLiveLinkAndItsToken(backend: TestBackend) async throws {
        try await PaymentsWorld.run(backend) { world in
            let first = try await world.createPayment()
            let again = try await world.createPayment()
            #expect(!first.reused && again.reused && !again.replayed)
            #expect(again.payment.id == first.payment.id && again.renterToken == first.renterToken)
            #expect(try await world.count("payment") == 1)
        }
    }

    @Test(arguments: TestDatabases.backends)
    func aLinkCloseToExpiryIsReplacedNotHandedOut(backend: TestBackend) async throws {
        try await PaymentsWorld.run(backend) { world in
            let first = try await world.createPayment()
            // 900 s links are handed out again only while 120 s are left.
            world.clock.advance(byMillis: 790_000)
            let next = try await world.createPayment()
            #expect(!next.reused && next.payment.id != first.payment.id)
            #expect(try await world.stored(first.payment).status == .cancelled)
        }
    }

    @Test(arguments: TestDatabases.backends)
    func tenConcurrentRequestsOnTwoInstancesCreateOneLink(backend: TestBackend) async throws {
        try await PaymentsWorld.run(backend) { world in
            let instances = [world.payments, world.anotherInstance()]
            let answers = try await withThrowingTaskGroup(of: CreatedPayment.self) { group in
                for index in 0..<10 {
                    group.addTask {
                        try await instances[index % 2].createPayment(
                            owner: world.owner.id, PaymentRequest(bookingID: world.booking.id), idempotencyKey: nil,
                            audit: PaymentsWorld.audit, logger: world.logger)
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(answers.filter { !$0.reused }.count == 1)
            #expect(Set(answers.map(\.payment.id)).count == 1)
            #expect(try await world.count("payment") == 1)
            #expect(try await world.count("booking", where: "link_claim_id IS NOT NULL") == 0)
        }
    }

    /// A request that finds the booking's link claim held (another instance's create in flight, or one that died) waits
    /// a bounded time, then is refused 409 with nothing written; once the claim is gone, the same request succeeds.
    @Test(arguments: TestDatabases.backends)
    func aClaimHeldPastTheWaitIsAConflictAndWritesNothing(backend: TestBackend) async throws {
        try await PaymentsWorld.run(backend) { world in
            let bookings = BookingRepository(database: world.database, clock: world.clock.wallClock)
            let held = try await bookings.claimLink(
                owner: world.owner.id, booking: world.booking.id, claimID: "another-instance-claim",
                until: world.clock.wallClock.now() + 300_000, logger: world.logger)
            #expect(held)
            let impatient = world.anotherInstanceWaitingForClaims(200)
            await #expect(throws: TenancyError.conflict("a payment link for this booking is being created by another request; retry shortly")) {
                try await impatient.createPayment(
                    owner: world.owner.id, PaymentRequest(bookingID: world.booking.id), idempotencyKey: nil,
                    audit: PaymentsWorld.audit, logger: world.logger)
            }
            #expect(try await world.count("payment") == 0)

            try await bookings.releaseLink(owner: world.owner.id, booking: world.booking.id, claimID: "another-instance-claim", logger: world.logger)
            let created = try await impatient.createPayment(
                owner: world.owner.id, PaymentRequest(bookingID: world.booking.id), idempotencyKey: nil,
                audit: PaymentsWorld.audit, logger: world.logger)
            #expect(!created.reused)
            #expect(try await world.count("payment") == 1)
            #expect(try await world.count("booking", where: "link_claim_id IS NOT NULL") == 0)
        }
    }

    @Test(arguments: TestDatabases.backends)
    func aRenterWhoPaysASupersededLinkIsOwedARefundAndTheBookingIsPaidOnce(backend: TestBackend) async throws {
        try await PaymentsWorld.run(backend) { world in
            let superseded = try await world.createPayment()
            let current = try await world.createPayment(description: "Coc phong 101")
            #expect(try await world.stored(superseded.payment).status == .cancelled)

            // The renter's transfer to the first link was in flight when it was cancelled: payOS credits it anyway.
            let late = try await world.sandbox.pay(String(superseded.payment.orderCode), late: true)
            try await world.receiveWebhook(world.webhookBody(for: superseded.payment, reference: late.reference))
            let flagged = try await world.stored(superseded.payment)
            #expect(flagged.status == .cancelled && flagged.amountPaid == 500_000)
            #expect(flagged.refundReason == .paidAfterCancel && flagged.refundDue)
            #expect(try await world.count("booking", where: "payment_status = 'paid'") == 0)
            #expect(try await world.count("outbox", where: "kind = 'payment_refund_due_owner'") == 1)
            #expect(try await world.count("notification", where: "kind = 'payment_refund_due' AND recipient_kind = 'owner'") == 1)
            // The same webhook again adds nothing.
            try await world.receiveWebhook(world.webhookBody(for: superseded.payment, reference: late.reference))
            #expect(try await world.count("outbox", where: "kind = 'payment_refund_due_owner'") == 1)

            // The renter also pays the live link: that one pays the booking.
            let paid = try await world.sandbox.pay(String(current.payment.orderCode))
            try await world.receiveWebhook(world.webhookBody(for: current.payment, reference: paid.reference))
            #expect(try await world.stored(current.payment).status == .success)
            #expect(try await world.count("payment", where: "status = 'success'") == 1)
            #expect(try await world.count("booking", where: "payment_status = 'paid'") == 1)
        }
    }

    @Test(arguments: TestDatabases.backends)
    func aReplacementThatLosesTheRaceToTheRenterSettlesTheBookingAndCreatesNothing(backend: TestBackend) async throws {
        try await PaymentsWorld.run(backend) { world in
            let first = try await world.createPayment()
            // The renter pays before the owner's new request reaches payOS's cancel; no webhook has arrived yet.
            try await world.sandbox.pay(String(first.payment.orderCode))
            await #expect(throws: TenancyError.conflict("this booking is already paid")) {
                try await world.createPayment(description: "Coc phong 101")
            }
            #expect(try await world.stored(first.payment).status == .success)
            #expect(try await world.count("payment") == 1)
            #expect(try await world.count("booking", where: "payment_status = 'paid'") == 1)
        }
    }

    @Test(arguments: TestDatabases.backends)
    func twoLinksOfOneBookingPaidAtOnceNeverPayItTwice(backend: TestBackend) async throws {
        try await PaymentsWorld.run(backend) { world in
            // Two live links of one booking, as a database from before one-live-link could hold.
            let first = try await world.createPayment()
            let second = try await world.database.withTransaction(logger: world.logger) { connection in
                try await world.repository.insert(
                    NewPayment(
                        ownerID: world.owner.id, bookingID: world.booking.id, renterID: first.payment.renterID, paymentCode: "PAY-LEGACY0001",
                        orderCode: first.payment.orderCode + 1, amount: 500_000, description: "legacy", renterTokenHash: [1],
                        expiresAt: first.payment.expiresAt, paymentLinkID: "legacy", checkoutURL: "", qrCode: "", bankBIN: "",
                        accountNumber: "", accountName: "", customerName: "An", customerEmail: "renter@example.vn", customerPhone: nil),
                    on: connection)
            }
            let changes = try await withThrowingTaskGroup(of: PaymentStatusChange?.self) { group in
                for payment in [first.payment, second] {
                    group.addTask {
                        try await world.settlement.settle(payment.id, event: .paid(totalPaid: 500_000, source: .webhook), reference: nil, logger: world.logger)
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }.compactMap { $0 }
            #expect(changes.filter { $0.to == .success }.count == 1)
            let refunded = try #require(changes.first { $0.to == .cancelled })
            #expect(refunded.refund == .bookingAlreadyPaid && refunded.amountPaid == 500_000)
            #expect(try await world.count("payment", where: "status = 'success'") == 1)
            #expect(try await world.count("payment", where: "refund_reason = 'booking_already_paid' AND amount_paid = 500000") == 1)
            #expect(try await world.count("outbox", where: "kind = 'payment_refund_due_owner'") == 1)
        }
    }

    @Test(arguments: TestDatabases.backends)
    func anUnderpaidLinkEndsFailedUnderpaidAtExpiryAndIsNotCheckedAgain(backend: TestBackend) async throws {
        try await PaymentsWorld.run(backend) { world in
            let created = try await world.createPayment()
            let partial = try await world.sandbox.pay(String(created.payment.orderCode), amount: 200_000)
            try await world.receiveWebhook(world.webhookBody(for: created.payment, reference: partial.reference, amount: 200_000))
            #expect(try await world.stored(created.payment).status == .pending)

            let reconciliation = ReconciliationService(payments: world.payments, repository: world.repository, clock: world.clock.wallClock, logger: world.logger)
            // Before expiry payOS's UNDERPAID keeps it open: the renter may still pay the rest.
            world.clock.advance(byMillis: 31_000)
            #expect(try await reconciliation.reconcileDue() == 1)
            #expect(try await world.stored(created.payment).status == .pending)
            // After expiry payOS still says UNDERPAID, but nothing more can be paid: that is the end.
            world.clock.advance(byMillis: 900_000)
            #expect(try await reconciliation.reconcileDue() == 1)
            let ended = try await world.stored(created.payment)
            #expect(ended.status == .failed && ended.underpaid && ended.amountPaid == 200_000)
            #expect(ended.refundReason == .underpaid && ended.refundDue)
            #expect(try await world.count("outbox", where: "kind = 'payment_refund_due_owner'") == 1)
            #expect(try await world.count("payment", where: "next_check_at IS NOT NULL") == 0)
            world.clock.advance(byMillis: 3_600_000)
            #expect(try await reconciliation.reconcileDue() == 0)
        }
    }
}
