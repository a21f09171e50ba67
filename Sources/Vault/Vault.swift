// Copyright (c) the Gatehouse authors
public import Logging
public import Sodium
public import Storage
import Synchronization
public import GatehouseCore

/// Per-owner payOS credentials, sealed with envelope encryption and unsealed only for the duration
/// of a call, with every unseal recorded in the audit log.
///
/// ```swift
/// let keys = try MasterKeyRing(configuration: environment["GATEHOUSE_MASTER_KEYS"]!)
/// let vault = Vault(database: database, masterKeys: keys)
/// try await vault.storeCredentials(owner: 7, clientID: id, apiKey: key, checksumKey: checksum,
///                                  audit: AuditContext(actor: "admin:alice"), logger: logger)
/// let link = try await vault.withCredentials(owner: 7, purpose: "payment.create",
///                                            audit: AuditContext(actor: "owner:7", requestID: rid),
///                                            logger: logger) { credentials in
///     try await payOS.createPaymentLink(request, credentials: credentials)
/// }
/// ```
///
/// Storage layout (see ``CredentialEnvelope`` for the cryptography): `vault_data_key` holds one
/// wrapped data key per owner; `vault_credential` holds one row per (owner, kind, version) with
/// state `active`, `previous` (a checksum key in its grace window) or `destroyed` (sealed blob
/// removed), each live row carrying a state tag (``CredentialEnvelope/stateTag(owner:kind:version:state:usableUntil:stateKey:)``)
/// that binds its state and usable-until instant to the owner's data key; `vault_rotation` records master key rotation runs; `audit_log` receives a row for
/// every unseal, store, destruction and master key operation.
///
/// A `Sendable` class with no mutable state except the key ring (behind a lock, changed only by
/// ``retire(kekVersion:audit:logger:)``): concurrency is the database's job, and every multi-row
/// change is one transaction.
public final class Vault: Sendable {
    /// Tunables.
    public struct Configuration: Sendable, Hashable {
        /// How long a replaced checksum key still verifies webhooks. payOS may deliver webhooks
        /// signed with the old key for a while after a merchant rotates it. Default 24 hours.
        public var checksumKeyGrace: Duration

        public init(checksumKeyGrace: Duration = .seconds(24 * 3600)) {
            self.checksumKeyGrace = checksumKeyGrace
        }
    }

    /// Actions this type writes to the audit log.
    public enum AuditAction {
        public static let unseal = "vault.unseal"
        public static let unsealFailed = "vault.unseal_failed"
        public static let store = "vault.credentials.store"
        public static let rotate = "vault.credentials.rotate"
        public static let destroy = "vault.credentials.destroy"
        /// Rows from before state tags existed, tagged or destroyed at the first start after the upgrade.
        public static let stateTagsBackfill = "vault.credentials.state_authenticated"
        public static let rotationStart = "vault.kek.rotation_start"
        public static let rewrap = "vault.kek.rewrap"
        public static let rotationFinish = "vault.kek.rotation_finish"
        public static let retire = "vault.kek.retire"
    }

    /// The largest credential accepted, in bytes (payOS keys are UUIDs and 64-character hex strings).
    public static let maximumCredentialLength = 1024

    let database: any SQLDatabase
    let clock: WallClock
    let ring: Mutex<MasterKeyRing>
    /// The tunables this vault was created with.
    public let configuration: Configuration
    /// The audit log the vault appends to (same clock).
    public let auditLog: AuditLog

    // MARK: Initialization

    /// - Parameters:
    ///   - database: a migrated database (schema v1).
    ///   - masterKeys: the master key ring.
    ///   - clock: wall-clock time for timestamps and grace windows.
    ///   - configuration: tunables.
    public init(database: any SQLDatabase, masterKeys: MasterKeyRing, clock: WallClock = .system, configuration: Configuration = .init()) {
        self.database = database
        self.clock = clock
        self.ring = Mutex(masterKeys)
        self.configuration = configuration
        self.auditLog = AuditLog(clock: clock)
    }

