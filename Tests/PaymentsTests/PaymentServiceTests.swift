// Copyright (c) the Gatehouse authors
import GatehouseCore
import Logging
@testable import Payments
import PayOSSandbox
import Storage
import StorageTestSupport
import Tenancy
import Testing

/// Creating and settling payments at the service level, on both backends: the idempotency key's replay, conflict and
/// takeover; the owner's payOS cap; a settlement that happens once and commits its notifications with it.
@Suite struct PaymentServiceTests {
    // MARK: Idempotency

    @Test(arguments: TestDatabases.backends)
    func aRetryWithTheSameKeyAndRequestGetsTheFirstAnswer(backend: TestBackend) async throws {
        try await PaymentsWorld.run(backend) { world in
            let first = try await world.createPayment(idempotencyKey: "order-1")
            let retry = try await world.createPayment(idempotencyKey: "order-1")
            #expect(!first.replayed)
            #expect(retry.replayed)
            #expect(retry.payment.id == first.payment.id)
            #expect(retry.renterToken == first.renterToken)
            #expect(try await world.payments.list(owner: world.owner.id, logger: world.logger).count == 1)
        }
    }

    @Test(arguments: TestDatabases.backends)
    func theSameKeyWithAnotherRequestIsAConflictAndCreatesNothing(backend: TestBackend) async throws {
        try await PaymentsWorld.run(backend) { world in
            _ = try await world.createPayment(idempotencyKey: "order-1", description: "Phong 101")
            await #expect(throws: TenancyError.conflict("this Idempotency-Key was already used with a different request")) {
                try await world.createPayment(idempotencyKey: "order-1", description: "Phong 102")
            }
            #expect(try await world.payments.list(owner: world.owner.id, logger: world.logger).count == 1)
        }
    }

    @Test(arguments: TestDatabases.backends)
    func aKeyWhoseAttemptDiedIsAConflictUntilItIsOldEnoughToTakeOver(backend: TestBackend) async throws {
        try await PaymentsWorld.run(backend) { world in
            // An attempt that claimed the key and crashed before answering.
            let digest = PaymentRequest(bookingID: world.booking.id).digest
            #expect(
                try await world.idempotencyKeys.claim(
                    owner: world.owner.id, key: "order-1", requestHash: digest, at: world.clock.wallClock.now(), logger: world.logger))
            await #expect(throws: TenancyError.conflict("a request with this Idempotency-Key is still in progress; retry shortly")) {
                try await world.createPayment(idempotencyKey: "order-1")
            }
            world.clock.advance(byMillis: 120_001)
            let created = try await world.createPayment(idempotencyKey: "order-1")
            #expect(!created.replayed)
            let record = try #require(try await world.idempotencyKeys.get(owner: world.owner.id, key: "order-1", logger: world.logger))
            #expect(record.paymentID == created.payment.id)
        }
    }

    // MARK: The owner's payOS cap

    @Test(arguments: TestDatabases.backends)
    func aCreateOverTheOwnersPayOSCapIsRefusedBeforeUnsealingAndReleasesItsKey(backend: TestBackend) async throws {
        try await PaymentsWorld.run(backend, payOSCap: RateLimitPolicy(requestsPerSecond: 0.001, burst: 1)) { world in
            _ = try await world.createPayment()
            let unsealsBefore = try await world.count("audit_log", where: "action = 'vault.unseal'")
            // Another description: the live link must be cancelled at payOS first, which the cap refuses.
            await #expect(throws: RateLimitError.self) { try await world.createPayment(idempotencyKey: "order-2", description: "Coc phong") }
            #expect(try await world.count("audit_log", where: "action = 'vault.unseal'") == unsealsBefore)
            #expect(try await world.idempotencyKeys.get(owner: world.owner.id, key: "order-2", logger: world.logger) == nil)
            #expect(try await world.payments.list(owner: world.owner.id, logger: world.logger).count == 1)
        }
    }

    // MARK: Settling

    @Test(arguments: TestDatabases.backends)
    func aPaymentPaidAtPayOSSettlesOnceWithItsNotifications(backend: TestBackend) async throws {
        try await PaymentsWorld.run(backend) { world in
            let created = try await world.createPayment()
            // A renter is polling: the status view holds the payment and must hear of the settlement.
            let polled = try await world.payments.statusView.snapshot(of: created.payment.id, logger: world.logger)
            #expect(polled?.status == .pending)
            try await world.sandbox.pay(String(created.payment.orderCode), clientId: PaymentsWorld.channel.clientId)

            let settled = try await world.payments.confirmWithPayOS(
                created.payment, source: .return, audit: PaymentsWorld.audit, logger: world.logger)
            #expect(settled.status == .success)
            #expect(settled.settledBy == .return)
            #expect(try await world.count("outbox") == 2)
            #expect(try await world.count("notification") == 2)

            // Told again (a late webhook, reconciliation): nothing changes, nothing is sent twice.
            let again = try await world.settlement.settle(
                created.payment.id, event: .paid(totalPaid: 500_000, source: .webhook), reference: "FT-LATE", logger: world.logger)
            #expect(again == nil)
            #expect(try await world.stored(created.payment).settledBy == .return)
            #expect(try await world.count("outbox") == 2)
            #expect(try await world.count("notification") == 2)
            #expect(world.payments.statusView.peek(created.payment.id)?.status == .success)
        }
    }

    @Test(arguments: TestDatabases.backends)
    func aSettlementThatRollsBackLeavesNoNotifications(backend: TestBackend) async throws {
        struct Refused: Error {}
        try await PaymentsWorld.run(backend) { world in
            let created = try await world.createPayment()
            await #expect(throws: Refused.self) {
                try await world.settlement.settle(
                    created.payment.id, event: .paid(totalPaid: 500_000, source: .webhook), reference: "FT-1", logger: world.logger
                ) { _, _ in throw Refused() }
            }
            #expect(try await world.stored(created.payment).status == .pending)
            #expect(try await world.count("outbox") == 0)
            #expect(try await world.count("notification") == 0)
        }
    }

    @Test(arguments: TestDatabases.backends)
    func aRenterCancellingCancelsTheLinkAtPayOS(backend: TestBackend) async throws {
        try await PaymentsWorld.run(backend) { world in
            let created = try await world.createPayment()
            let cancelled = try await world.payments.cancelAtPayOS(
                created.payment, reason: "Renter cancelled", audit: PaymentsWorld.audit, logger: world.logger)
            #expect(cancelled.status == .cancelled)
            #expect(cancelled.settledBy == .return)
            #expect(try await world.count("outbox") == 0)
        }
    }
}
