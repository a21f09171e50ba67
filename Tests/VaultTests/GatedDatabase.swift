// Copyright (c) the Gatehouse authors
import Logging
import Storage
import Synchronization

/// A real test database behind a gate, so a test can decide what one group-committed batch contains and make it fail.
///
/// Each `withTransaction` is numbered and announced on ``entered``, then waits until ``open()``. A transaction chosen
/// with ``failInserts(inTransaction:fromInsert:)`` really executes its `INSERT`s into `audit_log`, and from the
/// chosen one on throws ``InjectedFailure`` *after* the statement ran, so the rows are in the transaction when it
/// fails: the rollback, not the injection, is what must make them disappear.
final class GatedDatabase: SQLDatabase {
    struct InjectedFailure: Error {}

    private struct State {
        var transactions = 0
        var isOpen = false
        var waiting: [CheckedContinuation<Void, Never>] = []
        var failing: (transaction: Int, fromInsert: Int)?
    }

    let base: any SQLDatabase
    /// The number of each transaction as it reaches the gate.
    let entered: AsyncStream<Int>
    private let announce: AsyncStream<Int>.Continuation
    private let state = Mutex(State())

    init(_ base: any SQLDatabase) {
        self.base = base
        (entered, announce) = AsyncStream.makeStream(of: Int.self)
    }

    /// Transactions begun so far.
    var transactions: Int { state.withLock { $0.transactions } }

    /// Lets every waiting and later transaction through.
    func open() {
        let waiting = state.withLock { state in
            state.isOpen = true
            defer { state.waiting = [] }
            return state.waiting
        }
        waiting.forEach { $0.resume() }
    }

    func failInserts(inTransaction transaction: Int, fromInsert insert: Int) {
        state.withLock { $0.failing = (transaction, insert) }
    }

    // MARK: SQLDatabase

    var dialect: SQLDialect { base.dialect }
    var poolStatistics: SQLPoolStatistics { base.poolStatistics }

    func withConnection<Result: Sendable>(logger: Logger, _ body: @Sendable (any SQLConnection) async throws -> Result) async throws -> Result {
        try await base.withConnection(logger: logger, body)
    }

    func withTransaction<Result: Sendable>(logger: Logger, _ body: @Sendable (any SQLConnection) async throws -> Result) async throws -> Result {
        let number = state.withLock { state in
            state.transactions += 1
            return state.transactions
        }
        announce.yield(number)
        await withCheckedContinuation { continuation in
            let isOpen = state.withLock { state in
                if !state.isOpen { state.waiting.append(continuation) }
                return state.isOpen
            }
            if isOpen { continuation.resume() }
        }
        let failFrom = state.withLock { $0.failing.flatMap { $0.transaction == number ? $0.fromInsert : nil } }
        return try await base.withTransaction(logger: logger) { connection in
            try await body(FailingConnection(base: connection, failFromInsert: failFrom))
        }
    }

    /// The base database's lifetime belongs to the test (`withTestDatabase`), not to this wrapper.
    func shutdown() async {}
    func run() async throws {}
}

/// A connection whose `INSERT`s into `audit_log` run and then, from the `failFromInsert`-th on, throw.
private final class FailingConnection: SQLConnection {
    let base: any SQLConnection
    let failFromInsert: Int?
    private let inserts = Mutex(0)

    init(base: any SQLConnection, failFromInsert: Int?) {
        self.base = base
        self.failFromInsert = failFromInsert
    }

    var dialect: SQLDialect { base.dialect }

    func query(_ query: SQLQuery) async throws -> [SQLRow] { try await base.query(query) }

    func execute(_ query: SQLQuery) async throws -> SQLExecution {
        let result = try await base.execute(query)
        guard let failFromInsert, query.sql.hasPrefix("INSERT INTO audit_log") else { return result }
        let count = inserts.withLock { count in
            count += 1
            return count
        }
        if count >= failFromInsert { throw GatedDatabase.InjectedFailure() }
        return result
    }
}