    /// Where this process learns that owners' cached keys must be dropped (shared by everything on `database`).
    public var keyInvalidations: KeyInvalidations { KeyInvalidations.shared(for: database) }

    /// Delivers this owner's invalidations of the last `withinMillis` that this process may not have polled yet
    /// (``KeyInvalidations/catchUp(owner:withinMillis:now:database:logger:)``): a read, never a write.
    public func catchUpKeyInvalidations(owner: Int64, withinMillis: Int64 = 10_000, logger: Logger) async throws {
        try await keyInvalidations.catchUp(owner: owner, withinMillis: withinMillis, now: clock.now(), database: database, logger: logger)
    }

    /// The current key ring.
    public var masterKeys: MasterKeyRing { ring.withLock { $0 } }

    // MARK: Storing

    /// Stores a new credential set for `owner` and makes it the active one, in one transaction.
    ///
    /// - Creates the owner's data key on first use (wrapped by the active master key).
    /// - Writes the three credentials as version `n + 1`, state `active`.
    /// - Demotes the previous active checksum key to `previous`, usable for webhook verification
    ///   until now + ``Configuration/checksumKeyGrace``; an older `previous` key is destroyed.
    /// - Destroys the previous client id and API key (sealed blob set to NULL): calls to payOS
    ///   only ever use the newest pair.
    /// - Appends `vault.credentials.store` (first set) or `vault.credentials.rotate` to the audit log.
    ///
    /// - Returns: the new state, as shown to people (no secrets).
    /// - Throws: ``VaultError/Code/invalidInput`` for an empty or over-long credential,
    ///   ``VaultError/Code/unknownOwner`` when the database has no such owner,
    ///   ``VaultError/Code/sealBroken`` / ``VaultError/Code/unknownKEKVersion`` when the existing
    ///   data key cannot be unwrapped, ``VaultError/Code/concurrentChange`` when another call
    ///   created the owner's data key at the same moment (retry).
    @discardableResult
    public func storeCredentials(
        owner: Int64,
        clientID: SecureBytes,
        apiKey: SecureBytes,
        checksumKey: SecureBytes,
        audit: AuditContext,
        logger: Logger
    ) async throws -> CredentialInfo {
        for (kind, secret) in [(CredentialKind.clientID, clientID), (.apiKey, apiKey), (.checksumKey, checksumKey)] {
            guard (1...Self.maximumCredentialLength).contains(secret.count) else {
                throw VaultError.invalidInput("\(kind.rawValue) must be 1 to \(Self.maximumCredentialLength) bytes")
            }
        }
        try AuditLog.validate(actor: audit.actor, action: AuditAction.store, requestID: audit.requestID)
        let ring = masterKeys
        let now = clock.now()
        let graceEnd = now + Self.milliseconds(configuration.checksumKeyGrace)
        let hint = Self.hint(of: clientID)
        let logger = Self.logger(logger, owner: owner)
        do {
            let (info, invalidation) = try await database.withTransaction(logger: logger) { connection in
                let dataKey = try await self.lockedDataKey(owner: owner, ring: ring, now: now, on: connection)
                let latest = try await connection.query("SELECT MAX(version) AS v FROM vault_credential WHERE owner_id = \(owner)")
                let version = (try latest.first?.decodeIfPresent("v", as: Int.self) ?? 0) + 1

                let stateKey = CredentialEnvelope.stateKey(dataKey: dataKey.key)
                defer { stateKey.wipe() }
                var destroyed: [String] = []
                var unverified: [String] = []
                var demoted: Int? = nil
                let live = try await connection.query(
                    """
                    SELECT id, kind, version, state, usable_until, state_mac FROM vault_credential
                    WHERE owner_id = \(owner) AND state <> 'destroyed'
                    """
                )
                for row in live {
                    let id: Int64 = try row.decode("id")
                    let kind: String = try row.decode("kind")
                    let rowVersion: Int = try row.decode("version")
                    // Only a row whose state verifies may be demoted (and so stay usable); anything else is destroyed.
                    let state = try Self.verifiedState(row, owner: owner, stateKey: stateKey)
                    if kind == CredentialKind.checksumKey.rawValue && state == .active {
                        let tag = CredentialEnvelope.stateTag(
                            owner: owner, kind: .checksumKey, version: rowVersion, state: .previous, usableUntil: graceEnd, stateKey: stateKey)
                        try await connection.execute(
                            "UPDATE vault_credential SET state = 'previous', usable_until = \(graceEnd), state_mac = \(tag) WHERE id = \(id)"
                        )
                        demoted = rowVersion
                    } else {
                        try await connection.execute(
                            """
                            UPDATE vault_credential SET state = 'destroyed', sealed = NULL, state_mac = NULL, destroyed_at = \(now)
                            WHERE id = \(id)
                            """
                        )
                        destroyed.append("\(kind):\(rowVersion)")
                        if state == nil { unverified.append("\(kind):\(rowVersion)") }
                    }
                }
                for (kind, secret) in [(CredentialKind.clientID, clientID), (.apiKey, apiKey), (.checksumKey, checksumKey)] {
                    let sealed = CredentialEnvelope.seal(secret, owner: owner, kind: kind, version: version, dataKey: dataKey.key)
                    let tag = CredentialEnvelope.stateTag(owner: owner, kind: kind, version: version, state: .active, usableUntil: nil, stateKey: stateKey)
                    try await connection.execute(
                        """
                        INSERT INTO vault_credential (owner_id, kind, version, state, sealed, hint, created_at, usable_until, destroyed_at, state_mac)
                        VALUES (\(owner), \(kind.rawValue), \(version), 'active', \(sealed), \((kind == .clientID ? hint : nil).sqlValue),
                                \(now), \(nil as Int64?), \(nil as Int64?), \(tag))
                        """
                    )
                }
                var detail: AuditDetail = [
                    "version": .int(version),
                    "kinds": .strings(CredentialKind.allCases.map(\.rawValue).sorted()),
                    "kek_version": .int(dataKey.kekVersion),
                    "data_key_created": .bool(dataKey.created),
                ]
                if !destroyed.isEmpty { detail.fields["destroyed"] = .strings(destroyed.sorted()) }
                if !unverified.isEmpty {
                    detail.fields["destroyed_unverified"] = .strings(unverified.sorted())
                    logger.warning("vault credential rows whose state did not verify were destroyed", metadata: ["vault.rows": "\(unverified.count)"])
                }
                if let demoted {
                    detail.fields["previous_checksum_version"] = .int(demoted)
                    detail.fields["previous_usable_until"] = .integer(graceEnd)
                }
                try await self.auditLog.append(
                    AuditEntry(audit, ownerID: owner, action: version == 1 ? AuditAction.store : AuditAction.rotate, detail: detail), on: connection
                )
                // Cached copies of the replaced keys are dropped everywhere (this row commits with the new keys).
                let invalidation = try await KeyInvalidations.record(
                    owner: owner, reason: KeyInvalidations.Reason.credentialsStored, at: now, on: connection)
                return (CredentialInfo(
                    ownerID: owner, activeVersion: version, clientIDHint: hint, rotatedAt: now, kekVersion: dataKey.kekVersion,
                    previousChecksumKey: demoted.map { .init(version: $0, usableUntil: graceEnd) }
                ), invalidation)
            }
            keyInvalidations.deliver([invalidation])
            logger.info("vault credentials stored", metadata: ["vault.version": "\(info.activeVersion)", "vault.kek_version": "\(info.kekVersion)"])
            return info
        } catch let error as StorageError where error.code == .constraint {
            throw VaultError(code: .unknownOwner, detail: "the database refused credentials for owner \(owner)")
        } catch let error as StorageError where error.code == .duplicate {
            throw VaultError(code: .concurrentChange, detail: "credentials of owner \(owner) changed concurrently")
        }
    }

