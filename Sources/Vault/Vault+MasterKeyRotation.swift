// Copyright (c) the Gatehouse authors
public import Logging
import Sodium
import Storage
import Synchronization
public import GatehouseCore

extension Vault {
    // MARK: Master key rotation

    /// Re-wraps every data key that is not yet under master key `version` (default: the active
    /// one), in batches.
    ///
    /// Each batch is one transaction: it locks up to `batchSize` data key rows still under another
    /// version, unwraps each with its old master key, wraps it with the target, updates the row and
    /// the run's progress in `vault_rotation`, and appends a `vault.kek.rewrap` audit row. A crash
    /// or error mid-way loses nothing: finished batches are committed, the failed one rolls back,
    /// and calling this again resumes the same run (the unfinished `vault_rotation` row for the
    /// target) until no data key is left under another version.
    ///
    /// Credentials are never touched: their data keys do not change.
    /// - Throws: ``VaultError/Code/unknownKEKVersion`` when the target, or the version a data key
    ///   is wrapped with, is not in the ring; ``VaultError/Code/sealBroken`` for a data key that
    ///   does not authenticate (the batch rolls back and the rotation stops there);
    ///   ``VaultError/Code/invalidInput`` for a batch size outside 1…10 000.
    @discardableResult
    public func rotateMasterKey(to version: Int? = nil, batchSize: Int = 100, audit: AuditContext, logger: Logger) async throws -> RotationReport {
        try await rotateMasterKey(to: version, batchSize: batchSize, audit: audit, logger: logger, beforeBatchCommit: nil)
    }

    /// ``rotateMasterKey(to:batchSize:audit:logger:)`` with a hook run inside each batch's
    /// transaction just before it commits (given the 1-based batch number of this call), so tests
    /// can make a batch fail mid-way and check that a rerun finishes the job.
    package func rotateMasterKey(
        to version: Int?,
        batchSize: Int,
        audit: AuditContext,
        logger: Logger,
        beforeBatchCommit: (@Sendable (Int) async throws -> Void)?
    ) async throws -> RotationReport {
        guard (1...10_000).contains(batchSize) else { throw VaultError.invalidInput("batch size must be 1 to 10000") }
        try AuditLog.validate(actor: audit.actor, action: AuditAction.rewrap, requestID: audit.requestID)
        let ring = masterKeys
        let target = version ?? ring.activeVersion
        let targetKey = try ring.key(version: target)
        var logger = logger
        logger[metadataKey: "vault.kek_target"] = "\(target)"

        // Find the unfinished run for this target, or start one.
        let runID: Int64 = try await database.withTransaction(logger: logger) { connection in
            let existing = try await connection.query(
                """
                SELECT id FROM vault_rotation WHERE target_kek_version = \(target) AND finished_at IS NULL
                ORDER BY id LIMIT 1\(unescaped: connection.dialect.forUpdate)
                """
            )
            if let row = existing.first { return try row.decode("id") }
            let now = self.clock.now()
            let inserted = try await connection.execute(
                "INSERT INTO vault_rotation (target_kek_version, started_at, finished_at, rewrapped) VALUES (\(target), \(now), \(nil as Int64?), 0)"
            )
            guard let id = inserted.lastInsertID else { throw StorageError(code: .statementFailed, detail: "no id for vault_rotation row") }
            try await self.auditLog.append(
                AuditEntry(audit, ownerID: nil, action: AuditAction.rotationStart, detail: ["run": .integer(id), "target_kek_version": .int(target)]),
                on: connection
            )
            return id
        }
        logger[metadataKey: "vault.rotation_run"] = "\(runID)"
        logger.info("vault master key rotation running")

        var batchNumber = 0
        while true {
            batchNumber += 1
            let number = batchNumber
            // The finishing transaction returns its invalidation row (delivered here after commit); others return nil.
            let finished: KeyInvalidations.Event? = try await database.withTransaction(logger: logger) { connection in
                let rows = try await connection.query(
                    """
                    SELECT owner_id, kek_version, wrapped_dek FROM vault_data_key WHERE kek_version <> \(target)
                    ORDER BY owner_id LIMIT \(unescaped: String(batchSize))\(unescaped: connection.dialect.forUpdate)
                    """
                )
                let now = self.clock.now()
                if rows.isEmpty {
                    // Owners' data keys are done; the few platform keys follow in this same last transaction.
                    let platform = try await self.rewrapPlatformKeys(to: target, ring: ring, now: now, on: connection)
                    if platform > 0 {
                        try await connection.execute("UPDATE vault_rotation SET rewrapped = rewrapped + \(platform) WHERE id = \(runID)")
                    }
                    let progress = try await connection.query("SELECT rewrapped FROM vault_rotation WHERE id = \(runID)")
                    let total: Int64 = try progress.first?.decode("rewrapped") ?? 0
                    try await connection.execute("UPDATE vault_rotation SET finished_at = \(now) WHERE id = \(runID)")
                    // Every cached key was unsealed under the previous ring: every instance drops its cache.
                    let invalidation = try await KeyInvalidations.record(
                        owner: nil, reason: KeyInvalidations.Reason.masterKeyRotated, at: now, on: connection)
                    try await self.auditLog.append(
                        AuditEntry(audit, ownerID: nil, action: AuditAction.rotationFinish,
                            detail: ["run": .integer(runID), "target_kek_version": .int(target), "rewrapped": .integer(total)]),
                        on: connection
                    )
                    return invalidation
                }
                var fromVersions = Set<Int>()
                for row in rows {
                    let owner: Int64 = try row.decode("owner_id")
                    let oldVersion: Int = try row.decode("kek_version")
                    let dataKey = try CredentialEnvelope.unwrapDataKey(
                        try row.decode("wrapped_dek"), owner: owner, kekVersion: oldVersion, kek: ring.key(version: oldVersion)
                    )
                    let rewrapped = CredentialEnvelope.wrapDataKey(dataKey, owner: owner, kekVersion: target, kek: targetKey)
                    try await connection.execute(
                        """
                        UPDATE vault_data_key SET kek_version = \(target), wrapped_dek = \(rewrapped), rewrapped_at = \(now)
                        WHERE owner_id = \(owner) AND kek_version = \(oldVersion)
                        """
                    )
                    fromVersions.insert(oldVersion)
                }
                try await connection.execute("UPDATE vault_rotation SET rewrapped = rewrapped + \(rows.count) WHERE id = \(runID)")
                try await self.auditLog.append(
                    AuditEntry(audit, ownerID: nil, action: AuditAction.rewrap, detail: [
                        "run": .integer(runID), "target_kek_version": .int(target), "count": .int(rows.count),
                        "from_kek_versions": .strings(fromVersions.sorted().map(String.init)),
                    ]), on: connection
                )
                try await beforeBatchCommit?(number)
                return nil
            }
            if let finished {
                keyInvalidations.deliver([finished])
                break
            }
        }
        let report = try await rotationReport(runID: runID, logger: logger)
        logger.info("vault master key rotation finished", metadata: ["vault.rewrapped": "\(report.rewrapped)"])
        return report
    }

