// Copyright (c) the Gatehouse authors
import Logging
import ServiceLifecycle

/// A ``SQLDatabase`` over a ``ConnectionPool``: the order of a borrow is written here once for both backends.
///
/// A borrow leases a connection, runs the body (for a transaction between `begin` and `commit`, rolling back
/// when the body or the commit throws) and always gives the connection back. A backend says only how to do
/// each step: which statement opens a transaction, how a dropped connection is retried, what a give-back must
/// clean up.
protocol PooledSQLDatabase: SQLDatabase {
    associatedtype Handle: BlockingPoolConnection
    associatedtype Borrowed: SQLConnection

    /// The pool every borrow draws from.
    var pool: ConnectionPool<Handle> { get }
    /// The backend's name in log lines ("MariaDB", "SQLite").
    static var backendName: String { get }

    /// Leases a connection and wraps it for one borrow.
    func borrow(logger: Logger) async throws -> Borrowed
    /// Opens a transaction: the borrow's first statement.
    func begin(_ connection: Borrowed) async throws
    /// Commits, even when the task was cancelled.
    func commit(_ connection: Borrowed) async throws
    /// Rolls back an open transaction; a connection that cannot roll back is closed instead.
    func rollback(_ connection: Borrowed, logger: Logger) async
    /// Ends the borrow (rolling back what the body left open) and returns the handle to the pool.
    func giveBack(_ connection: Borrowed, logger: Logger) async
}

extension PooledSQLDatabase {
    @discardableResult
    public func withConnection<Result: Sendable>(
        logger: Logger,
        _ body: @Sendable (any SQLConnection) async throws -> Result
    ) async throws -> Result {
        try await borrowing(logger: logger) { try await body($0) }
    }

    @discardableResult
    public func withTransaction<Result: Sendable>(
        logger: Logger,
        _ body: @Sendable (any SQLConnection) async throws -> Result
    ) async throws -> Result {
        try await borrowing(logger: logger) { connection in
            try await begin(connection)
            let result: Result
            do {
                result = try await body(connection)
            } catch {
                await rollback(connection, logger: logger)
                throw error
            }
            do {
                try await commit(connection)
            } catch {
                logger.debug("\(Self.backendName) COMMIT failed; rolling back", metadata: ["error": "\(String(reflecting: error))"])
                await rollback(connection, logger: logger)
                throw error
            }
            return result
        }
    }

    /// Runs `body` on a borrowed connection and gives the connection back however `body` ends.
    private func borrowing<Result>(logger: Logger, _ body: (Borrowed) async throws -> Result) async throws -> Result {
        let connection = try await borrow(logger: logger)
        do {
            let result = try await body(connection)
            await giveBack(connection, logger: logger)
            return result
        } catch {
            await giveBack(connection, logger: logger)
            throw error
        }
    }

    /// Keeps the pool open until graceful shutdown or cancellation, then closes every connection.
    public func run() async throws {
        await withTaskCancellationOrGracefulShutdownHandler {
            await self.pool.waitUntilClosed()
        } onCancelOrGracefulShutdown: {
            self.pool.startShutdown()
        }
    }

    public var poolStatistics: SQLPoolStatistics { pool.statistics }

    public func shutdown() async {
        await pool.shutdown()
    }
}
