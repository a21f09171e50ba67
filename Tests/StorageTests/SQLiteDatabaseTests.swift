// Copyright (c) the Gatehouse authors
import Foundation
import Logging
import Storage
import StorageTestSupport
import Synchronization
import Testing

/// SQLite-only behaviour: the file, its pragmas, and lock contention.
@Suite struct SQLiteDatabaseTests {
    private func temporaryDirectory() -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("gatehouse-sqlite-\(UUID().uuidString)")
    }

    @Test func databaseFileIsCreatedWithItsParentDirectories() async throws {
        let root = temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        let path = root.appendingPathComponent("nested/deeper/gatehouse.sqlite").path
        try await DatabaseConfiguration.sqlite(SQLiteConfiguration(path: path)).withDatabase(logger: logger) { db in
            try await db.execute("CREATE TABLE t (x INTEGER)", logger: logger)
        }
        #expect(FileManager.default.fileExists(atPath: path))
    }

    @Test func everyConnectionUsesWALForeignKeysAndFullSync() async throws {
        try await withTestDatabase(.sqlite, options: .init(migrate: false, maxConnections: 3)) { db in
            // Hold three connections at once so each pool connection answers.
            try await withThrowingTaskGroup(of: [SQLValue].self) { group in
                let allHeld = Signal()
                let held = Counter()
                for _ in 0..<3 {
                    group.addTask {
                        try await db.withConnection(logger: logger) { connection in
                            if held.increment() == 3 { allHeld.fire() }
                            await allHeld.wait()
                            let mode = try await connection.query("PRAGMA journal_mode")[0].values[0]
                            let keys = try await connection.query("PRAGMA foreign_keys")[0].values[0]
                            let sync = try await connection.query("PRAGMA synchronous")[0].values[0]
                            return [mode, keys, sync]
                        }
                    }
                }
                for try await settings in group {
                    #expect(settings == [.text("wal"), .integer(1), .integer(2)])
                }
            }
            #expect(db.poolStatistics.idle == 3)
        }
    }

    @Test func writeLockHeldLongerThanTheBusyTimeoutIsBusy() async throws {
        let options = TestDatabaseOptions(migrate: false, maxConnections: 2, busyTimeout: .milliseconds(100))
        try await withTestDatabase(.sqlite, options: options) { db in
            try await db.execute("CREATE TABLE t (x INTEGER)", logger: logger)
            let locked = Signal()
            let release = Signal()
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    try await db.withTransaction(logger: logger) { connection in
                        _ = try await connection.execute("INSERT INTO t (x) VALUES (1)")
                        locked.fire()
                        await release.wait()
                    }
                }
                await locked.wait()
                let error = await storageError {
                    try await db.withTransaction(logger: logger) { connection in
                        _ = try await connection.execute("INSERT INTO t (x) VALUES (2)")
                    }
                }
                #expect(error?.code == .busy)
                release.fire()
                try await group.waitForAll()
            }
            #expect(try await db.count("t") == 1)
        }
    }

    @Test func aSecondProcessSeesCommittedWrites() async throws {
        // Two independent pools on one file stand in for two processes.
        let root = temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        let path = root.appendingPathComponent("shared.sqlite").path
        let first = try SQLiteDatabase(path: path, logger: logger)
        let second = try SQLiteDatabase(path: path, logger: logger)
        do {
            try await first.execute("CREATE TABLE t (x INTEGER)", logger: logger)
            try await first.withTransaction(logger: logger) { try await $0.execute("INSERT INTO t (x) VALUES (42)") }
            let rows = try await second.query("SELECT x FROM t", logger: logger)
            #expect(rows.map { $0["x"] } == [.integer(42)])
        } catch {
            await first.shutdown()
            await second.shutdown()
            throw error
        }
        await first.shutdown()
        await second.shutdown()
    }

    @Test func multipleStatementsInOneQueryAreRejected() async throws {
        try await withTestDatabase(.sqlite, options: .init(migrate: false)) { db in
            try await db.execute("CREATE TABLE t (x INTEGER)", logger: logger)
            let error = await storageError {
                try await db.execute("INSERT INTO t (x) VALUES (1); DROP TABLE t", logger: logger)
            }
            #expect(error?.code == .statementFailed)
            #expect(try await db.count("t") == 0)
        }
    }
}

/// A thread-safe counter for tests.
final class Counter: Sendable {
    private let value = Mutex(0)
    func increment() -> Int { value.withLock { $0 += 1; return $0 } }
}