    /// Stores a credential set given as strings (form fields, JSON), copying each into guarded
    /// memory first; otherwise identical to the `SecureBytes` variant.
    @discardableResult
    public func storeCredentials(
        owner: Int64,
        clientID: String,
        apiKey: String,
        checksumKey: String,
        audit: AuditContext,
        logger: Logger
    ) async throws -> CredentialInfo {
        try await storeCredentials(
            owner: owner, clientID: SecureBytes(utf8: clientID), apiKey: SecureBytes(utf8: apiKey),
            checksumKey: SecureBytes(utf8: checksumKey), audit: audit, logger: logger
        )
    }

    // MARK: Unsealing

    /// Unseals the owner's active credential set for the duration of `body`, then wipes it.
    ///
    /// Appends `vault.unseal` (kinds, purpose, versions; never the secret) to the audit log and
    /// commits it *before* `body` runs, so no plaintext is handed out unrecorded; a failed attempt
    /// (tampered row, wrong master key) is recorded as `vault.unseal_failed`. `body` runs outside
    /// any transaction and holds no database connection, so it may call payOS.
    ///
    /// - Parameters:
    ///   - purpose: why (e.g. `payment.create`), 1…64 bytes, recorded in the audit row.
    /// - Throws: ``VaultError/Code/noCredentials``, ``VaultError/Code/sealBroken``,
    ///   ``VaultError/Code/unknownKEKVersion``, errors from `body`.
    public func withCredentials<Value>(
        owner: Int64,
        purpose: String,
        audit: AuditContext,
        logger: Logger,
        isolation: isolated (any Actor)? = #isolation,
        _ body: (UnsealedCredentials) async throws -> Value
    ) async throws -> Value {
        let keys = try await unseal(owner: owner, scope: .credentials, purpose: purpose, audit: audit, logger: logger)
        defer { keys.wipe() }
        guard let credentials = keys.credentials else { throw VaultError(code: .noCredentials, detail: "owner \(owner) has no active credentials") }
        return try await body(credentials)
    }

