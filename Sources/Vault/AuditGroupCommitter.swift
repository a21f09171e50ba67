// Copyright (c) the Gatehouse authors
import Logging
import Storage
import GatehouseCore

/// Group commit for the audit log's standalone appends (``AuditLog/append(_:database:logger:)``).
///
/// **Why.** The chain allows one writer at a time (its genesis row is the lock). With one transaction per append,
/// every appender in the fleet queues on that row and each pays a whole transaction — lock, read, insert, commit —
/// for one row. Here concurrent appenders in a process share the lock and the transaction: each caller enqueues its
/// checked, time-stamped row and suspends; one drain loop takes everything queued (at most ``maxBatch`` rows), opens
/// ONE transaction, locks the chain once, chains and inserts the rows in queue order, commits, and only then resumes
/// every caller with its own record. While a batch is in flight the next one accumulates, so the more callers wait,
/// the more rows each commit carries. The chain is exactly what single appends would have produced in that order, so
/// `gatehouse audit verify` is unchanged.
///
/// **Failure.** A batch commits or rolls back as a whole: if any statement or the commit fails, every caller in it
/// gets that error and none of its rows exists; no caller is told success for an uncommitted row. The next batch
/// starts afresh. Entries are validated before they are queued, so a malformed entry fails only its own caller.
///
/// **Cancellation.** A queued caller is not cancellable: it waits for its batch's outcome (appends are short), and
/// its row may commit although its task was cancelled. The drain runs in its own task, so cancelling one caller can
/// never abort a transaction carrying other callers' rows.
///
/// One committer exists per database object in a process (``shared(for:)``), because `AuditLog` is a small value
/// every component creates for itself; keying by the database lets all of them share one queue without wiring.
final class AuditGroupCommitter: Sendable {
    /// The most rows one transaction carries. Bounds the lock hold time and the statement sizes (16 KiB of detail at
    /// most per row) while leaving batches large enough that 32 concurrent appenders rarely wait for two commits.
    static let maxBatch = AuditLog.maximumRowsPerTransaction

    private let queue = GroupCommitQueue<(row: PendingAuditRow, logger: Logger), AuditRecord>(maxBatch: maxBatch)

    /// What the committer is doing, for tests and diagnostics.
    var snapshot: GroupCommitQueue<(row: PendingAuditRow, logger: Logger), AuditRecord>.Snapshot { queue.snapshot }

    /// Queues `row` and returns once its batch has committed.
    /// - Throws: the batch's error when it did not commit (the row was not written).
    func append(_ row: PendingAuditRow, database: any SQLDatabase, logger: Logger) async throws -> AuditRecord {
        // The commit keeps `database` alive only while rows are queued.
        try await queue.submit((row, logger)) { batch in
            let logger = batch[0].logger
            do {
                return try await database.withTransaction(logger: logger) { connection in
                    try await AuditLog.chain(batch.map(\.row), on: connection)
                }
            } catch {
                logger.warning("audit batch failed", metadata: ["audit.rows": "\(batch.count)", "error.type": "\(type(of: error))"])
                throw error
            }
        }
    }

    // MARK: One committer per database

    private static let registry = PerDatabase<AuditGroupCommitter>()

    /// The committer shared by every `AuditLog` appending to `database`, or `nil` when `database` is not a class
    /// instance (no identity to share a queue by; such callers get one transaction per append).
    static func shared(for database: any SQLDatabase) -> AuditGroupCommitter? {
        registry.value(for: database) { AuditGroupCommitter() }
    }
}
