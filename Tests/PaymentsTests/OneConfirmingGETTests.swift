// Copyright (c) the Gatehouse authors
import GatehouseCore
import Logging
@testable import PayOS
import PayOSSandbox
import Payments
import Storage
import StorageTestSupport
import Synchronization
import Tenancy
import Testing
import Vault

/// Concurrent asks about one payment — a webhook's confirmation, reconciliation, the return page — make one GET at
/// payOS and share its answer; a failed GET fails all of them, and an ask after a GET ended makes a new one (no
/// answer outlives its flight).
@Suite(.timeLimit(.minutes(5))) struct OneConfirmingGETTests {
    /// Waits (without a clock) until `count` asks have joined the GET in flight for the payment.
    static func waitForAskers(_ fetches: PaymentLinkFetches, owner: OwnerID, orderCode: Int64, count: Int) async {
        while await fetches.askers(owner: owner, orderCode: orderCode) < count { await Task.yield() }
    }

    static func getCalls(_ world: PaymentsWorld, orderCode: Int64) async -> Int {
        await world.sandbox.apiCalls(clientId: PaymentsWorld.channel.clientId)
            .filter { $0.method == "GET" && $0.path.hasSuffix("/\(orderCode)") }.count
    }

    @Test(arguments: TestDatabases.backends)
    func aWebhookReconciliationAndTheReturnPageShareOneGETAndSettleOnce(backend: TestBackend) async throws {
        try await PaymentsWorld.run(backend) { world in
            let payment = try await world.createPayment().payment
            let transfer = try await world.sandbox.pay(String(payment.orderCode), clientId: PaymentsWorld.channel.clientId)
            let body = world.webhookBody(for: payment, reference: transfer.reference)
            let before = await Self.getCalls(world, orderCode: payment.orderCode)

            await world.getGate.close()
            async let webhook = world.receiveWebhook(body)
            async let reconciled = world.payments.confirmWithPayOS(payment, source: .reconciliation, audit: PaymentsWorld.audit, logger: world.logger)
            async let returned = world.payments.confirmWithPayOS(payment, source: .return, audit: PaymentsWorld.audit, logger: world.logger)
            await Self.waitForAskers(world.linkFetches, owner: world.owner.id, orderCode: payment.orderCode, count: 3)
            await world.getGate.open()

            #expect(try await webhook == .accepted)
            #expect(try await reconciled.status == .success)
            #expect(try await returned.status == .success)
            #expect(await Self.getCalls(world, orderCode: payment.orderCode) - before == 1)
            #expect(await world.linkFetches.askers(owner: world.owner.id, orderCode: payment.orderCode) == 0)
            #expect(try await world.stored(payment).status == .success)
            #expect(try await world.count("outbox") == 2)
        }
    }

    @Test(arguments: TestDatabases.backends)
    func anAskAfterTheGETEndedMakesANewGET(backend: TestBackend) async throws {
        try await PaymentsWorld.run(backend) { world in
            let payment = try await world.createPayment().payment
            let before = await Self.getCalls(world, orderCode: payment.orderCode)
            for _ in 0..<2 {
                _ = try await world.payments.confirmWithPayOS(payment, source: .reconciliation, audit: PaymentsWorld.audit, logger: world.logger)
            }
            #expect(await Self.getCalls(world, orderCode: payment.orderCode) - before == 2)
        }
    }

    static func count(_ atomic: borrowing Atomic<Int>) -> Int { atomic.load(ordering: .relaxed) }

    struct GETFailed: Error, Equatable {}

    @Test func aFailedGETFailsEveryAskerAndTheNextAskMakesANewGET() async throws {
        let gate = TestGate()
        let gets = Atomic<Int>(0)
        let link = PaymentLink(
            id: "link-1", orderCode: 42, amount: 1_000, amountPaid: 0, amountRemaining: 1_000, status: .pending, createdAt: "",
            transactions: [], cancellationReason: nil, canceledAt: nil)
        let fetches = PaymentLinkFetches { _, _, _, _, _ in
            let number = gets.add(1, ordering: .relaxed).newValue
            await gate.pass()
            if number == 1 { throw GETFailed() }
            return link
        }
        let owner = OwnerID(rawValue: 7)
        let logger = Logger(label: "test")
        let ask: @Sendable () async throws -> PaymentLink = {
            try await fetches.link(owner: owner, orderCode: 42, purpose: "test.confirm", audit: AuditContext(actor: "test"), logger: logger)
        }

        await gate.close()
        let failures = await withTaskGroup(of: Bool.self) { group in
            for _ in 0..<10 {
                group.addTask { (try? await ask()) == nil }
            }
            await Self.waitForAskers(fetches, owner: owner, orderCode: 42, count: 10)
            await gate.open()
            return await group.reduce(0) { $0 + ($1 ? 1 : 0) }
        }
        #expect(failures == 10)
        #expect(Self.count(gets) == 1)
        #expect(await fetches.askers(owner: owner, orderCode: 42) == 0)

        #expect(try await ask().id == "link-1")
        #expect(Self.count(gets) == 2)
        // Another payment of the same owner is another flight.
        _ = try await fetches.link(owner: owner, orderCode: 43, purpose: "test.confirm", audit: AuditContext(actor: "test"), logger: logger)
        #expect(Self.count(gets) == 3)
    }

    @Test func theAskerThatStartedTheGETGoingAwayDoesNotCancelItForTheOthers() async throws {
        let gate = TestGate()
        let cancelledInGET = Atomic<Bool>(false)
        let fetches = PaymentLinkFetches { _, orderCode, _, _, _ in
            await gate.pass()
            if Task.isCancelled { cancelledInGET.store(true, ordering: .relaxed) }
            return PaymentLink(
                id: "link-\(orderCode)", orderCode: orderCode, amount: 1_000, amountPaid: 1_000, amountRemaining: 0, status: .paid, createdAt: "",
                transactions: [], cancellationReason: nil, canceledAt: nil)
        }
        let owner = OwnerID(rawValue: 7)
        let ask: @Sendable () async throws -> PaymentLink = {
            try await fetches.link(owner: owner, orderCode: 9, purpose: "test.confirm", audit: AuditContext(actor: "test"), logger: Logger(label: "test"))
        }
        await gate.close()
        let first = Task { try await ask() }
        await Self.waitForAskers(fetches, owner: owner, orderCode: 9, count: 1)
        let second = Task { try await ask() }
        await Self.waitForAskers(fetches, owner: owner, orderCode: 9, count: 2)
        first.cancel()
        await gate.open()
        #expect(try await second.value.status == .paid)
        let cancelled = cancelledInGET.load(ordering: .relaxed)
        #expect(!cancelled)
    }
}
