// Copyright (c) the Gatehouse authors
import CMariaDB
public import Logging
import Synchronization

/// The production backend: MariaDB through Connector/C (`libmariadb`), behind a connection pool.
///
/// - Every blocking `mysql_*` call runs on the database's own `NIOThreadPool`, never on the
///   concurrency pool or an event loop.
/// - Prepared statements only (`mysql_stmt_prepare` / `bind_param` / `execute` / `fetch`), cached per
///   connection; values are never spliced into SQL text.
/// - Sessions: `utf8mb4`, `time_zone = '+00:00'`, strict SQL mode with `PIPES_AS_CONCAT` (so `||`
///   concatenates as on SQLite), autocommit, `CLIENT_FOUND_ROWS` (an `UPDATE` reports matched rows, as on
///   SQLite), and isolation level READ COMMITTED rather than InnoDB's default REPEATABLE READ:
///   Gatehouse's correctness rests on explicit row locks (``SQLDialect/forUpdate``) and unique keys, not on
///   snapshots; READ COMMITTED takes no gap locks, so concurrent inserts into one index range
///   (idempotency keys, webhook inbox, outbox) do not deadlock each other, and each statement sees the
///   latest committed rows, as on SQLite where a write transaction holds the only write lock.
/// - Transactions: `START TRANSACTION … COMMIT`, `ROLLBACK` when the body throws or `COMMIT` fails.
///   `ER_DUP_ENTRY` maps to ``StorageError/Code/duplicate``.
///
/// ## Dropped connections
/// A connection that hits a connection-level error (`CR_SERVER_GONE_ERROR`, `CR_SERVER_LOST`,
/// `ER_CONNECTION_KILLED`…) is closed and never returned to the pool. Idle connections are checked
/// without a round trip when borrowed (a socket the server closed is readable), and if the *first*
/// statement of a borrow still fails that way, it is retried once on a fresh connection when it cannot
/// have taken effect (it failed before executing, could not be sent, or only reads). So `KILL
/// CONNECTION` or a server restart costs no process restart. Inside a transaction the error surfaces
/// as ``StorageError/Code/connectionLost``: the server has rolled the transaction back.
public final class MariaDBDatabase: PooledSQLDatabase {
    public let dialect = SQLDialect.mariadb
    public let configuration: MariaDBConfiguration
    let pool: ConnectionPool<MariaDBConnectionHandle>
    private let logger: Logger

    /// Creates the database. Connections open on first use, so a server that is down is reported by
    /// the first statement (``StorageError/Code/connectionFailed``), not here.
    ///
    /// - Throws: ``StorageError/Code/invalidConfiguration`` for an unusable pool size.
    public init(configuration: MariaDBConfiguration, logger: Logger) throws(StorageError) {
        guard configuration.maxConnections > 0 else {
            throw StorageError(code: .invalidConfiguration, message: "the MariaDB pool needs at least one connection")
        }
        self.configuration = configuration
        self.logger = logger
        self.pool = ConnectionPool(
            maxConnections: configuration.maxConnections,
            acquireTimeout: configuration.acquireTimeout,
            logger: logger
        ) {
            try MariaDBConnectionHandle.connect(configuration)
        }
    }

    /// Convenience: parses a `mysql://` / `mariadb://` URL (see ``MariaDBConfiguration/init(url:)``).
    public convenience init(url: String, logger: Logger) throws(StorageError) {
        try self.init(configuration: MariaDBConfiguration(url: url), logger: logger)
    }

    // MARK: Borrowing (the order of the steps is ``PooledSQLDatabase``'s)

    static let backendName = "MariaDB"

    func borrow(logger: Logger) async throws -> MariaDBConnection {
        MariaDBConnection(handle: try await leaseLive(), database: self, logger: logger)
    }

    func begin(_ connection: MariaDBConnection) async throws {
        // The first statement of the borrow: retried on a fresh connection if this one was dropped.
        try await connection.execute("START TRANSACTION")
        connection.beginTransaction()
    }

    func commit(_ connection: MariaDBConnection) async throws {
        try await connection.executeUncancellable("COMMIT")
    }

    /// Leases a connection, discarding idle ones the server has closed in the meantime.
    func leaseLive() async throws -> MariaDBConnectionHandle {
        for _ in 0...configuration.maxConnections {
            let handle = try await pool.lease()
            if handle.looksAlive() { return handle }
            logger.debug("discarding a MariaDB connection closed by the server", metadata: ["db.connection.id": "\(handle.connectionID)"])
            pool.release(handle)  // broken: closed, not pooled
        }
        return try await pool.lease()
    }