    /// The checksum keys that may verify a webhook for `owner`: the active one first, then the
    /// previous one while it is within its grace window. Unsealed for the duration of `body` only,
    /// and audited like ``withCredentials(owner:purpose:audit:logger:isolation:_:)``.
    public func webhookVerificationKeys<Value>(
        owner: Int64,
        purpose: String = "webhook.verify",
        audit: AuditContext,
        logger: Logger,
        isolation: isolated (any Actor)? = #isolation,
        _ body: ([WebhookVerificationKey]) async throws -> Value
    ) async throws -> Value {
        let keys = try await unseal(owner: owner, scope: .verification, purpose: purpose, audit: audit, logger: logger)
        defer { keys.wipe() }
        return try await body(keys.verification)
    }

    /// The owner's active credential set and its webhook verification keys from ONE unseal (one audit row), for the
    /// duration of `body`, then wiped: what a key cache fills both halves of an owner's entry from, so an owner's first
    /// payOS call and its first webhook do not each cost an audited unseal.
    public func withCredentialsAndVerificationKeys<Value>(
        owner: Int64,
        purpose: String,
        audit: AuditContext,
        logger: Logger,
        isolation: isolated (any Actor)? = #isolation,
        _ body: (UnsealedCredentials, [WebhookVerificationKey]) async throws -> Value
    ) async throws -> Value {
        let keys = try await unseal(owner: owner, scope: [.credentials, .verification], purpose: purpose, audit: audit, logger: logger)
        defer { keys.wipe() }
        guard let credentials = keys.credentials else { throw VaultError(code: .noCredentials, detail: "owner \(owner) has no active credentials") }
        return try await body(credentials, keys.verification)
    }

    /// What one unseal opens: the active set, the checksum keys that may verify a webhook, or both.
    struct UnsealScope: OptionSet {
        let rawValue: Int
        /// The active set (client id, API key, checksum key).
        static let credentials = UnsealScope(rawValue: 1)
        /// The active checksum key and, within its grace window, the previous one.
        static let verification = UnsealScope(rawValue: 2)
    }

    /// What one unseal opened; the caller wipes it.
    struct UnsealedKeys {
        var credentials: UnsealedCredentials?
        /// Active first.
        var verification: [WebhookVerificationKey]

        func wipe() {
            credentials?.wipe()
            verification.forEach { $0.key.wipe() }
        }
    }

