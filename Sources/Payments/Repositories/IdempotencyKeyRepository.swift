// Copyright (c) the Gatehouse authors
public import GatehouseCore
public import Logging
public import Storage

/// `idempotency_key`: an owner's `Idempotency-Key`s for creating payments. A key is claimed before payOS is called,
/// answered (with the payment it created) in the payment's own transaction, and released when the attempt fails.
/// Deciding what a retry gets is ``PaymentService``'s job; this type only reads and writes the rows.
public struct IdempotencyKeyRepository: Sendable {
    /// A claimed key as stored.
    public struct Record: Sendable, Hashable {
        /// The digest of the request that claimed the key.
        public let requestHash: [UInt8]
        /// The payment created under the key, once answered.
        public let paymentID: PaymentID?
        /// When the current attempt claimed (or took over) the key, Unix ms.
        public let startedAt: Int64
    }

    let database: any SQLDatabase

    public init(database: any SQLDatabase) {
        self.database = database
    }

    /// Claims the key for a new attempt. Returns `false` when the owner already used it (nothing written).
    public func claim(owner: OwnerID, key: String, requestHash: [UInt8], at now: Int64, logger: Logger) async throws -> Bool {
        do {
            try await database.execute(
                "INSERT INTO idempotency_key (owner_id, idem_key, request_hash, created_at) VALUES (\(owner), \(key), \(requestHash), \(now))",
                logger: logger)
            return true
        } catch let error as StorageError where error.code == .duplicate {
            return false
        }
    }

    /// The key as stored, or `nil` (released meanwhile).
    public func get(owner: OwnerID, key: String, logger: Logger) async throws -> Record? {
        guard let row = try await database.query(
            "SELECT request_hash, status_code, response_body, created_at FROM idempotency_key WHERE owner_id = \(owner) AND idem_key = \(key)",
            logger: logger
        ).first else { return nil }
        return Record(
            requestHash: try row.decode("request_hash"),
            paymentID: try row.decodeIfPresent("response_body", as: String.self).flatMap(Int64.init).map { PaymentID($0) },
            startedAt: try row.decode("created_at"))
    }

    /// Takes over an unanswered key whose attempt started at `startedAt` (that attempt died). Returns `false` when
    /// another retry took it over first or the key was answered meanwhile.
    public func takeOver(owner: OwnerID, key: String, startedAt: Int64, at now: Int64, logger: Logger) async throws -> Bool {
        let taken = try await database.execute(
            """
            UPDATE idempotency_key SET created_at = \(now)
            WHERE owner_id = \(owner) AND idem_key = \(key) AND status_code IS NULL AND created_at = \(startedAt)
            """, logger: logger)
        return taken.affectedRows == 1
    }

    /// Releases an unanswered key so a retry can try again; an answered key is never removed.
    public func release(owner: OwnerID, key: String, logger: Logger) async throws {
        try await database.execute(
            "DELETE FROM idempotency_key WHERE owner_id = \(owner) AND idem_key = \(key) AND status_code IS NULL", logger: logger)
    }

    /// Stores the answer (the created payment), on the caller's connection (inside the payment's transaction).
    public func recordAnswer(owner: OwnerID, key: String, payment: PaymentID, on connection: any SQLConnection) async throws {
        try await connection.execute(
            """
            UPDATE idempotency_key SET status_code = 201, response_body = \(String(payment.rawValue))
            WHERE owner_id = \(owner) AND idem_key = \(key)
            """)
    }
}
