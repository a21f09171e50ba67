// Copyright (c) the Gatehouse authors
public import Logging
public import Storage
public import Vault
public import GatehouseCore
public import Tenancy

/// An owner as admins see it: the row, plus what is stored of its payOS credentials (a hint, never a key).
public struct AdminOwnerView: Sendable, Hashable {
    public let owner: Owner
    /// `nil` until the owner has stored payOS credentials.
    public let credentials: CredentialInfo?
}

/// The admin side of owners: every change is made together with its audit row, in one transaction, so the log
/// never misses an action that happened nor records one that did not.
public struct AdminOwnerService: Sendable {
    /// Audit actions written by this service (dotted, low-cardinality).
    public enum AuditAction {
        public static let create = "admin.owner.create"
        public static let suspend = "admin.owner.suspend"
        public static let reactivate = "admin.owner.reactivate"
        public static let rotateAPIKeys = "admin.owner.rotate_api_keys"
    }

    let database: any SQLDatabase
    let owners: OwnerRepository
    let apiKeys: APIKeyRepository
    let credentials: OwnerCredentialsService
    let auditLog: AuditLog
    let clock: WallClock

    public init(
        database: any SQLDatabase, owners: OwnerRepository, apiKeys: APIKeyRepository, credentials: OwnerCredentialsService,
        clock: WallClock = .system
    ) {
        self.database = database
        self.owners = owners
        self.apiKeys = apiKeys
        self.credentials = credentials
        self.auditLog = AuditLog(clock: clock)
        self.clock = clock
    }

    /// Creates an owner and its first API key (returned once), audited, all or nothing.
    /// - Throws: ``TenancyError/Code/validation`` for a bad name or e-mail.
    public func create(name: String, email: String, audit: AuditContext, logger: Logger) async throws -> (Owner, IssuedCredential) {
        try await database.withTransaction(logger: logger) { connection in
            let owner = try await owners.create(name: name, email: email, on: connection)
            let key = try await apiKeys.issue(owner: owner.id, name: "first key", on: connection)
            try await auditLog.append(
                AuditEntry(audit, ownerID: owner.id.rawValue, action: AuditAction.create, detail: ["api_key_prefix": .string(key.prefix)]),
                on: connection)
            return (owner, key)
        }
    }

    /// Every owner with its credential hint, oldest first.
    public func list(logger: Logger) async throws -> [AdminOwnerView] {
        var views: [AdminOwnerView] = []
        for owner in try await owners.list(logger: logger) {
            views.append(AdminOwnerView(owner: owner, credentials: try await credentials.info(owner: owner.id, logger: logger)))
        }
        return views
    }

    /// One owner, or `nil`.
    public func get(_ id: OwnerID, logger: Logger) async throws -> AdminOwnerView? {
        guard let owner = try await owners.get(id, logger: logger) else { return nil }
        return AdminOwnerView(owner: owner, credentials: try await credentials.info(owner: id, logger: logger))
    }

    /// Suspends or reactivates an owner (a suspended owner's API calls are refused; its webhooks are still recorded).
    /// Setting the status it already has changes nothing and writes no audit row.
    /// - Returns: the owner after the change.
    /// - Throws: ``TenancyError/Code/notFound`` when there is no such owner.
    public func setStatus(_ id: OwnerID, _ status: Owner.Status, audit: AuditContext, logger: Logger) async throws -> Owner {
        let (owner, invalidation) = try await database.withTransaction(logger: logger) { connection -> (Owner, KeyInvalidations.Event?) in
            let rows = try await connection.query(
                "SELECT \(unescaped: OwnerRepository.columns) FROM owner WHERE id = \(id)\(unescaped: connection.dialect.forUpdate)")
            guard var owner = try rows.first.map(OwnerRepository.decode) else { throw TenancyError.notFound("owner") }
            guard owner.status != status else { return (owner, nil) }
            let now = clock.now()
            try await connection.execute("UPDATE owner SET status = \(status.rawValue), updated_at = \(now) WHERE id = \(id)")
            try await auditLog.append(
                AuditEntry(audit, ownerID: id.rawValue, action: status == .suspended ? AuditAction.suspend : AuditAction.reactivate,
                    detail: ["from": .string(owner.status.rawValue), "to": .string(status.rawValue)]),
                on: connection)
            // The owner's cached keys are dropped on every instance; the row commits with the status change.
            let invalidation = try await KeyInvalidations.record(owner: id.rawValue, reason: KeyInvalidations.Reason.ownerStatus, at: now, on: connection)
            owner.status = status
            owner.updatedAt = now
            return (owner, invalidation)
        }
        if let invalidation { KeyInvalidations.shared(for: database).deliver([invalidation]) }
        return owner
    }

    /// Issues a new API key for the owner and makes every current key expire at `oldKeysExpireAt` (Unix ms; the
    /// past or now means at once), so the owner has until then to switch.
    /// - Throws: ``TenancyError/Code/notFound`` when there is no such owner.
    public func rotateAPIKeys(
        _ id: OwnerID, oldKeysExpireAt: Int64, audit: AuditContext, logger: Logger
    ) async throws -> IssuedCredential {
        try await database.withTransaction(logger: logger) { connection in
            let rows = try await connection.query("SELECT id FROM owner WHERE id = \(id)\(unescaped: connection.dialect.forUpdate)")
            guard !rows.isEmpty else { throw TenancyError.notFound("owner") }
            let expiresAt = max(oldKeysExpireAt, 0)
            try await apiKeys.expireAll(owner: id, at: expiresAt, on: connection)
            let key = try await apiKeys.issue(owner: id, name: "rotated", on: connection)
            try await auditLog.append(
                AuditEntry(audit, ownerID: id.rawValue, action: AuditAction.rotateAPIKeys,
                    detail: ["new_prefix": .string(key.prefix), "old_keys_expire_at": .integer(expiresAt)]),
                on: connection)
            return key
        }
    }

    /// Appends an audit row for an admin action whose work is done elsewhere (e.g. a vault or outbox call).
    public func record(
        _ action: String, owner: OwnerID? = nil, detail: AuditDetail? = nil, audit: AuditContext, logger: Logger
    ) async throws {
        try await auditLog.append(
            AuditEntry(audit, ownerID: owner?.rawValue, action: action, detail: detail), database: database, logger: logger)
    }
}
