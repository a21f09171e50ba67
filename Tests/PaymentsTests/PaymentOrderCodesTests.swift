// Copyright (c) the Gatehouse authors
import GatehouseCore
import Logging
import Payments
import StorageTestSupport
import Tenancy
import Testing

/// The shared `/webhook/payos` route names only the orderCode: its owner comes from memory (a payment this instance
/// created at once, another instance's after one read), unknown orderCodes leave nothing behind, and memory is bounded.
@Suite struct PaymentOrderCodesTests {
    @Test(arguments: TestDatabases.backends)
    func aPaymentThisInstanceCreatedIsFoundWithoutARead(backend: TestBackend) async throws {
        try await PaymentsWorld.run(backend) { world in
            let payment = try await world.createPayment().payment
            let view = world.payments.statusView
            #expect(try await view.owner(orderCode: payment.orderCode, logger: world.logger) == world.owner.id)
            let found = try await view.payment(orderCode: payment.orderCode, logger: world.logger)
            #expect(found?.payment == payment.id && found?.owner == world.owner.id)
            let statistics = view.orderCodes.statistics
            #expect(statistics.hits == 2 && statistics.misses == 0)
        }
    }

    @Test(arguments: TestDatabases.backends)
    func anotherInstancesPaymentIsReadOnceThenHeld(backend: TestBackend) async throws {
        try await PaymentsWorld.run(backend) { world in
            let payment = try await world.createPayment().payment
            // Another instance's view: it did not create the payment.
            let view = PaymentStatusView(repository: world.repository)
            for _ in 0..<20 { #expect(try await view.owner(orderCode: payment.orderCode, logger: world.logger) == world.owner.id) }
            let statistics = view.orderCodes.statistics
            #expect(statistics.misses == 1 && statistics.hits == 19 && statistics.entries == 1)
        }
    }

    @Test(arguments: TestDatabases.backends)
    func unknownOrderCodesAreNotHeld(backend: TestBackend) async throws {
        try await PaymentsWorld.run(backend) { world in
            let view = PaymentStatusView(repository: world.repository)
            for orderCode in [999_999_999_999, 999_999_999_999, 123] as [Int64] {
                let owner = try await view.owner(orderCode: orderCode, logger: world.logger)
                #expect(owner == nil)
            }
            let statistics = view.orderCodes.statistics
            #expect(statistics.misses == 3 && statistics.entries == 0)
        }
    }

    @Test(arguments: TestDatabases.backends)
    func memoryIsBoundedAndAnEvictedOrderCodeIsReadAgain(backend: TestBackend) async throws {
        try await PaymentsWorld.run(backend) { world in
            let payment = try await world.createPayment().payment
            let orderCodes = PaymentStatusView(repository: world.repository, capacity: 16).orderCodes
            orderCodes.remember(payment)
            for n in 1...200 {
                var other = payment
                other.id = PaymentID(Int64(1_000_000 + n))
                other.orderCode = Int64(5_000_000 + n)
                orderCodes.remember(other)
            }
            #expect(orderCodes.statistics.entries <= 16)
            // The newest is answered from memory (it is not in the database at all).
            #expect(try await orderCodes.lookup(5_000_200, logger: world.logger)?.payment == PaymentID(1_000_200))
            // The real payment was evicted: read again, right again.
            #expect(try await orderCodes.lookup(payment.orderCode, logger: world.logger)?.owner == world.owner.id)
            let statistics = orderCodes.statistics
            #expect(statistics.hits == 1 && statistics.misses == 1 && statistics.entries <= 16)
        }
    }
}
