// Copyright (c) the Gatehouse authors
public import Logging
import Sodium
import Storage
public import GatehouseCore

extension Vault {
    /// Tags (or destroys) the live credential rows written before schema version ``VaultSchema/stateTagVersion``, which
    /// have no state tag yet. Run once per start, before the first request (``GatehouseComponents`` does); cheap when there
    /// is nothing left to do.
    ///
    /// A row gets a tag only when its state is one the vault itself could have left it in, judged from the owner's other
    /// rows and the time of the upgrade, because its state cannot be trusted on its own word:
    /// - `active`: only rows of the owner's newest version;
    /// - `previous`: only a checksum key of the version just before the newest, whose grace window ends no later than
    ///   the configured grace after both the newest version's creation and the upgrade.
    ///
    /// Any other live row is destroyed (its blob removed) rather than left untagged: it would make every unseal for the
    /// owner fail, and none of them is a row the vault wrote. So a row tampered with before the upgrade is never made
    /// usable, except for a change that stays inside these bounds (a `previous` key's window can at most be the grace
    /// the configuration allows, counted from the upgrade). Rows created after the upgrade are never tagged here: the
    /// vault tags every row it writes, so an untagged newer row is a tampered one.
    ///
    /// - Returns: how many rows were tagged and how many destroyed.
    @discardableResult
    public func authenticateLegacyCredentialStates(audit: AuditContext, logger: Logger) async throws -> (tagged: Int, destroyed: Int) {
        try AuditLog.validate(actor: audit.actor, action: AuditAction.stateTagsBackfill, requestID: audit.requestID)
        let upgrade = try await database.query(
            "SELECT applied_at FROM schema_migrations WHERE version = \(VaultSchema.stateTagVersion)", logger: logger)
        guard let upgradedAt: Int64 = try upgrade.first?.decode("applied_at") else { return (0, 0) }
        let owners = try await database.query(
            """
            SELECT DISTINCT owner_id FROM vault_credential
            WHERE state <> 'destroyed' AND state_mac IS NULL AND created_at <= \(upgradedAt) ORDER BY owner_id
            """,
            logger: logger)
        let ring = masterKeys
        let grace = Self.milliseconds(configuration.checksumKeyGrace)
        var total = (tagged: 0, destroyed: 0)
        for row in owners {
            let owner: Int64 = try row.decode("owner_id")
            let logger = Self.logger(logger, owner: owner)
            let counts = try await database.withTransaction(logger: logger) { connection in
                try await self.authenticateLegacyStates(
                    owner: owner, upgradedAt: upgradedAt, grace: grace, ring: ring, audit: audit, on: connection)
            }
            if counts.destroyed > 0 {
                logger.warning(
                    "vault credential rows from before the upgrade were in states the vault never leaves them in, and were destroyed",
                    metadata: ["vault.destroyed": "\(counts.destroyed)"])
            }
            total.tagged += counts.tagged
            total.destroyed += counts.destroyed
        }
        if total.tagged + total.destroyed > 0 {
            logger.info("vault credential states authenticated", metadata: ["vault.tagged": "\(total.tagged)", "vault.destroyed": "\(total.destroyed)"])
        }
        return total
    }

    private func authenticateLegacyStates(
        owner: Int64, upgradedAt: Int64, grace: Int64, ring: MasterKeyRing, audit: AuditContext, on connection: any SQLConnection
    ) async throws -> (tagged: Int, destroyed: Int) {
        // Locking the data key row serialises this with a concurrent store (another instance starting, an onboarding).
        guard let keyRow = try await connection.query(
            "SELECT kek_version, wrapped_dek FROM vault_data_key WHERE owner_id = \(owner)\(unescaped: connection.dialect.forUpdate)"
        ).first else { return (0, 0) }
        let kekVersion: Int = try keyRow.decode("kek_version")
        let dataKey = try CredentialEnvelope.unwrapDataKey(
            try keyRow.decode("wrapped_dek"), owner: owner, kekVersion: kekVersion, kek: ring.key(version: kekVersion))
        let stateKey = CredentialEnvelope.stateKey(dataKey: dataKey)
        defer { stateKey.wipe() }

        let rows = try await connection.query(
            "SELECT id, kind, version, state, usable_until, created_at, state_mac FROM vault_credential WHERE owner_id = \(owner)")
        let newest = try rows.map { try $0.decode("version", as: Int.self) }.max() ?? 0
        let newestCreatedAt = try rows.filter { try $0.decode("version", as: Int.self) == newest }
            .map { try $0.decode("created_at", as: Int64.self) }.min() ?? 0
        let now = clock.now()
        var tagged: [String] = [], destroyed: [String] = []
        for row in rows {
            let state: String = try row.decode("state")
            let createdAt: Int64 = try row.decode("created_at")
            guard state != CredentialState.destroyed.rawValue, try row.decodeIfPresent("state_mac", as: [UInt8].self) == nil,
                createdAt <= upgradedAt
            else { continue }
            let id: Int64 = try row.decode("id")
            let kindName: String = try row.decode("kind")
            let version: Int = try row.decode("version")
            let until: Int64? = try row.decodeIfPresent("usable_until")
            let plausible: CredentialState? =
                switch (CredentialKind(rawValue: kindName), CredentialState(rawValue: state)) {
                case (.some, .active) where version == newest && until == nil: .active
                case (.checksumKey, .previous) where version == newest - 1 && (until ?? .max) <= min(newestCreatedAt, upgradedAt) + grace:
                    .previous
                default: nil
                }
            if let plausible, let kind = CredentialKind(rawValue: kindName) {
                let tag = CredentialEnvelope.stateTag(owner: owner, kind: kind, version: version, state: plausible, usableUntil: until, stateKey: stateKey)
                try await connection.execute("UPDATE vault_credential SET state_mac = \(tag) WHERE id = \(id) AND state_mac IS NULL")
                tagged.append("\(kindName):\(version)")
            } else {
                try await connection.execute(
                    "UPDATE vault_credential SET state = 'destroyed', sealed = NULL, state_mac = NULL, destroyed_at = \(now) WHERE id = \(id)")
                destroyed.append("\(kindName):\(version)")
            }
        }
        var detail: AuditDetail = ["tagged": .strings(tagged.sorted()), "upgraded_at": .integer(upgradedAt)]
        if !destroyed.isEmpty { detail.fields["destroyed_unverified"] = .strings(destroyed.sorted()) }
        try await auditLog.append(AuditEntry(audit, ownerID: owner, action: AuditAction.stateTagsBackfill, detail: detail), on: connection)
        return (tagged.count, destroyed.count)
    }
}
