// Copyright (c) the Gatehouse authors
public import GatehouseCore
public import Logging
public import ServiceLifecycle
public import Storage
public import Vault

/// Keeps this instance's ``TenantKeyCache`` in step with changes any instance commits: every `interval` (default
/// 250 ms) one indexed range query reads the `vault_key_invalidation` rows written since the previous look (minus
/// `overlapMillis`, absorbing clock skew and transactions that committed late; a row is applied once per process), and
/// each one drops its owner's entry (or all entries). Bound: another instance's change reaches this cache within
/// `interval` plus the query time.
///
/// If a poll fails the cache is emptied: an instance that cannot see invalidations must not keep using keys that may
/// have been rotated (every later use unseals, which needs the database anyway). Rows older than a day are pruned
/// about once a minute.
public struct KeyInvalidationFollower: Service {
    let follower: ChangeFollower<KeyInvalidations.Event>
    let invalidations: KeyInvalidations
    let cache: TenantKeyCache
    let database: any SQLDatabase
    let clock: WallClock
    let interval: Duration
    let overlapMillis: Int64
    let logger: Logger

    public init(
        database: any SQLDatabase, cache: TenantKeyCache, clock: WallClock = .system, interval: Duration = .milliseconds(250),
        overlapMillis: Int64 = 5_000, logger: Logger
    ) {
        let invalidations = KeyInvalidations.shared(for: database)
        self.follower = ChangeFollower(
            read: { try await KeyInvalidations.changes(since: $0, limit: $1, database: database, logger: logger) }, updatedAt: \.at,
            apply: { invalidations.deliver($0) }, clock: clock, interval: interval, overlapMillis: overlapMillis,
            failureMessage: "key invalidation poll failed", logger: logger)
        self.invalidations = invalidations
        self.cache = cache
        self.database = database
        self.clock = clock
        self.interval = interval
        self.overlapMillis = overlapMillis
        self.logger = logger
    }

    public func run() async throws {
        var since = clock.now() - overlapMillis
        var rounds = 0
        await PeriodicTask(interval: interval, failureMessage: "key invalidation poll failed; key cache emptied", logger: logger).run {
            do {
                since = try await follower.round(since: since)
            } catch {
                cache.invalidateAll()
                throw error
            }
            invalidations.forgetDelivered(before: since - overlapMillis)
            rounds += 1
            if rounds % 240 == 0 {
                try await KeyInvalidations.prune(before: clock.now() - 86_400_000, database: database, logger: logger)
            }
        }
    }
}

/// Writes the cache's key-use counts as aggregated audit rows every `interval` (default 5 s) and once more at graceful
/// shutdown, and drops entries past their time to live. A SIGKILL loses at most the counts since the last flush.
public struct KeyCacheMaintenance: Service {
    let cache: TenantKeyCache
    let auditLog: AuditLog
    let database: any SQLDatabase
    let interval: Duration
    let logger: Logger

    public init(cache: TenantKeyCache, auditLog: AuditLog, database: any SQLDatabase, interval: Duration = .seconds(5), logger: Logger) {
        self.cache = cache
        self.auditLog = auditLog
        self.database = database
        self.interval = interval
        self.logger = logger
    }

    public func run() async throws {
        await PeriodicTask(interval: interval, failureMessage: "key use audit flush failed", logger: logger).run {
            cache.removeExpired()
            try await cache.uses.flush(auditLog: auditLog, database: database, logger: logger)
        }
        do {
            try await cache.uses.flush(auditLog: auditLog, database: database, logger: logger)
        } catch {
            logger.warning("key use audit flush at shutdown failed", metadata: ["error": "\(error)"])
        }
    }
}
