// Copyright (c) the Gatehouse authors
import Logging
import ServiceLifecycle
import Storage
import StorageTestSupport
import Testing

@testable import Tenancy
import GatehouseCore
@testable import Payments

/// The refresh-status hot path: answered from memory, woken by local changes, kept current across instances.
@Suite struct PaymentStatusViewTests {
    let logger = TestDatabases.logger

    /// Creates an owner, a booking and a pending payment; returns the payment id.
    func pendingPayment(_ db: any SQLDatabase) async throws -> PaymentID {
        let owner = try await OwnerRepository(database: db).create(name: "Hoa", email: "hoa@example.vn", logger: logger)
        let (booking, _) = try await BookingRepository(database: db).create(
            owner: owner.id,
            NewBooking(
                roomTitle: "Phòng 1", startTime: 0, endTime: 3_600_000, amount: 300_000, renterName: "Lan", renterEmail: "lan@example.vn",
                renterPhone: nil), logger: logger)
        let payment = try await db.withTransaction(logger: logger) {
            try await PaymentRepository(database: db).insert(
                NewPayment(
                    ownerID: owner.id, bookingID: booking.id, renterID: booking.renterID, paymentCode: "PAY-1", orderCode: 777,
                    amount: 300_000, description: "GH 777", renterTokenHash: [7, 7], expiresAt: 4_000_000_000_000, paymentLinkID: "x",
                    checkoutURL: "http://x", qrCode: "q", bankBIN: "970422", accountNumber: "1", accountName: "A", customerName: "Lan",
                    customerEmail: "lan@example.vn", customerPhone: nil), on: $0)
        }
        return payment.id
    }

    // MARK: Tests

    @Test(arguments: TestDatabases.backends)
    func repeatedPollsAreAnsweredFromMemory(backend: TestBackend) async throws {
        try await withTestDatabase(backend) { db in
            let id = try await pendingPayment(db)
            let view = PaymentStatusView(repository: PaymentRepository(database: db))
            for _ in 0..<100 {
                #expect(try await view.snapshot(of: id, logger: logger)?.status == .pending)
            }
            #expect(view.misses == 1)
            #expect(view.hits == 99)
            #expect(try await view.snapshot(of: PaymentID(999_999), logger: logger) == nil)
        }
    }

    @Test(arguments: TestDatabases.backends)
    func aLocalChangeWakesALongPollAtOnce(backend: TestBackend) async throws {
        try await withTestDatabase(backend) { db in
            let id = try await pendingPayment(db)
            let payments = PaymentRepository(database: db)
            let view = PaymentStatusView(repository: payments)
            _ = try await view.snapshot(of: id, logger: logger)
            let started = ContinuousClock.now
            async let woken = view.waitForChange(of: id, from: .pending, timeout: .seconds(30), logger: logger)
            let change = try #require(
                try await db.withTransaction(logger: logger) {
                    try await payments.apply(.paid(totalPaid: 300_000, source: .webhook), to: id, on: $0)
                })
            view.publish(change)
            #expect(try await woken?.status == .success)
            // Woken by the publish, long before the 30 s timeout.
            #expect(ContinuousClock.now - started < .seconds(10))
        }
    }

    @Test func aLongPollWithNoChangeReturnsTheSameStatusAtItsTimeout() async throws {
        try await withTestDatabase(.sqlite) { db in
            let id = try await pendingPayment(db)
            let view = PaymentStatusView(repository: PaymentRepository(database: db))
            let snapshot = try await view.waitForChange(of: id, from: .pending, timeout: .milliseconds(50), logger: logger)
            #expect(snapshot?.status == .pending)
        }
    }

    @Test(arguments: TestDatabases.backends)
    func aChangeMadeByAnotherInstanceReachesALongPollThroughTheChangeFeed(backend: TestBackend) async throws {
        try await withTestDatabase(backend) { db in
            let id = try await pendingPayment(db)
            let payments = PaymentRepository(database: db)
            let view = PaymentStatusView(repository: payments)
            _ = try await view.snapshot(of: id, logger: logger)
            let feed = PaymentChangeFeed(repository: payments, view: view, interval: .milliseconds(50), logger: logger)
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await feed.run() }
                // "Instance B" settles the payment in the database; this instance's view is never told directly.
                _ = try await db.withTransaction(logger: logger) {
                    try await payments.apply(.cancelled(source: .reconciliation), to: id, on: $0)
                }
                let snapshot = try await view.waitForChange(of: id, from: .pending, timeout: .seconds(20), logger: logger)
                #expect(snapshot?.status == .cancelled)
                group.cancelAll()
            }
        }
    }
}