    /// Unseals what `scope` asks for, with one audit row. The caller must wipe it.
    ///
    /// Every row used must carry a state tag that verifies; the active version must be the owner's newest and the
    /// previous checksum key the version just before it: a row set back to `active` or `previous` by a database writer
    /// fails (``VaultError/Code/stateTampered``, audited as a failed unseal) — verifying with a key a database writer
    /// revived is worse than refusing webhooks until an operator stores the credentials again (payOS retries them).
    func unseal(owner: Int64, scope: UnsealScope, purpose: String, audit: AuditContext, logger: Logger) async throws -> UnsealedKeys {
        try Self.validate(purpose: purpose, audit: audit)
        let logger = Self.logger(logger, owner: owner)
        let now = clock.now()
        let fetched = try await database.query(
            """
            SELECT c.kind, c.version, c.state, c.sealed, c.usable_until, c.state_mac, d.kek_version, d.wrapped_dek,
                   (SELECT MAX(v.version) FROM vault_credential v WHERE v.owner_id = c.owner_id) AS newest
            FROM vault_credential c JOIN vault_data_key d ON d.owner_id = c.owner_id
            WHERE c.owner_id = \(owner) AND c.state IN ('active', 'previous')
            """,
            logger: logger
        )
        // The rows this unseal uses (their tags are all checked): the active set's, the checksum keys', or both.
        var rows: [SQLRow] = []
        var active: [CredentialKind: (version: Int, blob: [UInt8])] = [:]
        var duplicated = false
        var activeRows = 0
        var candidates: [(version: Int, active: Bool, until: Int64?, blob: [UInt8])] = []
        var activeChecksumVersions: [Int] = [], previousChecksumVersions: [Int] = []
        for row in fetched {
            let state: String = try row.decode("state")
            let kind = CredentialKind(rawValue: try row.decode("kind"))
            let forCredentials = scope.contains(.credentials) && state == "active"
            let forVerification = scope.contains(.verification) && kind == .checksumKey
            guard forCredentials || forVerification else { continue }
            rows.append(row)
            let version: Int = try row.decode("version")
            if forCredentials { activeRows += 1 }
            if forCredentials, let kind {
                duplicated = duplicated || active[kind] != nil
                active[kind] = (version, try row.decode("sealed"))
            }
            if forVerification {
                if state == "active" { activeChecksumVersions.append(version) } else { previousChecksumVersions.append(version) }
                let until: Int64? = try row.decodeIfPresent("usable_until")
                guard let blob: [UInt8] = try row.decodeIfPresent("sealed") else { continue }
                if state == "previous", (until ?? .min) <= now { continue }  // past its grace window, even if not destroyed yet
                candidates.append((version, state == "active", until, blob))
            }
        }
        guard let first = rows.first, !scope.contains(.credentials) || activeRows > 0 else {
            throw VaultError(code: .noCredentials, detail: "owner \(owner) has no active credentials")
        }
        if scope.contains(.verification), !candidates.contains(where: \.active) {
            throw VaultError(code: .noCredentials, detail: "owner \(owner) has no active checksum key")
        }
        candidates.sort { ($0.active ? 1 : 0, $0.version) > ($1.active ? 1 : 0, $1.version) }
        let kekVersion: Int = try first.decode("kek_version")
        let newest: Int = try first.decode("newest")
        var detail: AuditDetail = scope.contains(.credentials)
            ? ["kinds": .strings(CredentialKind.allCases.map(\.rawValue).sorted()), "version": .int(newest)]
            : ["kinds": ["checksum_key"]]
        if scope.contains(.verification) { detail.fields["versions"] = .strings(candidates.map { String($0.version) }) }
        return try await auditedUnseal(owner: owner, purpose: purpose, kekVersion: kekVersion, audit: audit, logger: logger, detail: detail) {
            let dataKey = try CredentialEnvelope.unwrapDataKey(
                try first.decode("wrapped_dek"), owner: owner, kekVersion: kekVersion, kek: masterKeys.key(version: kekVersion)
            )
            let stateKey = CredentialEnvelope.stateKey(dataKey: dataKey)
            defer { stateKey.wipe() }
            // Tags first: a set made incomplete or mixed by rows moved between states is tampering, not "no credentials".
            for row in rows { try Self.requireState(row, owner: owner, stateKey: stateKey) }
            var opened = UnsealedKeys(credentials: nil, verification: [])
            if scope.contains(.credentials) {
                guard !duplicated, let client = active[.clientID], let api = active[.apiKey], let checksum = active[.checksumKey],
                    client.version == newest, api.version == newest, checksum.version == newest
                else {
                    throw VaultError(code: .stateTampered, detail: "owner \(owner) has no single active set of the newest version")
                }
                opened.credentials = UnsealedCredentials(
                    ownerID: owner, version: client.version,
                    clientID: try CredentialEnvelope.open(client.blob, owner: owner, kind: .clientID, version: client.version, dataKey: dataKey),
                    apiKey: try CredentialEnvelope.open(api.blob, owner: owner, kind: .apiKey, version: api.version, dataKey: dataKey),
                    checksumKey: try CredentialEnvelope.open(checksum.blob, owner: owner, kind: .checksumKey, version: checksum.version, dataKey: dataKey)
                )
            }
            if scope.contains(.verification) {
                guard activeChecksumVersions == [newest], previousChecksumVersions.allSatisfy({ $0 == newest - 1 }),
                    previousChecksumVersions.count <= 1
                else {
                    throw VaultError(code: .stateTampered, detail: "owner \(owner) has checksum key rows in states the vault never leaves them in")
                }
                opened.verification = try candidates.map { candidate throws(VaultError) in
                    WebhookVerificationKey(
                        version: candidate.version, isActive: candidate.active, usableUntil: candidate.active ? nil : candidate.until,
                        key: try CredentialEnvelope.open(candidate.blob, owner: owner, kind: .checksumKey, version: candidate.version, dataKey: dataKey)
                    )
                }
            }
            return opened
        }
    }

