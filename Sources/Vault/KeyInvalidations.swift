// Copyright (c) the Gatehouse authors
public import Logging
public import Storage
import Synchronization

/// When owners' cached keys must be dropped, on this instance at once and on every other instance within one poll.
///
/// Every change that makes a cached key wrong — credentials stored or rotated, a previous checksum key's grace ended,
/// an owner suspended or reactivated, the master key rotated or retired — appends a row to `vault_key_invalidation`
/// **in the transaction that makes the change** (``record(owner:reason:at:on:)``), so no instance can see the change
/// without the row or the row without the change. After the commit the writer ``deliver(_:)``s the event to this
/// process's listeners (its key cache drops the entry at once); other instances read the row with
/// ``changes(since:limit:database:logger:)`` (one indexed range query per poll, see `KeyInvalidationFollower`) and
/// deliver it to theirs. Delivery is idempotent (each row id once per process), so the local writer and the local
/// poller never drop a freshly filled entry twice.
///
/// One object per database object in a process (``shared(for:)``), like the audit log's group committer: the vault
/// and the owner repository of a component set then reach the same listeners without wiring.
public final class KeyInvalidations: Sendable {
    /// One row of `vault_key_invalidation`.
    public struct Event: Sendable, Hashable {
        public var id: Int64
        /// The owner whose keys are invalidated, or `nil` for every owner (master key changes).
        public var ownerID: Int64?
        /// Why (`credentials.store`, `grace.end`, `owner.status`, `kek.rotate`, `kek.retire`), for diagnostics.
        public var reason: String
        /// When the change was made (Unix ms).
        public var at: Int64

        public init(id: Int64, ownerID: Int64?, reason: String, at: Int64) {
            self.id = id
            self.ownerID = ownerID
            self.reason = reason
            self.at = at
        }
    }

    /// Reasons written by Gatehouse.
    public enum Reason {
        public static let credentialsStored = "credentials.store"
        public static let graceEnded = "grace.end"
        public static let ownerStatus = "owner.status"
        public static let masterKeyRotated = "kek.rotate"
        public static let masterKeyRetired = "kek.retire"
    }

    private struct State {
        var listeners: [@Sendable (Event) -> Void] = []
        /// Row ids delivered in this process, with their `at`, so a row is delivered once (pruned by age).
        var delivered: [Int64: Int64] = [:]
    }

    private let state = Mutex(State())

    public init() {}

    /// Adds a listener called (synchronously, on the delivering task) for every event delivered from now on.
    public func subscribe(_ listener: @escaping @Sendable (Event) -> Void) {
        state.withLock { $0.listeners.append(listener) }
    }

    /// Hands the events not delivered before to every listener. Call after the transaction that wrote them committed.
    public func deliver(_ events: [Event]) {
        let (fresh, listeners) = state.withLock { state -> ([Event], [@Sendable (Event) -> Void]) in
            let fresh = events.filter { state.delivered.updateValue($0.at, forKey: $0.id) == nil }
            return (fresh, state.listeners)
        }
        for event in fresh { for listener in listeners { listener(event) } }
    }

    /// Forgets delivered ids older than `cutoff` (Unix ms): rows that old are before any poll's window.
    public func forgetDelivered(before cutoff: Int64) {
        state.withLock { $0.delivered = $0.delivered.filter { $0.value >= cutoff } }
    }

    // MARK: Rows

    /// Appends an invalidation row on the caller's connection (inside the transaction making the change).
    public static func record(owner: Int64?, reason: String, at: Int64, on connection: any SQLConnection) async throws -> Event {
        let result = try await connection.execute(
            "INSERT INTO vault_key_invalidation (owner_id, reason, at) VALUES (\(owner), \(reason), \(at))")
        guard let id = result.lastInsertID else { throw StorageError(code: .statementFailed, detail: "no id for vault_key_invalidation row") }
        return Event(id: id, ownerID: owner, reason: reason, at: at)
    }

    /// The rows written at or after `since` (Unix ms), oldest first, at most `limit`.
    public static func changes(since: Int64, limit: Int, database: any SQLDatabase, logger: Logger) async throws -> [Event] {
        try await database.query(
            """
            SELECT id, owner_id, reason, at FROM vault_key_invalidation WHERE at >= \(since)
            ORDER BY at, id LIMIT \(unescaped: String(max(1, limit)))
            """, logger: logger
        ).map { row in
            Event(id: try row.decode("id"), ownerID: try row.decodeIfPresent("owner_id"), reason: try row.decode("reason"), at: try row.decode("at"))
        }
    }

    /// Reads the rows of the last `withinMillis` about `owner` (or every owner) and delivers them: how a cache that
    /// refused something with its cached keys makes sure no invalidation it has not polled yet explains the refusal.
    /// A read only (one range query on the `at` index); no row is written.
    public func catchUp(owner: Int64, withinMillis: Int64, now: Int64, database: any SQLDatabase, logger: Logger) async throws {
        let rows = try await database.query(
            """
            SELECT id, owner_id, reason, at FROM vault_key_invalidation
            WHERE at >= \(now - withinMillis) AND (owner_id = \(owner) OR owner_id IS NULL) ORDER BY at, id
            """, logger: logger)
        deliver(try rows.map { row in
            Event(id: try row.decode("id"), ownerID: try row.decodeIfPresent("owner_id"), reason: try row.decode("reason"), at: try row.decode("at"))
        })
    }

    /// Deletes rows written before `cutoff` (Unix ms); no poll looks that far back.
    @discardableResult
    public static func prune(before cutoff: Int64, database: any SQLDatabase, logger: Logger) async throws -> Int {
        Int(try await database.execute("DELETE FROM vault_key_invalidation WHERE at < \(cutoff)", logger: logger).affectedRows)
    }

    // MARK: One per database

    private static let registry = PerDatabase<KeyInvalidations>()

    /// The object shared by everything in this process writing to or caching from `database` (a fresh, unshared one
    /// when `database` is not a class instance).
    public static func shared(for database: any SQLDatabase) -> KeyInvalidations {
        registry.value(for: database) { KeyInvalidations() } ?? KeyInvalidations()
    }
}
