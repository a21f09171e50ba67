// Copyright (c) the Gatehouse authors
import Foundation
public import Logging
public import Notifications
public import Storage
public import Tenancy
public import Vault
public import GatehouseCore

/// Every admin operation, written once with its audit row: the JSON API (``AdminController``)
/// and the dashboard (``DashboardController``) only translate HTTP to these calls and their results back.
///
/// Each change is audited with the caller's ``AuditContext`` (actor `admin:<token prefix>`, the request id): owner
/// changes and limits in the same transaction as the change; vault changes by the vault itself (its own rows, same
/// actor) plus one `admin.vault.*` row naming the admin call. Refusals are ``TenancyError`` (`notFound`, `validation`,
/// `conflict`), mapped to HTTP by each caller.
public struct AdminOperations: Sendable {
    /// Audit actions written here (the owner service's own are ``AdminOwnerService/AuditAction``).
    public enum AuditAction {
        public static let rotateMasterKey = "admin.vault.rotate_master_key"
        public static let retireKEK = "admin.vault.retire_kek"
        public static let expirePreviousChecksumKey = "admin.owner.expire_previous_checksum_key"
        public static let resendNotification = "admin.notification.resend"
        public static let resolveRefund = AdminRefunds.resolvedAction
        public static let exportPayments = "admin.payments.export"
        public static let setRateLimit = "owner.rate_limit.set"
        public static let signIn = "admin.session.sign_in"
        public static let signOut = "admin.session.sign_out"
    }

    /// Old API keys stay valid this long after a rotation unless the admin says otherwise: time to deploy the new key.
    public static let defaultOldKeyGraceSeconds: Int64 = 24 * 3600

    let database: any SQLDatabase
    let owners: AdminOwnerService
    let vault: Vault
    let outbox: NotificationOutbox
    let auditQuery: AdminAuditQuery
    let limits: RateLimitRepository
    let limiter: TenantRateLimiter
    let auditLog: AuditLog
    let clock: WallClock

    public init(
        database: any SQLDatabase, owners: AdminOwnerService, vault: Vault, outbox: NotificationOutbox, audit: AdminAuditQuery,
        limits: RateLimitRepository, limiter: TenantRateLimiter, clock: WallClock = .system
    ) {
        self.database = database
        self.owners = owners
        self.vault = vault
        self.outbox = outbox
        self.auditQuery = audit
        self.limits = limits
        self.limiter = limiter
        self.auditLog = AuditLog(clock: clock)
        self.clock = clock
    }

    // MARK: Owners

    public func owners(logger: Logger) async throws -> [AdminOwnerView] {
        try await owners.list(logger: logger)
    }

    /// One owner, or `nil`.
    public func owner(_ id: OwnerID, logger: Logger) async throws -> AdminOwnerView? {
        try await owners.get(id, logger: logger)
    }

    /// The owner, or ``TenancyError/Code/notFound``.
    public func requireOwner(_ id: OwnerID, logger: Logger) async throws -> AdminOwnerView {
        guard let view = try await owners.get(id, logger: logger) else { throw TenancyError.notFound("owner") }
        return view
    }

    /// Creates an owner and its first API key (returned once).
    public func createOwner(name: String, email: String, audit: AuditContext, logger: Logger) async throws -> (Owner, IssuedCredential) {
        try await owners.create(name: name, email: email, audit: audit, logger: logger)
    }

    /// Suspends or reactivates an owner; setting the status it already has changes nothing and is not audited.
    public func setStatus(_ id: OwnerID, _ status: Owner.Status, audit: AuditContext, logger: Logger) async throws -> AdminOwnerView {
        let owner = try await owners.setStatus(id, status, audit: audit, logger: logger)
        return try await requireOwner(owner.id, logger: logger)
    }

