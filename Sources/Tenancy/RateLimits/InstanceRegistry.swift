// Copyright (c) the Gatehouse authors
import Foundation
public import Logging
public import Storage
public import ServiceLifecycle
public import GatehouseCore

/// The running gateway instances, through the database they share (`gateway_instance`): each instance
/// writes a heartbeat every `heartbeatInterval` and counts the instances whose heartbeat is younger than
/// `missedBeats` intervals; the count goes to the ``TenantRateLimiter``, which enforces limit / count.
///
/// - Start: ``announce()`` (before the server accepts requests) writes the first heartbeat and, when other
///   instances are live, waits one heartbeat interval so that every one of them has counted the newcomer
///   before it admits anything — this is what keeps the fleet's total at or below the limit while it grows.
/// - Stop: a graceful shutdown deletes the instance's row, so the others raise their share at their next count.
/// - Crash: the row goes stale after `missedBeats` intervals; meanwhile the others are stricter than needed.
public struct InstanceRegistry: Service {
    let database: any SQLDatabase
    let limiter: TenantRateLimiter
    let clock: WallClock
    let heartbeatInterval: Duration
    let missedBeats: Int
    /// How long ``announce()`` waits for the live peers at most.
    let announceTimeout: Duration
    /// This instance's random key (never reused: a restarted process is a new instance).
    public let instanceKey: String
    let host: String
    let startedAt: Int64
    let logger: Logger

    /// Missed heartbeats after which an instance counts as dead (also what `gatehouse_instances_alive` counts by).
    public static let defaultMissedBeats = 3

    public init(
        database: any SQLDatabase, limiter: TenantRateLimiter, clock: WallClock = .system, heartbeatInterval: Duration = .seconds(2),
        missedBeats: Int = defaultMissedBeats, announceTimeout: Duration? = nil, logger: Logger
    ) {
        self.database = database
        self.limiter = limiter
        self.clock = clock
        self.heartbeatInterval = heartbeatInterval
        self.missedBeats = max(2, missedBeats)
        self.announceTimeout = announceTimeout ?? heartbeatInterval * 20
        self.instanceKey = RandomToken.base32(count: 20)
        self.host = String("\(ProcessInfo.processInfo.hostName):\(ProcessInfo.processInfo.processIdentifier)".prefix(255))
        self.startedAt = clock.now()
        self.logger = logger
    }

    var intervalMillis: Int64 {
        let (seconds, attoseconds) = heartbeatInterval.components
        return max(1, seconds * 1000 + attoseconds / 1_000_000_000_000_000)
    }

    /// A heartbeat older than this is a dead instance.
    public var staleAfterMillis: Int64 { intervalMillis * Int64(missedBeats) }

    /// Registers this instance and, when others are live, waits until they have all counted it.
    /// - Returns: the number of live instances (this one included).
    @discardableResult
    public func announce() async throws -> Int {
        let count = try await beat()
        guard count > 1 else { return count }
        // Every live instance counts at each of its heartbeats. Rather than assume they beat on time (a loaded machine
        // delays them), watch their rows: once each has written a heartbeat after this row existed, it has counted this
        // instance; once each has written one more, that count has reached its limiter too. Bounded, so a wedged peer
        // (which goes stale anyway) cannot hold a start-up for ever.
        var mark = clock.now()
        var confirmations = 0
        let deadline = ContinuousClock.now + announceTimeout
        while confirmations < 2, ContinuousClock.now < deadline {
            try await Task.sleep(for: heartbeatInterval / 4)
            let cutoff = clock.now() - staleAfterMillis
            let rows = try await database.query(
                """
                SELECT MIN(heartbeat_at) AS oldest, MAX(heartbeat_at) AS newest FROM gateway_instance
                WHERE instance_key <> \(instanceKey) AND heartbeat_at >= \(cutoff)
                """, logger: logger)
            guard let oldest = try rows.first?.decodeIfPresent("oldest", as: Int64.self),
                let newest = try rows.first?.decodeIfPresent("newest", as: Int64.self)
            else { break }
            if oldest > mark {
                confirmations += 1
                mark = newest
            }
        }
        if confirmations < 2, ContinuousClock.now >= deadline {
            logger.warning("started before every live instance counted this one (their heartbeats are late)")
        }
        return try await beat()
    }

    /// Writes this instance's heartbeat, counts the live instances and hands the count to the limiter.
    /// - Returns: the number of live instances (at least 1: this one).
    @discardableResult
    public func beat() async throws -> Int {
        let now = clock.now()
        let updated = try await database.execute(
            "UPDATE gateway_instance SET heartbeat_at = \(now) WHERE instance_key = \(instanceKey)", logger: logger)
        if updated.affectedRows == 0 {
            do {
                try await database.execute(
                    """
                    INSERT INTO gateway_instance (instance_key, host, started_at, heartbeat_at)
                    VALUES (\(instanceKey), \(host), \(startedAt), \(now))
                    """, logger: logger)
            } catch let error as StorageError where error.code == .duplicate {
                // The row exists and already carries this millisecond's heartbeat (MariaDB reports 0 changed rows).
            }
        }
        let rows = try await database.query(
            "SELECT COUNT(*) AS live FROM gateway_instance WHERE heartbeat_at >= \(now - staleAfterMillis)", logger: logger)
        let live = max(1, Int(try rows.first?.decode("live", as: Int64.self) ?? 1))
        if live != limiter.instances {
            logger.info("live gateway instances changed", metadata: ["instances.live": "\(live)", "instances.previous": "\(limiter.instances)"])
        }
        limiter.setLiveInstances(live)
        // Rows of instances long gone are removed by whoever notices first: found by a plain (non-locking) read and
        // removed by primary key. A `DELETE … WHERE heartbeat_at < ?` walks the heartbeat index and locks its entries
        // before their rows, the opposite order of an `UPDATE` of a heartbeat (row, then index entry), and on MariaDB
        // the two deadlocked — one of them this instance's own start-up beat (`announce`), which then failed the start.
        let cutoff = now - staleAfterMillis * 20
        let gone = try await database.query("SELECT id FROM gateway_instance WHERE heartbeat_at < \(cutoff)", logger: logger)
        for row in gone {
            let id = try row.decode("id", as: Int64.self)
            try await database.execute("DELETE FROM gateway_instance WHERE id = \(id) AND heartbeat_at < \(cutoff)", logger: logger)
        }
        return live
    }

    /// Removes this instance's row (graceful shutdown).
    public func withdraw() async throws {
        try await database.execute("DELETE FROM gateway_instance WHERE instance_key = \(instanceKey)", logger: logger)
    }

    public func run() async throws {
        await PeriodicTask(interval: heartbeatInterval, failureMessage: "instance heartbeat failed", logger: logger).run {
            try await beat()
        }
        do {
            try await withdraw()
        } catch {
            logger.warning("could not remove this instance from the registry; it goes stale on its own", metadata: ["error": "\(error)"])
        }
    }
}
