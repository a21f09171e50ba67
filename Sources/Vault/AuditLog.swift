// Copyright (c) the Gatehouse authors
public import Logging
import Sodium
public import Storage
public import GatehouseCore

/// One row of `audit_log`.
public struct AuditRecord: Sendable, Hashable {
    public var id: Int64
    /// Unix milliseconds.
    public var at: Int64
    public var actor: String
    public var ownerID: Int64?
    public var action: String
    /// Compact JSON (see ``AuditDetail``), or `nil`.
    public var detail: String?
    public var requestID: String?
    /// The previous row's ``hash``; `nil` only for the genesis row.
    public var prevHash: [UInt8]?
    /// `SHA-256(prevHash || canonical fields)`, see ``AuditLog/chainHash(prevHash:at:actor:ownerID:action:detail:requestID:)``.
    public var hash: [UInt8]
}

/// The result of walking the audit chain.
public struct AuditVerification: Sendable, Hashable {
    /// Why a row breaks the chain.
    public enum Problem: String, Sendable, Hashable {
        /// The row's stored hash is not the hash of its fields: the row was edited.
        case hashMismatch
        /// The row's `prev_hash` is not the hash of the row before it: a row was removed, inserted or reordered.
        case prevHashMismatch
    }

    /// The first row that breaks the chain.
    public struct Break: Sendable, Hashable {
        public var id: Int64
        public var problem: Problem
    }

    /// Rows checked (up to and including the first broken one).
    public var rowsChecked: Int
    /// The id and hash of the last row checked. An external copy of this pair (e.g. in an operator
    /// report) lets a later check detect a truncated tail, which a chain alone cannot.
    public var headID: Int64?
    public var headHash: [UInt8]?
    /// The first broken row, or `nil` when the whole chain verifies.
    public var firstBreak: Break?

    /// `true` when no row breaks the chain.
    public var isIntact: Bool { firstBreak == nil }
}

/// The tamper-evident audit log (`audit_log`), shared by every module that records who did what.
///
/// Each row stores `hash = SHA-256(prev_hash || canonical fields)`, where `prev_hash` is the hash of
/// the row appended before it, so editing, deleting or reordering any row breaks every later link;
/// ``verify(database:logger:batchSize:)`` finds the first broken row.
///
/// **Serialisation.** A chain needs appends to be strictly one after another, across connections,
/// processes and both backends. The first row (id 1, action `audit.genesis`, created on first use)
/// is the chain's anchor and its lock: every append starts by locking it (`SELECT … FOR UPDATE` on
/// MariaDB; SQLite's `BEGIN IMMEDIATE` already excludes other writers), then reads the newest row
/// with a locking read (which, unlike a plain read under REPEATABLE READ, sees rows committed after
/// the transaction's snapshot), inserts, and keeps the lock until the caller's transaction commits.
/// Locking a fixed, existing row by primary key takes a record lock only, so concurrent appenders
/// queue up instead of deadlocking on gap locks as they would when locking "the latest row".
/// Appends are serialised, but standalone ones are group-committed (``AuditGroupCommitter``): one lock
/// and one transaction per batch of concurrent appenders, not per row; `bench/README.md` has the figures.
///
/// An append joins the caller's transaction: if the caller rolls back, the row disappears with the
/// rest of its work, so the log never records something that did not happen.
public struct AuditLog: Sendable {
    /// The id of the genesis row.
    public static let genesisID: Int64 = 1
    /// The action of the genesis row.
    public static let genesisAction = "audit.genesis"

    private let clock: WallClock

    public init(clock: WallClock = .system) {
        self.clock = clock
    }

    // MARK: Appending

    /// Appends a row inside the caller's transaction.
    ///
    /// This path cannot join a group-committed batch: its row must commit or roll back with the caller's own work,
    /// so it takes the chain lock in the caller's transaction and holds it until that transaction ends.
    ///
    /// - Parameters:
    ///   - entry: the row's fields (see ``AuditEntry`` for their limits).
    ///   - connection: a connection inside `withTransaction` (an append outside a transaction would
    ///     release the chain lock immediately and could fork the chain on MariaDB).
    /// - Returns: the row as stored.
    /// - Throws: ``VaultError/Code/invalidInput`` for an empty or over-long field; storage errors.
    @discardableResult
    public func append(_ entry: AuditEntry, on connection: any SQLConnection) async throws -> AuditRecord {
        let row = try PendingAuditRow(entry, at: clock.now())
        return try await Self.chain([row], on: connection)[0]
    }

