// Copyright (c) the Gatehouse authors
import Logging
import Storage
import StorageTestSupport
import Synchronization

@testable import Tenancy
@testable import Admin
import GatehouseCore

/// Rows at known times for the metrics tests, written with plain SQL so every figure the report computes is known.
struct MetricsFixture {
    let db: any SQLDatabase
    let logger: Logger
    /// 2030-01-15 00:00:00 in Vietnam (2030-01-14T17:00:00Z): the start of a Vietnam day and of an hour.
    static let dayStart: Int64 = 1_894_640_400_000
    static let hour: Int64 = 3_600_000
    static let minute: Int64 = 60_000

    /// An owner with one renter and one booking to hang payments on.
    struct Tenant {
        let owner: OwnerID
        let renter: Int64
        let booking: Int64
    }

    func tenant(_ name: String) async throws -> Tenant {
        let owner = try await OwnerRepository(database: db).create(name: name, email: "\(name)@example.vn", logger: logger)
        let renter = try await db.execute(
            "INSERT INTO renter (owner_id, name, email, created_at) VALUES (\(owner.id), 'R', 'r@example.vn', 0)", logger: logger
        ).lastInsertID!
        let booking = try await db.execute(
            """
            INSERT INTO booking (owner_id, renter_id, room_title, start_time, end_time, amount, created_at, updated_at)
            VALUES (\(owner.id), \(renter), 'Room', 0, 1, 500000, 0, 0)
            """, logger: logger
        ).lastInsertID!
        return Tenant(owner: owner.id, renter: renter, booking: booking)
    }

    /// Order codes only need to be unique within one test's fresh database; one process-wide counter is simplest.
    private static let orderCodes = Mutex<Int64>(1000)
    private static func nextOrderCode() -> Int64 { orderCodes.withLock { $0 += 1; return $0 } }

    /// A payment created at `createdAt`; `paidAfter` sets `paid_at` relative to it.
    @discardableResult
    func payment(
        _ tenant: Tenant, createdAt: Int64, status: String, paidAfter: Int64? = nil, settledBy: String? = nil
    ) async throws -> Int64 {
        let orderCode = Self.nextOrderCode()
        return try await db.execute(
            """
            INSERT INTO payment (payment_code, order_code, amount, amount_paid, status, settled_by, renter_token_hash, expires_at, created_at,
                updated_at, paid_at, booking_id, owner_id, renter_id)
            VALUES (\("PAY-\(orderCode)"), \(orderCode), 500000, \(status == "success" ? 500_000 : 0), \(status), \(settledBy), \([UInt8](repeating: 1, count: 32)),
                \(createdAt + 900_000), \(createdAt), \(createdAt), \(paidAfter.map { createdAt + $0 }), \(tenant.booking), \(tenant.owner),
                \(tenant.renter))
            """, logger: logger
        ).lastInsertID!
    }

    /// A webhook inbox row received at `receivedAt` for a transfer payOS dated `transactionAt`.
    func webhook(_ tenant: Tenant, receivedAt: Int64, transactionAt: Int64?, outcome: String = "status:success") async throws {
        let orderCode = Self.nextOrderCode()
        try await db.execute(
            """
            INSERT INTO webhook_inbox (owner_id, order_code, reference, amount, body, received_at, processed_at, outcome, transaction_at)
            VALUES (\(tenant.owner), \(orderCode), \("REF\(orderCode)"), 500000, '{}', \(receivedAt), \(receivedAt), \(outcome), \(transactionAt))
            """, logger: logger)
    }

    /// An outbox e-mail created at `createdAt`.
    func email(_ tenant: Tenant, createdAt: Int64, status: String, attempts: Int64) async throws {
        try await db.execute(
            """
            INSERT INTO outbox (owner_id, kind, recipient, dedupe_key, status, attempts, next_attempt_at, created_at)
            VALUES (\(tenant.owner), 'payment_received', 'r@example.vn', \("k-\(Self.nextOrderCode())"), \(status), \(attempts), 0, \(createdAt))
            """, logger: logger)
    }
}