    /// Opens sealed material and audits the outcome, alike for every kind of unseal: an `unseal` row (the
    /// purpose, the master key version and `detail`) when `open` succeeds; when it throws, a failed-unseal row
    /// in a transaction of its own, then the original error.
    private func auditedUnseal<Opened>(
        owner: Int64, purpose: String, kekVersion: Int, audit: AuditContext, logger: Logger, detail: AuditDetail,
        _ open: () throws -> Opened
    ) async throws -> Opened {
        let opened: Opened
        do {
            opened = try open()
        } catch {
            try await recordFailedUnseal(owner: owner, purpose: purpose, kekVersion: kekVersion, error: error, audit: audit, logger: logger)
            throw error
        }
        var detail = detail
        detail.fields["purpose"] = .string(purpose)
        detail.fields["kek_version"] = .int(kekVersion)
        try await auditLog.append(
            AuditEntry(audit, ownerID: owner, action: AuditAction.unseal, detail: detail), database: database, logger: logger
        )
        return opened
    }

    /// Records a failed unseal (its own transaction), then lets the caller rethrow the original error.
    private func recordFailedUnseal(owner: Int64, purpose: String, kekVersion: Int, error: any Error, audit: AuditContext, logger: Logger) async throws {
        let code = (error as? VaultError)?.code.description ?? "unknown"
        logger.warning("vault unseal failed", metadata: ["vault.error": "\(code)", "vault.kek_version": "\(kekVersion)"])
        try await auditLog.append(
            AuditEntry(audit, ownerID: owner, action: AuditAction.unsealFailed,
                detail: ["purpose": .string(purpose), "kek_version": .int(kekVersion), "error": .string(code)]),
            database: database, logger: logger
        )
    }

    // MARK: Grace windows

    /// Destroys every previous checksum key whose grace window ended at or before `now` (default:
    /// the clock's time). Meant for a periodic job.
    /// - Returns: how many keys were destroyed.
    @discardableResult
    public func destroyExpiredPreviousKeys(now: Int64? = nil, audit: AuditContext, logger: Logger) async throws -> Int {
        let cutoff = now ?? clock.now()
        return try await destroyPreviousKeys(owner: nil, expiredBy: cutoff, reason: "grace_expired", audit: audit, logger: logger)
    }