    /// Appends a row in a transaction of its own, group-committed with concurrent appends to the same database.
    ///
    /// Returns only once the row has committed; concurrent callers in this process share one chain lock and one
    /// transaction per batch (see ``AuditGroupCommitter`` for why, and for what failure and cancellation mean).
    /// - Throws: ``VaultError/Code/invalidInput`` for an empty or over-long field (this caller only); the batch's
    ///   storage error when its transaction did not commit (every caller of that batch, none of whose rows exists).
    @discardableResult
    public func append(_ entry: AuditEntry, database: any SQLDatabase, logger: Logger) async throws -> AuditRecord {
        let row = try PendingAuditRow(entry, at: clock.now())
        if let committer = AuditGroupCommitter.shared(for: database) {
            return try await committer.append(row, database: database, logger: logger)
        }
        return try await database.withTransaction(logger: logger) { connection in
            try await Self.chain([row], on: connection)[0]
        }
    }

    /// The most rows ``append(contentsOf:database:logger:)`` writes in one transaction, and a group-committed batch
    /// carries: bounds how long the chain lock is held and the statement sizes (16 KiB of detail at most per row).
    public static let maximumRowsPerTransaction = 256

    /// Appends `entries` in order, in one transaction of its own: one chain lock, one head read and a few multi-row
    /// inserts for all of them. For a writer that has many rows at once (the key cache's aggregated use rows), where a
    /// group-committed append per row would cost a task and a queue turn each.
    /// - Returns: the rows as stored, in order.
    /// - Throws: ``VaultError/Code/invalidInput`` for an empty or over-long field in any entry (nothing written);
    ///   ``VaultError/Code/invalidInput`` for more than ``maximumRowsPerTransaction`` entries; storage errors (nothing
    ///   written).
    @discardableResult
    public func append(contentsOf entries: [AuditEntry], database: any SQLDatabase, logger: Logger) async throws -> [AuditRecord] {
        guard entries.count <= Self.maximumRowsPerTransaction else {
            throw VaultError.invalidInput("at most \(Self.maximumRowsPerTransaction) audit rows per transaction")
        }
        guard !entries.isEmpty else { return [] }
        let now = clock.now()
        let rows = try entries.map { entry throws(VaultError) in try PendingAuditRow(entry, at: now) }
        return try await database.withTransaction(logger: logger) { connection in
            try await Self.chain(rows, on: connection)
        }
    }

    /// Creates the genesis row if it does not exist yet.
    ///
    /// Appends create it on demand (racing first appends queue for it, see `lockChain`); calling this once at
    /// start-up, after migrations, gives the chain its anchor before the first real row.
    public func prepare(database: any SQLDatabase, logger: Logger) async throws {
        try await database.withTransaction(logger: logger) { connection in
            try await Self.lockChain(on: connection, at: clock.now())
        }
    }

    // MARK: Reading and verifying

