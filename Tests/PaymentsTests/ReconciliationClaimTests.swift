// Copyright (c) the Gatehouse authors
import GatehouseCore
import Logging
@testable import Payments
import Storage
import StorageTestSupport
import Tenancy
import Testing

/// Reconciliation's claim on a due payment and a settlement of the same payment lock its rows in one order (the
/// primary key first), so the claim waits for the settlement and then finds the payment settled, never a deadlock.
/// Found in the storm test on MariaDB: with few payments pending, the optimizer read the claim's row through
/// `idx_payment_status` and locked that index's record before the primary key, the reverse of the settlement's
/// `SELECT … FOR UPDATE` then `UPDATE … SET status`.
@Suite struct ReconciliationClaimTests {
    @Test(.enabled(if: TestDatabases.backends.contains(.mariadb)))
    func aClaimRacingASettlementOfItsPaymentWaitsAndFindsItSettled() async throws {
        try await PaymentsWorld.run(.mariadb) { world in
            let db = world.database, logger = world.logger
            // Many settled payments and one pending: the status index is the selective one.
            var values: [SQLQuery] = []
            for index in 0..<300 {
                let orderCode = 880_000_000 + Int64(index)
                values.append(
                    """
                    (\("PAY-LOCK-\(index)"), \(orderCode), 100000, 100000, 0, \(index == 0 ? "pending" : "success"), \([UInt8](repeating: 1, count: 32)),
                     \(Int64(2_000_000)), 1, 1, \(world.booking.id), \(world.owner.id), \(world.booking.renterID), \(index == 0 ? Int64(1_000) : nil))
                    """)
            }
            var insert: SQLQuery = """
                INSERT INTO payment (payment_code, order_code, amount, amount_paid, underpaid, status, renter_token_hash, expires_at,
                    created_at, updated_at, booking_id, owner_id, renter_id, next_check_at) VALUES
                """
            for (index, value) in values.enumerated() { insert += index == 0 ? " " + value : ", " + value }
            try await db.execute(insert, logger: logger)
            _ = try await db.query("ANALYZE TABLE payment", logger: logger)
            let pending: PaymentID = try #require(
                try await db.query("SELECT id FROM payment WHERE status = 'pending' AND order_code = 880000000", logger: logger).first?.decode("id"))
            let due = PaymentRepository.DueCheck(id: pending, dueAt: 1_000)

            let claim = try await db.withTransaction(logger: logger) { connection in
                // The settlement: the payment's row locked first…
                _ = try await connection.query("SELECT id FROM payment WHERE id = \(pending) FOR UPDATE")
                let claim = Task { try await world.repository.claimCheck(due, leaseUntil: 5_000, logger: logger) }
                // …the claim arrives and is executing, which it cannot finish before this transaction ends: it waits for a
                // lock. (`information_schema.processlist`, this test's database only; InnoDB's own `innodb_trx` does not
                // always list a statement waiting this way.)
                var waiting = 0
                for _ in 0..<6_000 where waiting == 0 {
                    waiting = try await db.query(
                        """
                        SELECT COUNT(*) AS n FROM information_schema.processlist
                        WHERE db = DATABASE() AND command = 'Execute' AND info LIKE 'UPDATE payment%SET next_check_at%'
                        """, logger: logger
                    ).first?.decode("n") ?? 0
                    if waiting == 0 { try await Task.sleep(for: .milliseconds(10)) }
                }
                #expect(waiting == 1)
                // …then the settlement changes the status, which updates the status index the claim must not hold, and
                // commits; only then can the claim go on.
                try await connection.execute("UPDATE payment SET status = 'success' WHERE id = \(pending) AND status = 'pending'")
                return claim
            }
            let claimed = try await claim.value
            #expect(!claimed)
            let row = try #require(try await db.query("SELECT status, next_check_at FROM payment WHERE id = \(pending)", logger: logger).first)
            #expect(try row.decode("status", as: String.self) == "success")
            #expect(try row.decode("next_check_at", as: Int64.self) == 1_000)
        }
    }
}