    /// Ends the grace window of `owner`'s previous checksum key now (for example after a leak), so
    /// webhooks signed with it are refused from this moment.
    /// - Returns: how many keys were destroyed (0 or 1).
    @discardableResult
    public func expirePreviousKeys(owner: Int64, audit: AuditContext, logger: Logger) async throws -> Int {
        try await destroyPreviousKeys(owner: owner, expiredBy: nil, reason: "forced", audit: audit, logger: logger)
    }

    private func destroyPreviousKeys(owner: Int64?, expiredBy cutoff: Int64?, reason: String, audit: AuditContext, logger: Logger) async throws -> Int {
        try AuditLog.validate(actor: audit.actor, action: AuditAction.destroy, requestID: audit.requestID)
        let batch = 500
        var total = 0
        while true {
            let now = clock.now()
            let (count, invalidations) = try await database.withTransaction(logger: logger) { connection in
                var invalidations: [KeyInvalidations.Event] = []
                var query: SQLQuery = "SELECT id, owner_id, kind, version FROM vault_credential WHERE state = 'previous'"
                if let owner { query = query + " AND owner_id = \(owner)" }
                if let cutoff { query = query + " AND usable_until <= \(cutoff)" }
                query = query + " ORDER BY id LIMIT \(unescaped: String(batch))\(unescaped: connection.dialect.forUpdate)"
                let rows = try await connection.query(query)
                for row in rows {
                    let id: Int64 = try row.decode("id")
                    let kind: String = try row.decode("kind")
                    let version: Int = try row.decode("version")
                    try await connection.execute(
                        "UPDATE vault_credential SET state = 'destroyed', sealed = NULL, state_mac = NULL, destroyed_at = \(now) WHERE id = \(id)"
                    )
                    try await self.auditLog.append(
                        AuditEntry(audit, ownerID: try row.decode("owner_id"), action: AuditAction.destroy,
                            detail: ["kind": .string(kind), "version": .int(version), "reason": .string(reason)]),
                        on: connection
                    )
                    // The key stops verifying on every instance, not only where the grace check runs.
                    invalidations.append(try await KeyInvalidations.record(
                        owner: try row.decode("owner_id"), reason: KeyInvalidations.Reason.graceEnded, at: now, on: connection))
                }
                return (rows.count, invalidations)
            }
            keyInvalidations.deliver(invalidations)
            total += count
            if count < batch { break }
        }
        if total > 0 { logger.info("vault previous keys destroyed", metadata: ["vault.destroyed": "\(total)", "vault.reason": "\(reason)"]) }
        return total
    }

    // MARK: Information

    /// What may be shown about `owner`'s credentials (hint, versions, times), or `nil` when none are
    /// stored. Reads no secret and writes no audit row.
    public func credentialInfo(owner: Int64, logger: Logger) async throws -> CredentialInfo? {
        let now = clock.now()
        let rows = try await database.query(
            """
            SELECT c.kind, c.version, c.state, c.hint, c.created_at, c.usable_until, d.kek_version
            FROM vault_credential c JOIN vault_data_key d ON d.owner_id = c.owner_id
            WHERE c.owner_id = \(owner) AND c.state IN ('active', 'previous')
            """,
            logger: logger
        )
        var info: CredentialInfo? = nil
        var previous: CredentialInfo.PreviousKey? = nil
        for row in rows {
            let state: String = try row.decode("state")
            let kind: String = try row.decode("kind")
            if state == "active" {
                if info == nil {
                    info = CredentialInfo(
                        ownerID: owner, activeVersion: try row.decode("version"), clientIDHint: nil,
                        rotatedAt: try row.decode("created_at"), kekVersion: try row.decode("kek_version"), previousChecksumKey: nil
                    )
                }
                if kind == CredentialKind.clientID.rawValue { info?.clientIDHint = try row.decodeIfPresent("hint") }
            } else if kind == CredentialKind.checksumKey.rawValue, let until: Int64 = try row.decodeIfPresent("usable_until"), until > now {
                previous = .init(version: try row.decode("version"), usableUntil: until)
            }
        }
        info?.previousChecksumKey = previous
        return info
    }

