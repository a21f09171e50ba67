// Copyright (c) the Gatehouse authors
import Logging
import Storage
import StorageTestSupport
import Testing

let logger = TestDatabases.logger

extension SQLDatabase {
    /// Creates a scratch table with one column per value kind.
    func createKindsTable() async throws {
        let d = dialect
        try await execute(
            SQLQuery(
                unsafeSQL: """
                    CREATE TABLE kinds (
                        id \(d.autoIncrementPrimaryKey),
                        label VARCHAR(64) NOT NULL,
                        i \(d.bigint) NULL,
                        t \(d.text) NULL,
                        b \(d.blob) NULL
                    )\(d.tableOptions)
                    """
            ),
            logger: logger
        )
    }

    /// Creates a scratch table with a unique text column.
    func createUniqueTable() async throws {
        let d = dialect
        try await execute(
            SQLQuery(
                unsafeSQL: """
                    CREATE TABLE uniq (
                        id \(d.autoIncrementPrimaryKey),
                        code VARCHAR(64) NOT NULL UNIQUE,
                        note VARCHAR(64) NULL
                    )\(d.tableOptions)
                    """
            ),
            logger: logger
        )
    }

    func count(_ table: String) async throws -> Int {
        let rows = try await query(SQLQuery(unsafeSQL: "SELECT COUNT(*) AS n FROM \(table)"), logger: logger)
        return try rows[0].decode("n")
    }
}

/// A one-shot signal between tasks, awaited without polling.
final class Signal: Sendable {
    private let stream: AsyncStream<Void>
    private let continuation: AsyncStream<Void>.Continuation

    init() {
        (stream, continuation) = AsyncStream.makeStream(of: Void.self)
    }

    func fire() {
        continuation.yield()
        continuation.finish()
    }

    func wait() async {
        for await _ in stream { return }
    }
}

/// Runs `body` and returns the `StorageError` it throws (`nil` and a recorded issue otherwise).
func storageError(_ body: () async throws -> Void) async -> StorageError? {
    do {
        try await body()
    } catch let error as StorageError {
        return error
    } catch {
        Issue.record("expected a StorageError, got \(String(reflecting: error))")
        return nil
    }
    Issue.record("expected a StorageError, but nothing was thrown")
    return nil
}