    /// Walks the whole chain in id order and reports the first broken row.
    ///
    /// Reads in batches on short-lived connections, so it can run while appends continue (rows
    /// appended during the walk are checked if reached).
    public func verify(database: any SQLDatabase, logger: Logger, batchSize: Int = 1000) async throws -> AuditVerification {
        precondition(batchSize > 0, "batchSize must be positive")
        var report = AuditVerification(rowsChecked: 0, headID: nil, headHash: nil, firstBreak: nil)
        var lastID: Int64 = 0
        var previousHash: [UInt8]? = nil
        var isFirst = true
        while true {
            let rows = try await database.query(
                """
                SELECT id, at, actor, owner_id, action, detail, request_id, prev_hash, hash FROM audit_log
                WHERE id > \(lastID) ORDER BY id LIMIT \(unescaped: String(batchSize))
                """,
                logger: logger
            )
            for row in rows {
                let record = try Self.record(row)
                report.rowsChecked += 1
                report.headID = record.id
                report.headHash = record.hash
                lastID = record.id
                // The first row starts the chain (no predecessor); every later one links to the row before it.
                let expectedPrev = isFirst ? nil : previousHash
                isFirst = false
                if record.prevHash != expectedPrev {
                    report.firstBreak = .init(id: record.id, problem: .prevHashMismatch)
                    return report
                }
                let recomputed = Self.chainHash(
                    prevHash: record.prevHash, at: record.at, actor: record.actor, ownerID: record.ownerID,
                    action: record.action, detail: record.detail, requestID: record.requestID
                )
                if recomputed != record.hash {
                    report.firstBreak = .init(id: record.id, problem: .hashMismatch)
                    return report
                }
                previousHash = record.hash
            }
            if rows.count < batchSize { return report }
        }
    }

    /// Rows for one owner and/or action, newest first (for admin pages and tests).
    public func records(
        ownerID: Int64? = nil,
        action: String? = nil,
        limit: Int = 100,
        database: any SQLDatabase,
        logger: Logger
    ) async throws -> [AuditRecord] {
        var query: SQLQuery = "SELECT id, at, actor, owner_id, action, detail, request_id, prev_hash, hash FROM audit_log WHERE 1 = 1"
        if let ownerID { query = query + " AND owner_id = \(ownerID)" }
        if let action { query = query + " AND action = \(action)" }
        query = query + " ORDER BY id DESC LIMIT \(unescaped: String(max(1, min(limit, 10_000))))"
        return try await database.query(query, logger: logger).map(Self.record)
    }

    // MARK: Hashing

    /// The chain hash of a row: `SHA-256(prevHash || canonical fields)`.
    ///
    /// Canonical fields, so an auditor can recompute it with any SHA-256 tool: the ASCII tag
    /// `gatehouse:audit:v1`, then for each of `at` (decimal), `actor`, `owner_id` (decimal), `action`,
    /// `detail`, `request_id`: a `0x00` byte when NULL, else `0x01`, the UTF-8 length as a 4-byte
    /// big-endian integer, and the UTF-8 bytes. Length prefixes make the encoding unambiguous.
    public static func chainHash(
        prevHash: [UInt8]?,
        at: Int64,
        actor: String,
        ownerID: Int64?,
        action: String,
        detail: String?,
        requestID: String?
    ) -> [UInt8] {
        var hasher = SHA256()
        if let prevHash { hasher.update(prevHash) }
        hasher.update(Array("gatehouse:audit:v1".utf8))
        for field in [String(at), actor, ownerID.map { String($0) }, action, detail, requestID] as [String?] {
            guard let field else {
                hasher.update([0x00])
                continue
            }
            let bytes = Array(field.utf8)
            let n = UInt32(bytes.count)
            hasher.update([0x01, UInt8(n >> 24), UInt8(n >> 16 & 0xFF), UInt8(n >> 8 & 0xFF), UInt8(n & 0xFF)])
            hasher.update(bytes)
        }
        return hasher.finalize()
    }

    // MARK: Helpers

    static func validate(actor: String, action: String, requestID: String?) throws(VaultError) {
        guard (1...128).contains(actor.utf8.count) else { throw .invalidInput("audit actor must be 1 to 128 bytes") }
        guard (1...64).contains(action.utf8.count) else { throw .invalidInput("audit action must be 1 to 64 bytes") }
        if let requestID, requestID.utf8.count > 64 { throw .invalidInput("request id must be at most 64 bytes") }
    }

    private static func record(_ row: SQLRow) throws -> AuditRecord {
        AuditRecord(
            id: try row.decode("id"),
            at: try row.decode("at"),
            actor: try row.decode("actor"),
            ownerID: try row.decodeIfPresent("owner_id"),
            action: try row.decode("action"),
            detail: try row.decodeIfPresent("detail"),
            requestID: try row.decodeIfPresent("request_id"),
            prevHash: try row.decodeIfPresent("prev_hash"),
            hash: try row.decode("hash")
        )
    }
}