    // MARK: Helpers

    /// An unwrapped data key and how it is stored.
    struct DataKey: Sendable {
        var key: SecureBytes
        var kekVersion: Int
        var created: Bool
    }

    /// Reads and locks the owner's data key row, creating the key when the owner has none yet.
    /// Locking it serialises concurrent stores for one owner (and a rotation batch touching it).
    private func lockedDataKey(owner: Int64, ring: MasterKeyRing, now: Int64, on connection: any SQLConnection) async throws -> DataKey {
        let select: SQLQuery = "SELECT kek_version, wrapped_dek FROM vault_data_key WHERE owner_id = \(owner)\(unescaped: connection.dialect.forUpdate)"
        if let row = try await connection.query(select).first {
            let kekVersion: Int = try row.decode("kek_version")
            let key = try CredentialEnvelope.unwrapDataKey(try row.decode("wrapped_dek"), owner: owner, kekVersion: kekVersion, kek: ring.key(version: kekVersion))
            return DataKey(key: key, kekVersion: kekVersion, created: false)
        }
        let key = CredentialEnvelope.generateDataKey()
        let wrapped = CredentialEnvelope.wrapDataKey(key, owner: owner, kekVersion: ring.activeVersion, kek: ring.activeKey)
        try await connection.execute(
            """
            INSERT INTO vault_data_key (owner_id, kek_version, wrapped_dek, created_at, rewrapped_at)
            VALUES (\(owner), \(ring.activeVersion), \(wrapped), \(now), \(nil as Int64?))
            """
        )
        return DataKey(key: key, kekVersion: ring.activeVersion, created: true)
    }

    /// The row's state when its tag verifies (`state`, `usable_until`, `state_mac`, `kind`, `version` columns), else `nil`.
    static func verifiedState(_ row: SQLRow, owner: Int64, stateKey: SecureBytes) throws -> CredentialState? {
        do {
            return try requireState(row, owner: owner, stateKey: stateKey)
        } catch let error as VaultError where error.code == .stateTampered {
            return nil
        }
    }

    /// The row's state, checked against its tag.
    /// - Throws: ``VaultError/Code/stateTampered`` for an unknown kind or state, a missing tag or one that does not verify.
    @discardableResult
    static func requireState(_ row: SQLRow, owner: Int64, stateKey: SecureBytes) throws -> CredentialState {
        let version: Int = try row.decode("version")
        guard let kind = CredentialKind(rawValue: try row.decode("kind")), let state = CredentialState(rawValue: try row.decode("state")) else {
            throw VaultError(code: .stateTampered, detail: "a credential row of owner \(owner) (version \(version)) has an unknown kind or state")
        }
        try CredentialEnvelope.verifyState(
            try row.decodeIfPresent("state_mac"), owner: owner, kind: kind, version: version, state: state,
            usableUntil: try row.decodeIfPresent("usable_until"), stateKey: stateKey)
        return state
    }

    static func validate(purpose: String, audit: AuditContext) throws(VaultError) {
        guard (1...64).contains(purpose.utf8.count) else { throw .invalidInput("purpose must be 1 to 64 bytes") }
        try AuditLog.validate(actor: audit.actor, action: AuditAction.unseal, requestID: audit.requestID)
    }

    /// The last four characters of a client id, when they are printable ASCII.
    static func hint(of clientID: SecureBytes) -> String? {
        clientID.withUnsafeBytes { bytes in
            guard bytes.count >= 8 else { return nil }  // too short to reveal a suffix safely
            let tail = bytes.suffix(4)
            guard tail.allSatisfy({ $0 >= 0x21 && $0 <= 0x7E }) else { return nil }
            return String(decoding: tail, as: UTF8.self)
        }
    }

    static func milliseconds(_ duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        return seconds * 1000 + attoseconds / 1_000_000_000_000_000
    }

    static func logger(_ logger: Logger, owner: Int64) -> Logger {
        var logger = logger
        logger[metadataKey: "owner.id"] = "\(owner)"
        return logger
    }
}