    /// Issues a new API key; the owner's current keys expire after `oldKeysValidForSeconds` (0 = at once; default
    /// ``defaultOldKeyGraceSeconds``, at most 90 days).
    /// - Returns: the new key (shown once) and when the old keys expire (Unix ms).
    public func rotateAPIKeys(
        _ id: OwnerID, oldKeysValidForSeconds: Int64?, audit: AuditContext, logger: Logger
    ) async throws -> (key: IssuedCredential, oldKeysExpireAt: Int64) {
        let grace = oldKeysValidForSeconds ?? Self.defaultOldKeyGraceSeconds
        guard (0...(90 * 24 * 3600)).contains(grace) else {
            throw TenancyError.validation("old_keys_valid_for_seconds must be 0 to 7776000 (90 days)")
        }
        let expiresAt = clock.now() + grace * 1000
        let key = try await owners.rotateAPIKeys(id, oldKeysExpireAt: expiresAt, audit: audit, logger: logger)
        return (key, expiresAt)
    }

    /// Destroys the owner's previous payOS checksum keys still in their grace window.
    /// - Returns: how many were destroyed (0 when none was in its window).
    public func expirePreviousChecksumKey(_ id: OwnerID, audit: AuditContext, logger: Logger) async throws -> Int {
        _ = try await requireOwner(id, logger: logger)
        let destroyed = try await vault.expirePreviousKeys(owner: id.rawValue, audit: audit, logger: logger)
        try await owners.record(
            AuditAction.expirePreviousChecksumKey, owner: id, detail: ["destroyed": .int(destroyed)], audit: audit, logger: logger)
        return destroyed
    }

    // MARK: Rate limits

    /// What happens to the owner's cap on payOS calls when its request limit is set.
    public enum PayOSCapChange: Sendable, Hashable {
        /// Keep what is stored (the dashboard edits only the request limit).
        case keep
        /// Set it (`nil` requests per second = the configured default; `nil` burst = the requests per second).
        case set(requestsPerSecond: Int?, burst: Int?)
    }

    /// The owner's limits in force, refreshed from the stored row first (an answer right after a change on another
    /// instance is current).
    public func rateLimit(owner id: OwnerID, logger: Logger) async throws -> EffectiveRateLimit {
        _ = try await requireOwner(id, logger: logger)
        if let stored = try await limits.get(owner: id, logger: logger) { limiter.apply([stored]) }
        return limiter.effectiveLimit(owner: id)
    }

    /// The limit an admin set for the owner, or `nil` when the configured defaults apply.
    public func storedRateLimit(owner id: OwnerID, logger: Logger) async throws -> OwnerRateLimit? {
        try await limits.get(owner: id, logger: logger)
    }

    /// Sets the owner's request limit (and its payOS cap, per `payOS`), stored with its audit row in one transaction,
    /// applied on this instance at once and on every other within a second (``RateLimitReloader``).
    /// - Throws: ``TenancyError/Code/validation`` naming an out-of-range field; `notFound` for an unknown owner.
    @discardableResult
    public func setRateLimit(
        owner id: OwnerID, requestsPerSecond: Int, burst: Int, payOS: PayOSCapChange, audit: AuditContext, logger: Logger
    ) async throws -> OwnerRateLimit {
        _ = try await requireOwner(id, logger: logger)
        var wanted = OwnerRateLimit(ownerID: id, requestsPerSecond: requestsPerSecond, burst: burst)
        if case .set(let perSecond, let payOSBurst) = payOS {
            wanted.payOSRequestsPerSecond = perSecond
            wanted.payOSBurst = payOSBurst ?? perSecond
        }
        try wanted.validate()
        let stored = try await database.withTransaction(logger: logger) { [wanted] connection in
            var wanted = wanted
            if payOS == .keep {
                let current = try await connection.query(
                    "SELECT payos_per_second, payos_burst FROM owner_rate_limit WHERE owner_id = \(id)\(unescaped: connection.dialect.forUpdate)")
                if let row = current.first {
                    wanted.payOSRequestsPerSecond = try row.decodeIfPresent("payos_per_second")
                    wanted.payOSBurst = try row.decodeIfPresent("payos_burst")
                }
            }
            let stored = try await limits.set(wanted, on: connection)
            try await auditLog.append(
                AuditEntry(audit, ownerID: id.rawValue, action: AuditAction.setRateLimit, detail: [
                    "requests_per_second": .int(stored.requestsPerSecond), "burst": .int(stored.burst),
                    "payos_requests_per_second": .int(stored.payOSRequestsPerSecond), "payos_burst": .int(stored.payOSBurst),
                ]), on: connection)
            return stored
        }
        limiter.apply([stored])
        logger.info(
            "owner rate limit set",
            metadata: ["tenant.id": "\(id)", "rate_limit.rps": "\(stored.requestsPerSecond)", "rate_limit.burst": "\(stored.burst)"])
        return stored
    }

