// Copyright (c) the Gatehouse authors
import Storage

/// An ``AuditEntry`` checked and stamped, ready to be chained: what a caller hands to the chain, alone or in a batch.
struct PendingAuditRow: Sendable {
    var at: Int64
    var actor: String
    var ownerID: Int64?
    var action: String
    /// The detail already rendered to its stored JSON.
    var detail: String?
    var requestID: String?

    /// Checks the entry's limits (so a bad entry fails its own caller before it can join anyone's batch).
    /// - Throws: ``VaultError/Code/invalidInput`` for an empty or over-long field.
    init(_ entry: AuditEntry, at: Int64) throws(VaultError) {
        try AuditLog.validate(actor: entry.actor, action: entry.action, requestID: entry.requestID)
        let detail = entry.detail?.json
        if let detail, detail.utf8.count > 16 * 1024 { throw .invalidInput("audit detail is longer than 16 KiB") }
        (self.at, self.actor, self.ownerID, self.action, self.detail, self.requestID) = (at, entry.actor, entry.ownerID, entry.action, detail, entry.requestID)
    }
}

extension AuditLog {
    /// Rows per `INSERT` statement: powers of two up to 64, so a batch of any size uses at most seven distinct
    /// statement texts (MariaDB keeps 64 prepared statements per connection; one text per batch size would churn it)
    /// and a statement stays far below both backends' parameter limits (9 per row).
    static let insertChunkSizes = [64, 32, 16, 8, 4, 2, 1]

    /// Chains `rows` in order after the current head, inside the caller's transaction: locks the chain once, reads
    /// the head once, computes each row's hash from the one before it, and inserts them with explicit ids
    /// `head + 1 …` (safe: every writer of `audit_log` holds the chain lock, so no other row can take those ids, and
    /// it gives each caller its row's id without relying on how each backend reports ids of a multi-row `INSERT`).
    /// - Returns: one record per row, in the same order.
    static func chain(_ rows: [PendingAuditRow], on connection: any SQLConnection) async throws -> [AuditRecord] {
        guard let first = rows.first else { return [] }
        try await lockChain(on: connection, at: first.at)
        let headRows = try await connection.query(
            "SELECT id, hash FROM audit_log ORDER BY id DESC LIMIT 1\(unescaped: connection.dialect.forUpdate)"
        )
        var nextID: Int64 = try headRows.first?.decode("id") ?? genesisID
        var prevHash: [UInt8]? = try headRows.first?.decode("hash")
        var records: [AuditRecord] = []
        records.reserveCapacity(rows.count)
        for row in rows {
            nextID += 1
            let hash = chainHash(
                prevHash: prevHash, at: row.at, actor: row.actor, ownerID: row.ownerID, action: row.action, detail: row.detail,
                requestID: row.requestID
            )
            records.append(AuditRecord(
                id: nextID, at: row.at, actor: row.actor, ownerID: row.ownerID, action: row.action, detail: row.detail,
                requestID: row.requestID, prevHash: prevHash, hash: hash
            ))
            prevHash = hash
        }
        var remaining = records[...]
        while !remaining.isEmpty {
            let size = insertChunkSizes.first { $0 <= remaining.count } ?? 1
            try await insert(remaining.prefix(size), on: connection)
            remaining = remaining.dropFirst(size)
        }
        return records
    }

    /// One multi-row `INSERT` of already chained records.
    private static func insert(_ records: ArraySlice<AuditRecord>, on connection: any SQLConnection) async throws {
        var query: SQLQuery = "INSERT INTO audit_log (id, at, actor, owner_id, action, detail, request_id, prev_hash, hash) VALUES "
        for (index, r) in records.enumerated() {
            query += """
                \(unescaped: index == 0 ? "" : ", ")(\(r.id), \(r.at), \(r.actor), \(r.ownerID.sqlValue), \(r.action), \(r.detail.sqlValue), \
                \(r.requestID.sqlValue), \(r.prevHash.sqlValue), \(r.hash))
                """
        }
        try await connection.execute(query)
    }

    /// Locks the genesis row, creating it first when the log is empty.
    ///
    /// The creation holds the row exclusively whether this transaction inserts it or finds it inserted by another
    /// (``SQLDialect/onConflictKeepLocked(key:)``), so first appends racing on an empty log queue on it like any other
    /// append; if the creator rolls back, the next one in the queue creates it.
    static func lockChain(on connection: any SQLConnection, at: Int64) async throws {
        let lock: SQLQuery = "SELECT id FROM audit_log WHERE id = \(genesisID)\(unescaped: connection.dialect.forUpdate)"
        if try await !connection.query(lock).isEmpty { return }
        let actor = "system:audit"
        let detail = AuditDetail(["chain": "sha256-v1"]).json
        let hash = chainHash(prevHash: nil, at: at, actor: actor, ownerID: nil, action: genesisAction, detail: detail, requestID: nil)
        try await connection.execute(
            """
            INSERT INTO audit_log (id, at, actor, owner_id, action, detail, request_id, prev_hash, hash)
            VALUES (\(genesisID), \(at), \(actor), \(nil as Int64?), \(genesisAction), \(detail), \(nil as String?), \(nil as [UInt8]?), \(hash))\
            \(unescaped: connection.dialect.onConflictKeepLocked(key: "id"))
            """
        )
    }
}
