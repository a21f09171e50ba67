// Copyright (c) the Gatehouse authors
public import GatehouseCore
public import Logging
public import Storage
import Synchronization
public import Vault

/// Counts the key uses served from ``TenantKeyCache`` and writes them as aggregated audit rows.
///
/// A cache fill is an audited unseal (one `vault.unseal` row before the keys are used); every use served from the
/// cache after it is counted here per (owner, purpose) with its first and last time, and ``flush(auditLog:database:logger:)``
/// (every few seconds and at graceful shutdown, `KeyCacheMaintenance`) appends one `vault.key_use` row per
/// (owner, purpose) through the audit log's group commit. So every use is accounted: the uses of a purpose are its
/// `vault.unseal` rows plus the `count`s of its `vault.key_use` rows.
///
/// What a crash can lose: the counts of uses since the last flush — at most one flush interval's (5 s by default).
/// A flush that fails puts its counts back, to be written by the next one.
public final class KeyUseLedger: Sendable {
    /// The audit action of an aggregated row.
    public static let action = "vault.key_use"
    /// The actor of aggregated rows (the requests' own actors are not kept per use).
    public static let actor = "system:key-cache"

    struct Key: Hashable {
        var owner: Int64
        var purpose: String
    }

    struct Tally {
        var count: Int64
        var first: Int64
        var last: Int64

        mutating func merge(_ other: Tally) {
            count += other.count
            first = min(first, other.first)
            last = max(last, other.last)
        }
    }

    private let tallies = Mutex<[Key: Tally]>([:])
    let clock: WallClock

    public init(clock: WallClock = .system) {
        self.clock = clock
    }

    /// Counts one use of `owner`'s keys for `purpose`, now.
    public func record(owner: Int64, purpose: String) {
        let now = clock.now()
        tallies.withLock { tallies in
            tallies[Key(owner: owner, purpose: purpose), default: Tally(count: 0, first: now, last: now)].merge(Tally(count: 1, first: now, last: now))
        }
    }

    /// Uses counted and not yet written.
    public var pending: Int64 { tallies.withLock { $0.values.reduce(0) { $0 + $1.count } } }

    /// Appends one row per (owner, purpose) counted since the last flush, in transactions of
    /// ``AuditLog/maximumRowsPerTransaction`` rows (``AuditLog/append(contentsOf:database:logger:)``): at 10,000 busy
    /// owners a flush has thousands of rows, and one group-committed append per row cost a task and a queue turn each,
    /// taken from the requests running beside it. Counts whose transaction failed are put back for the next flush.
    /// - Returns: the number of rows written.
    @discardableResult
    public func flush(auditLog: AuditLog, database: any SQLDatabase, logger: Logger) async throws -> Int {
        let drained = tallies.withLock { tallies in
            defer { tallies = [:] }
            return tallies
        }
        guard !drained.isEmpty else { return 0 }
        // In owner order: a stable order for the rows, and an owner's purposes side by side.
        let rows = drained.sorted { ($0.key.owner, $0.key.purpose) < ($1.key.owner, $1.key.purpose) }
        var written = 0
        var failed: ArraySlice<(key: Key, value: Tally)> = []
        var start = rows.startIndex
        while start < rows.endIndex {
            let chunk = rows[start..<min(start + AuditLog.maximumRowsPerTransaction, rows.endIndex)]
            start = chunk.endIndex
            let entries = chunk.map { key, tally in
                AuditEntry(
                    actor: Self.actor, ownerID: key.owner, action: Self.action,
                    detail: ["purpose": .string(key.purpose), "count": .integer(tally.count), "first_at": .integer(tally.first), "last_at": .integer(tally.last)])
            }
            do {
                try await auditLog.append(contentsOf: entries, database: database, logger: logger)
                written += chunk.count
            } catch {
                // The database is failing: keep this chunk and the rest for the next flush rather than retry each now.
                logger.warning("key-use audit rows not written; kept for the next flush", metadata: ["error.type": "\(type(of: error))"])
                failed = rows[chunk.startIndex...]
                break
            }
        }
        guard failed.isEmpty else {
            tallies.withLock { tallies in
                for (key, tally) in failed {
                    if tallies[key] == nil { tallies[key] = tally } else { tallies[key]?.merge(tally) }
                }
            }
            throw KeyUseFlushError(rows: failed.count)
        }
        return written
    }
}

/// Some aggregated key-use rows could not be written; their counts were kept for the next flush.
public struct KeyUseFlushError: Error, CustomStringConvertible {
    public let rows: Int
    public var description: String { "\(rows) key-use audit row(s) not written; kept for the next flush" }
}