    /// The owner's limits in force on this instance, from memory.
    public func effectiveRateLimit(owner id: OwnerID) -> EffectiveRateLimit {
        limiter.effectiveLimit(owner: id)
    }

    /// Live gateway instances (each enforces its share of every limit).
    public var liveInstances: Int { limiter.instances }

    // MARK: Vault

    public func vaultStatus(logger: Logger) async throws -> KEKStatus {
        try await vault.status(logger: logger)
    }

    /// Re-wraps up to `batchSize` (1…10 000) owner keys under master key `to` (default: the newest).
    public func rotateMasterKey(to version: Int?, batchSize: Int, audit: AuditContext, logger: Logger) async throws -> RotationReport {
        guard (1...10_000).contains(batchSize) else { throw TenancyError.validation("batch_size must be 1 to 10000") }
        let report = try await vault.rotateMasterKey(to: version, batchSize: batchSize, audit: audit, logger: logger)
        try await owners.record(
            AuditAction.rotateMasterKey, detail: ["run": .integer(report.runID), "target_kek_version": .int(report.targetVersion)],
            audit: audit, logger: logger)
        return report
    }

    /// Retires a master key version no owner key is wrapped under any more.
    public func retireKEK(version: Int, audit: AuditContext, logger: Logger) async throws {
        try await vault.retire(kekVersion: version, audit: audit, logger: logger)
        try await owners.record(AuditAction.retireKEK, detail: ["kek_version": .int(version)], audit: audit, logger: logger)
    }

    // MARK: Notifications

    /// E-mails that failed for good (newest 200).
    public func deadNotifications(logger: Logger) async throws -> [OutboxEntry] {
        try await outbox.entries(status: .dead, limit: 200, logger: logger)
    }

    /// The outcome of a re-send.
    public enum ResendOutcome: Sendable {
        /// Queued again, audited.
        case resent(OutboxEntry)
        /// Not dead (pending, sending or sent): nothing done, nothing audited.
        case notDead(OutboxEntry)
    }

    /// Queues a dead e-mail again.
    /// - Throws: ``TenancyError/Code/notFound`` when there is no such e-mail.
    public func resendNotification(id: Int64, audit: AuditContext, logger: Logger) async throws -> ResendOutcome {
        guard id > 0, let entry = try await outbox.entry(id: id, logger: logger) else { throw TenancyError.notFound("notification") }
        guard try await outbox.resend(id: id, logger: logger) else { return .notDead(entry) }
        try await owners.record(
            AuditAction.resendNotification, owner: entry.ownerID, detail: ["outbox_id": .integer(id), "kind": .string(entry.kind)],
            audit: audit, logger: logger)
        return .resent(entry)
    }

    // MARK: Audit trail and sessions

    public func auditPage(_ filter: AdminAuditFilter, logger: Logger) async throws -> AdminAuditPage {
        try await auditQuery.page(filter, logger: logger)
    }

    /// Audits a dashboard sign-in or sign-out.
    public func recordSession(signedIn: Bool, audit: AuditContext, logger: Logger) async throws {
        try await owners.record(signedIn ? AuditAction.signIn : AuditAction.signOut, audit: audit, logger: logger)
    }
}
