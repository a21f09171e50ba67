// Copyright (c) the Gatehouse authors
public import GatehouseCore
public import Logging
import Storage

/// The reconciliation schedule of pending payments (`payment.next_check_at`, `payment.check_attempts`).
extension PaymentRepository {
    /// A pending payment whose check is due, with the due time it was read at (the claim's condition).
    public struct DueCheck: Sendable, Hashable {
        public let id: PaymentID
        public let dueAt: Int64
    }

    /// Pending payments whose check is due at `now`, earliest first.
    public func dueChecks(at now: Int64, limit: Int, logger: Logger) async throws -> [DueCheck] {
        try await database.query(
            """
            SELECT id, next_check_at FROM payment
            WHERE status = 'pending' AND next_check_at IS NOT NULL AND next_check_at <= \(now)
            ORDER BY next_check_at LIMIT \(limit)
            """, logger: logger
        ).map { DueCheck(id: try $0.decode("id"), dueAt: try $0.decode("next_check_at")) }
    }

    /// Claims a due check until `leaseUntil`: only the instance whose update matched the due time read checks the
    /// payment now. Returns whether this caller got it.
    public func claimCheck(_ check: DueCheck, leaseUntil: Int64, logger: Logger) async throws -> Bool {
        let claimed = try await database.execute(Self.claimCheckStatement(check, leaseUntil: leaseUntil, dialect: database.dialect), logger: logger)
        return claimed.affectedRows == 1
    }

    /// The claim, locking the payment's primary key first (``SQLDialect/byPrimaryKey``), as the settlement does: a claim
    /// racing a settlement of the same payment waits for it instead of deadlocking with it.
    static func claimCheckStatement(_ check: DueCheck, leaseUntil: Int64, dialect: SQLDialect) -> SQLQuery {
        """
        UPDATE payment\(unescaped: dialect.byPrimaryKey) SET next_check_at = \(leaseUntil)
        WHERE id = \(check.id) AND status = 'pending' AND next_check_at = \(check.dueAt)
        """
    }

    /// How many checks the payment has had.
    public func checkAttempts(_ id: PaymentID, logger: Logger) async throws -> Int64 {
        try await database.query("SELECT check_attempts FROM payment WHERE id = \(id)", logger: logger)
            .first.map { try $0.decode("check_attempts", as: Int64.self) } ?? 0
    }

    /// Sets a pending payment's next check and counts the one just made.
    public func scheduleCheck(_ id: PaymentID, at next: Int64, logger: Logger) async throws {
        try await database.execute(
            """
            UPDATE payment\(unescaped: database.dialect.byPrimaryKey) SET next_check_at = \(next), check_attempts = check_attempts + 1
            WHERE id = \(id) AND status = 'pending'
            """, logger: logger)
    }
}
