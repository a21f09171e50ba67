// Copyright (c) the Gatehouse authors
import Admin
import GatehouseCore
import Logging
import Payments
import Storage
import Synchronization
import Tenancy

/// Owners and payments at known times relative to now, written with plain SQL (as a database from before v8 would
/// hold them) and then rolled up with ``PaymentRollup/rebuild(database:logger:)``, for the overview and owners list.
struct AdminScaleFixture {
    let db: any SQLDatabase
    let logger: Logger
    let now: Int64
    static let hour: Int64 = 3_600_000
    static let day: Int64 = 86_400_000

    struct Tenant {
        let owner: OwnerID
        let renter: Int64
        let booking: Int64
    }

    func tenant(_ name: String, email: String) async throws -> Tenant {
        let owner = try await OwnerRepository(database: db).create(name: name, email: email, logger: logger)
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

    private static let orderCodes = Mutex<Int64>(500_000)
    private static func nextOrderCode() -> Int64 { orderCodes.withLock { $0 += 1; return $0 } }

    /// `count` payments of `amount` created `ago` ms before now; successful ones received `amount` (settled by `settledBy`).
    func payments(
        _ tenant: Tenant, count: Int = 1, ago: Int64, status: String, amount: Int64 = 500_000, settledBy: String? = nil,
        underpaid: Bool = false, expiresIn: Int64 = 900_000, refund: Bool = false
    ) async throws {
        for _ in 0..<count {
            let orderCode = Self.nextOrderCode()
            let createdAt = now - ago
            let paid: Int64 = status == "success" ? amount : (underpaid ? amount / 2 : 0)
            try await db.execute(
                """
                INSERT INTO payment (payment_code, order_code, amount, amount_paid, underpaid, status, settled_by, renter_token_hash, expires_at,
                    created_at, updated_at, paid_at, booking_id, owner_id, renter_id, refund_reason, refund_flagged_at)
                VALUES (\("PAY-\(orderCode)"), \(orderCode), \(amount), \(paid), \(underpaid), \(status), \(settledBy),
                    \([UInt8](repeating: 1, count: 32)), \(createdAt + expiresIn), \(createdAt), \(createdAt),
                    \(status == "success" ? createdAt + 60_000 : nil), \(tenant.booking), \(tenant.owner), \(tenant.renter),
                    \(refund ? "paid_after_expiry" : nil), \(refund ? createdAt + 1 : nil))
                """, logger: logger)
        }
    }

    func rollUp() async throws {
        try await PaymentRollup.rebuild(database: db, logger: logger)
    }

    /// The rollup as it must be: a direct aggregate of the payment table (owner, day → created, succeeded, VND, by webhook,
    /// by reconciliation, newest created).
    static func directAggregate(_ db: any SQLDatabase, logger: Logger) async throws -> [[Int64]] {
        var rows: [[Int64]] = []
        for row in try await db.query(
            "SELECT owner_id, created_at, status, amount_paid, settled_by FROM payment ORDER BY owner_id, created_at", logger: logger)
        {
            let owner: Int64 = try row.decode("owner_id"), created: Int64 = try row.decode("created_at")
            let status: String = try row.decode("status"), paid: Int64 = try row.decode("amount_paid")
            let settledBy = try row.decodeIfPresent("settled_by", as: String.self)
            let day = PaymentRollup.day(of: created)
            let ok = status == "success"
            let add: [Int64] = [1, ok ? 1 : 0, ok ? paid : 0, ok && settledBy == "webhook" ? 1 : 0, ok && settledBy == "reconciliation" ? 1 : 0]
            if let last = rows.last, last[0] == owner, last[1] == day {
                rows[rows.count - 1] = [owner, day] + zip(last[2..<7], add).map { $0 + $1 } + [max(last[7], created)]
            } else {
                rows.append([owner, day] + add + [created])
            }
        }
        return rows.sorted { ($0[0], $0[1]) < ($1[0], $1[1]) }
    }

    static func rollup(_ db: any SQLDatabase, logger: Logger) async throws -> [[Int64]] {
        try await PaymentRollup.days(owner: nil, fromDay: 0, toDay: Int64.max / 2, database: db, logger: logger).map {
            [$0.ownerID.rawValue, $0.day, $0.created, $0.succeeded, $0.volumeVND, $0.byWebhook, $0.byReconciliation, $0.lastCreatedAt]
        }
    }
}
