// Copyright (c) the Gatehouse authors
import CSQLite
import Foundation
public import Logging
import Synchronization

/// Settings of the embedded SQLite database.
public struct SQLiteConfiguration: Sendable, Hashable {
    /// The database file. Missing parent directories are created.
    public var path: String
    /// Connections kept open (default 4). WAL lets them read in parallel; writes take turns.
    public var maxConnections: Int
    /// How long a statement waits for another connection's write lock before ``StorageError/Code/busy``
    /// (default 5 s).
    public var busyTimeout: Duration
    /// How long a borrower waits for a free connection before ``StorageError/Code/poolTimeout`` (default 5 s).
    public var acquireTimeout: Duration
    /// Prepared statements kept per connection (default 32; 0 disables the cache).
    public var statementCacheCapacity: Int

    public init(
        path: String,
        maxConnections: Int = 4,
        busyTimeout: Duration = .seconds(5),
        acquireTimeout: Duration = .seconds(5),
        statementCacheCapacity: Int = 32
    ) {
        self.path = path
        self.maxConnections = maxConnections
        self.busyTimeout = busyTimeout
        self.acquireTimeout = acquireTimeout
        self.statementCacheCapacity = statementCacheCapacity
    }
}

/// The embedded default backend: one SQLite file in WAL mode behind a small connection pool.
///
/// Why the system `libsqlite3` through the `CSQLite` module map, rather than a Swift SQLite package:
/// it gives exactly the model the MariaDB backend uses — blocking C calls on a `NIOThreadPool`,
/// prepared statements with bound parameters, one pool and one error mapping — so both backends share
/// ``ConnectionPool`` and behave alike under the same contract tests; and Debian already ships the
/// library, so there is no extra package to build (the amalgamation alone is a multi-minute compile).
///
/// - Every `sqlite3_*` call runs on the database's own thread pool (`runIfActive`), never on the
///   concurrency pool or an event loop.
/// - Connections use `journal_mode=WAL`, `foreign_keys=ON`, `synchronous=FULL` and the configured
///   `busy_timeout`.
/// - Transactions are `BEGIN IMMEDIATE … COMMIT`: the write lock is taken at the start, so a
///   read-then-write transaction can never fail halfway with a lock upgrade error; `ROLLBACK` runs when
///   the body throws and when `COMMIT` fails.
/// - `SQLITE_CONSTRAINT_UNIQUE`/`PRIMARYKEY` map to ``StorageError/Code/duplicate``, other constraints to
///   ``StorageError/Code/constraint``, `SQLITE_BUSY`/`SQLITE_LOCKED` to ``StorageError/Code/busy``.
public final class SQLiteDatabase: PooledSQLDatabase {
    public let dialect = SQLDialect.sqlite
    public let configuration: SQLiteConfiguration
    let pool: ConnectionPool<SQLiteConnectionHandle>

    /// Creates the database (and the file's parent directories). Connections open on first use.
    ///
    /// - Throws: ``StorageError/Code/invalidConfiguration`` for an unusable path or pool size.
    public init(configuration: SQLiteConfiguration, logger: Logger) throws(StorageError) {
        guard !configuration.path.isEmpty, configuration.path != ":memory:", !configuration.path.hasPrefix("file:") else {
            throw StorageError(code: .invalidConfiguration, message: "the SQLite path must name a file")
        }
        guard configuration.maxConnections > 0 else {
            throw StorageError(code: .invalidConfiguration, message: "the SQLite pool needs at least one connection")
        }
        let directory = (configuration.path as NSString).deletingLastPathComponent
        if !directory.isEmpty {
            do {
                try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            } catch {
                throw StorageError(
                    code: .invalidConfiguration,
                    message: "the SQLite database directory could not be created",
                    detail: "\(directory): \(error)"
                )
            }
        }
        self.configuration = configuration
        self.pool = ConnectionPool(
            maxConnections: configuration.maxConnections,
            acquireTimeout: configuration.acquireTimeout,
            logger: logger
        ) {
            try SQLiteConnectionHandle.open(configuration: configuration)
        }
    }

    /// Convenience: a database file at `path` with default settings.
    public convenience init(path: String, logger: Logger) throws(StorageError) {
        try self.init(configuration: SQLiteConfiguration(path: path), logger: logger)
    }

    // MARK: Borrowing (the order of the steps is ``PooledSQLDatabase``'s)

    static let backendName = "SQLite"

    func borrow(logger: Logger) async throws -> SQLiteConnection {
        SQLiteConnection(handle: try await pool.lease(), pool: pool, logger: logger)
    }

    func begin(_ connection: SQLiteConnection) async throws {
        try await connection.execute("BEGIN IMMEDIATE")
    }

    func commit(_ connection: SQLiteConnection) async throws {
        _ = try await pool.runUncancellable { [handle = connection.handle] in try handle.run("COMMIT") }
    }

    func rollback(_ connection: SQLiteConnection, logger: Logger) async {
        let handle = connection.handle
        guard handle.isInTransaction else { return }  // SQLite may already have rolled back (e.g. SQLITE_FULL)
        do {
            _ = try await pool.runUncancellable { try handle.run("ROLLBACK") }
        } catch {
            logger.warning("SQLite ROLLBACK failed; closing the connection", metadata: ["error": "\(String(reflecting: error))"])
            try? await pool.runUncancellable { handle.close() }
        }
    }

    /// Ends the borrow: a transaction the body left open (a manual `BEGIN`) is rolled back first.
    func giveBack(_ connection: SQLiteConnection, logger: Logger) async {
        connection.invalidate()
        await rollback(connection, logger: logger)
        pool.release(connection.handle)
    }
}

/// A borrowed SQLite connection, valid only inside the `withConnection`/`withTransaction` closure.
final class SQLiteConnection: SQLConnection {
    let dialect = SQLDialect.sqlite
    let handle: SQLiteConnectionHandle
    let pool: ConnectionPool<SQLiteConnectionHandle>
    private let logger: Logger
    private let isValid = Atomic(true)

    init(handle: SQLiteConnectionHandle, pool: ConnectionPool<SQLiteConnectionHandle>, logger: Logger) {
        self.handle = handle
        self.pool = pool
        self.logger = logger
    }

    func invalidate() { isValid.store(false, ordering: .relaxed) }

    func query(_ query: SQLQuery) async throws -> [SQLRow] {
        try await run(query).rows
    }

    @discardableResult
    func execute(_ query: SQLQuery) async throws -> SQLExecution {
        try await run(query).execution
    }

    private func run(_ query: SQLQuery) async throws -> (rows: [SQLRow], execution: SQLExecution) {
        guard isValid.load(ordering: .relaxed) else {
            throw StorageError(code: .statementFailed, message: "a connection was used after its closure returned")
        }
        logger.trace("sql", metadata: ["db.system": "sqlite", "db.statement": "\(query.sql)"])
        let handle = self.handle
        return try await pool.run { try handle.run(query) }
    }
}