    /// Rolls back explicitly unless the connection was lost: then the outcome of a failed `COMMIT` is unknown
    /// to us, and the server rolls back an uncommitted transaction when the session ends. Failures are logged
    /// with the database's own logger.
    func rollback(_ connection: MariaDBConnection, logger _: Logger) async {
        guard let handle = connection.currentHandle, handle.isReusable else { return }  // a dropped session is rolled back by the server
        do {
            try await connection.executeUncancellable("ROLLBACK")
        } catch {
            logger.warning("MariaDB ROLLBACK failed; closing the connection", metadata: ["error": "\(String(reflecting: error))"])
            try? await pool.runUncancellable { handle.close() }
        }
    }

    /// Ends the borrow: a transaction the body left open (a manual `START TRANSACTION`) is rolled back first.
    func giveBack(_ connection: MariaDBConnection, logger _: Logger) async {
        connection.invalidate()
        guard let handle = connection.takeHandle() else { return }
        if handle.isInTransaction {
            do {
                _ = try await pool.runUncancellable { try handle.run("ROLLBACK") }
            } catch {
                try? await pool.runUncancellable { handle.close() }
            }
        }
        pool.release(handle)
    }
}

/// A borrowed MariaDB connection, valid only inside the `withConnection`/`withTransaction` closure.
///
/// It owns the retry of the borrow's first statement: when that fails because the connection was
/// dropped, the dead handle goes back to the pool (which closes it) and the statement runs once more
/// on a fresh handle.
final class MariaDBConnection: SQLConnection {
    let dialect = SQLDialect.mariadb
    private struct State {
        var handle: MariaDBConnectionHandle?
        var statementCount = 0
        var inTransaction = false
        var isValid = true
    }

    private let state: Mutex<State>
    private let database: MariaDBDatabase
    private let logger: Logger

    init(handle: MariaDBConnectionHandle, database: MariaDBDatabase, logger: Logger) {
        self.state = Mutex(State(handle: handle))
        self.database = database
        self.logger = logger
    }

    var currentHandle: MariaDBConnectionHandle? { state.withLock { $0.handle } }
    func beginTransaction() { state.withLock { $0.inTransaction = true } }
    func invalidate() { state.withLock { $0.isValid = false } }
    func takeHandle() -> MariaDBConnectionHandle? {
        state.withLock { state in
            defer { state.handle = nil }
            return state.handle
        }
    }

    func query(_ query: SQLQuery) async throws -> [SQLRow] {
        try await run(query).rows
    }

    @discardableResult
    func execute(_ query: SQLQuery) async throws -> SQLExecution {
        try await run(query).execution
    }

    /// For `COMMIT`/`ROLLBACK`: runs even if the task was cancelled, never retried.
    func executeUncancellable(_ query: SQLQuery) async throws {
        guard let handle = currentHandle else { throw Self.lost }
        do {
            _ = try await database.pool.runUncancellable { try handle.run(query) }
        } catch let failure as MariaDBStatementFailure {
            throw failure.error
        }
    }

    private static let lost = StorageError(code: .connectionLost, message: "the database connection was lost")

    private func run(_ query: SQLQuery) async throws -> (rows: [SQLRow], execution: SQLExecution) {
        let (handle, isFirst, inTransaction) = try state.withLock { state throws(StorageError) in
            guard state.isValid else {
                throw StorageError(code: .statementFailed, message: "a connection was used after its closure returned")
            }
            guard let handle = state.handle else { throw Self.lost }
            defer { state.statementCount += 1 }
            return (handle, state.statementCount == 0, state.inTransaction)
        }
        logger.trace("sql", metadata: ["db.system": "mariadb", "db.statement": "\(query.sql)"])
        do {
            return try await database.pool.run { try handle.run(query) }
        } catch let failure as MariaDBStatementFailure {
            guard failure.connectionBroken, isFirst, !inTransaction, failure.safeToRetry else { throw failure.error }
            logger.notice(
                "MariaDB connection was dropped; retrying the statement on a fresh connection",
                metadata: ["db.connection.id": "\(handle.connectionID)", "error": "\(String(reflecting: failure.error))"]
            )
            // Give the dead handle back first: with a pool of one, it is the slot the fresh one needs.
            state.withLock { $0.handle = nil }
            database.pool.release(handle)
            let fresh = try await database.leaseLive()
            state.withLock { $0.handle = fresh }
            do {
                return try await database.pool.run { try fresh.run(query) }
            } catch let failure as MariaDBStatementFailure {
                throw failure.error
            }
        }
    }
}