    /// How many data keys each master key version protects, and any unfinished rotation runs.
    public func status(logger: Logger) async throws -> KEKStatus {
        let ring = masterKeys
        let counts = try await database.query(
            """
            SELECT kek_version, COUNT(*) AS n FROM (
                SELECT kek_version FROM vault_data_key UNION ALL SELECT kek_version FROM vault_platform_key
            ) wrapped GROUP BY kek_version
            """, logger: logger
        )
        var byVersion: [Int: Int] = [:]
        for row in counts { byVersion[try row.decode("kek_version")] = try row.decode("n") }
        let runs = try await database.query(
            "SELECT id, target_kek_version, rewrapped, finished_at FROM vault_rotation WHERE finished_at IS NULL ORDER BY id",
            logger: logger
        )
        return KEKStatus(
            activeVersion: ring.activeVersion, ringVersions: ring.versions, dataKeysByVersion: byVersion,
            unfinishedRotations: try runs.map(Self.rotationReport)
        )
    }

    /// Removes master key `version` from this vault's ring once nothing needs it, and records it.
    ///
    /// After this, remove the key from the configuration (every node) as well: the vault cannot
    /// change the configuration it was started with.
    /// - Throws: ``VaultError/Code/kekInUse`` when `version` is the active version or still wraps a
    ///   data key (rotate first), ``VaultError/Code/unknownKEKVersion`` when the ring does not hold it.
    public func retire(kekVersion version: Int, audit: AuditContext, logger: Logger) async throws {
        try AuditLog.validate(actor: audit.actor, action: AuditAction.retire, requestID: audit.requestID)
        let ring = masterKeys
        _ = try ring.removing(version: version)  // active or unknown: refused before touching the database
        let retired = try await database.withTransaction(logger: logger) { connection in
            let rows = try await connection.query(
                """
                SELECT (SELECT COUNT(*) FROM vault_data_key WHERE kek_version = \(version))
                     + (SELECT COUNT(*) FROM vault_platform_key WHERE kek_version = \(version)) AS n
                """)
            let inUse: Int = try rows.first?.decode("n") ?? 0
            guard inUse == 0 else {
                throw VaultError(code: .kekInUse, detail: "master key version \(version) still wraps \(inUse) data key(s); rotate first")
            }
            try await self.auditLog.append(
                AuditEntry(audit, ownerID: nil, action: AuditAction.retire, detail: ["kek_version": .int(version)]), on: connection
            )
            return try await KeyInvalidations.record(
                owner: nil, reason: KeyInvalidations.Reason.masterKeyRetired, at: self.clock.now(), on: connection)
        }
        keyInvalidations.deliver([retired])
        try self.ring.withLock { (current: inout MasterKeyRing) throws(VaultError) in current = try current.removing(version: version) }
        logger.info("vault master key retired", metadata: ["vault.kek_version": "\(version)"])
    }

    private func rotationReport(runID: Int64, logger: Logger) async throws -> RotationReport {
        let rows = try await database.query(
            "SELECT id, target_kek_version, rewrapped, finished_at FROM vault_rotation WHERE id = \(runID)", logger: logger
        )
        guard let row = rows.first else { throw StorageError(code: .statementFailed, detail: "vault_rotation row \(runID) vanished") }
        return try Self.rotationReport(row)
    }

    private static func rotationReport(_ row: SQLRow) throws -> RotationReport {
        RotationReport(
            runID: try row.decode("id"), targetVersion: try row.decode("target_kek_version"),
            rewrapped: try row.decode("rewrapped"), finished: try row.decodeIfPresent("finished_at", as: Int64.self) != nil
        )
    }
}
