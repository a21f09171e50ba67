// Copyright (c) the Gatehouse authors
import Foundation
import Logging
import Storage
import StorageTestSupport
import Testing

/// MariaDB-only behaviour: dropped connections, session settings, socket connections, login errors.
@Suite(.mariaDBAvailable) struct MariaDBDatabaseTests {
    /// A second, independent pool on the same database, for `KILL CONNECTION` from "another process".
    private func withKiller(of db: any SQLDatabase, _ body: (MariaDBDatabase) async throws -> Void) async throws {
        let mariaDB = try #require(db as? MariaDBDatabase)
        var configuration = mariaDB.configuration
        configuration.maxConnections = 1
        let killer = try MariaDBDatabase(configuration: configuration, logger: logger)
        do {
            try await body(killer)
        } catch {
            await killer.shutdown()
            throw error
        }
        await killer.shutdown()
    }

    private func connectionID(_ connection: any SQLConnection) async throws -> Int64 {
        try await connection.query("SELECT CONNECTION_ID() AS id")[0].decode("id")
    }

    private func kill(_ id: Int64, using killer: MariaDBDatabase) async throws {
        try await killer.execute("KILL CONNECTION \(id)", logger: logger)
    }

    @Test func killedIdleConnectionIsReplacedWithoutARestart() async throws {
        try await withTestDatabase(.mariadb, options: .init(migrate: false, maxConnections: 1)) { db in
            try await db.createKindsTable()
            let first = try await db.withConnection(logger: logger) { try await connectionID($0) }
            try await withKiller(of: db) { killer in try await kill(first, using: killer) }

            // The next write (a cached prepared statement on the dead connection) just works.
            try await db.execute("INSERT INTO kinds (label) VALUES ('after kill')", logger: logger)
            let second = try await db.withConnection(logger: logger) { try await connectionID($0) }
            #expect(second != first)
            #expect(try await db.count("kinds") == 1)
        }
    }

    @Test func firstStatementOfABorrowIsRetriedWhenTheConnectionDiesUnderIt() async throws {
        try await withTestDatabase(.mariadb, options: .init(migrate: false, maxConnections: 1)) { db in
            let first = try await db.withConnection(logger: logger) { try await connectionID($0) }
            try await withKiller(of: db) { killer in
                let seen = try await db.withConnection(logger: logger) { connection in
                    // Borrowed (and checked) while alive; killed before its first statement.
                    try await kill(first, using: killer)
                    return try await connectionID(connection)
                }
                #expect(seen != first)
            }
        }
    }

    @Test func connectionKilledInsideATransactionSurfacesAsConnectionLost() async throws {
        try await withTestDatabase(.mariadb, options: .init(migrate: false, maxConnections: 2)) { db in
            try await db.createKindsTable()
            try await withKiller(of: db) { killer in
                let error = await storageError {
                    try await db.withTransaction(logger: logger) { connection in
                        try await connection.execute("INSERT INTO kinds (label) VALUES ('lost')")
                        try await kill(try await connectionID(connection), using: killer)
                        try await connection.execute("INSERT INTO kinds (label) VALUES ('never')")
                    }
                }
                #expect(error?.code == .connectionLost)
            }
            // The server rolled the transaction back, and the pool serves a fresh connection.
            #expect(try await db.count("kinds") == 0)
            try await db.withTransaction(logger: logger) { try await $0.execute("INSERT INTO kinds (label) VALUES ('ok')") }
            #expect(try await db.count("kinds") == 1)
            #expect(db.poolStatistics.leased == 0)
        }
    }

    @Test func sessionsUseUTCReadCommittedAndUTF8MB4() async throws {
        try await withTestDatabase(.mariadb, options: .init(migrate: false)) { db in
            let rows = try await db.query(
                """
                SELECT @@session.time_zone AS tz, @@session.tx_isolation AS iso, @@session.autocommit AS ac,
                       @@session.character_set_connection AS cs, 'a' || 'b' AS concatenated
                """,
                logger: logger
            )
            #expect(rows.first?["tz"] == .text("+00:00"))
            #expect(rows.first?["iso"] == .text("READ-COMMITTED"))
            #expect(rows.first?["ac"] == .integer(1))
            #expect(rows.first?["cs"] == .text("utf8mb4"))
            #expect(rows.first?["concatenated"] == .text("ab"))
        }
    }

    @Test func decimalsAndDatesReadAsTextWhileBinaryStringsReadAsBytes() async throws {
        try await withTestDatabase(.mariadb, options: .init(migrate: false)) { db in
            let rows = try await db.query(
                """
                SELECT CAST(12.50 AS DECIMAL(10,2)) AS d, CAST('2024-05-01 10:00:00' AS DATETIME) AS dt,
                       CAST('abc' AS BINARY) AS bin, CAST(18446744073709551615 AS UNSIGNED) AS big, NULL AS nothing
                """,
                logger: logger
            )
            #expect(rows.first?["d"] == .text("12.50"))
            #expect(rows.first?["dt"] == .text("2024-05-01 10:00:00"))
            #expect(rows.first?["bin"] == .blob(Array("abc".utf8)))
            #expect(rows.first?["big"] == .text("18446744073709551615"))
            #expect(rows.first?["nothing"] == .null)
        }
    }

    @Test func unixSocketURLConnects() async throws {
        try await withTestDatabase(.mariadb, options: .init(migrate: false)) { db in
            let socket: String = try await db.query("SELECT @@socket AS s", logger: logger)[0].decode("s")
            try #require(FileManager.default.fileExists(atPath: socket), "the test server's socket is on this machine")
            let server = try TestDatabases.mariaDBServerConfiguration()
            let encodedPassword = try #require(server.password.addingPercentEncoding(withAllowedCharacters: .alphanumerics))
            let url = "mariadb://\(server.username):\(encodedPassword)@localhost/?socket=\(socket)"
            let configuration = try DatabaseConfiguration(url: url, dataDirectory: "/unused")
            guard case .mariadb(let parsed) = configuration else {
                Issue.record("expected a MariaDB configuration")
                return
            }
            #expect(parsed.endpoint == .unixSocket(path: socket))
            let viaSocket = try await configuration.withDatabase(logger: logger) { socketDB in
                try await socketDB.query("SELECT 1 AS one", logger: logger)[0].decode("one", as: Int.self)
            }
            #expect(viaSocket == 1)
        }
    }

    @Test func failedLoginNeverShowsThePassword() async throws {
        var configuration = try TestDatabases.mariaDBServerConfiguration()
        configuration.password = "wrong-Passw0rd-for-test"
        let db = try MariaDBDatabase(configuration: configuration, logger: logger)
        let error = await storageError { _ = try await db.query("SELECT 1 AS one", logger: logger) }
        await db.shutdown()
        #expect(error?.code == .connectionFailed)
        #expect(error.map { !"\($0)".contains("wrong-Passw0rd") && !String(reflecting: $0).contains("wrong-Passw0rd") } == true)
        #expect(!"\(configuration)".contains("wrong-Passw0rd"))
    }

    @Test func unreachableServerFailsFastWithConnectionFailed() async throws {
        // Port 1 on loopback: nothing listens, so the connect is refused at once.
        let configuration = MariaDBConfiguration(endpoint: .tcp(host: "127.0.0.1", port: 1), username: "nobody", password: "x", database: nil)
        let db = try MariaDBDatabase(configuration: configuration, logger: logger)
        let error = await storageError { _ = try await db.query("SELECT 1 AS one", logger: logger) }
        await db.shutdown()
        #expect(error?.code == .connectionFailed)
    }
}

private let restartDirectory = ProcessInfo.processInfo.environment["GATEHOUSE_TEST_MARIADB_RESTART_DIR"].flatMap { $0.isEmpty ? nil : $0 }

/// Opt-in: restarts a dedicated MariaDB server (never the shared test server) under a live pool.
///
/// `scripts/mariadb-test-server start /tmp/gh-mdb-restart` then run the tests with
/// `GATEHOUSE_TEST_MARIADB_RESTART_DIR=/tmp/gh-mdb-restart`; the test stops that server and starts it again
/// on the same port.
@Suite(.enabled(if: restartDirectory != nil, "GATEHOUSE_TEST_MARIADB_RESTART_DIR is not set: restart test skipped"))
struct MariaDBRestartTests {
    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../scripts/mariadb-test-server").standardized.path

    private func runScript(_ arguments: [String], port: Int) async throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.script)
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(["MARIADB_TEST_PORT": "\(port)"]) { $1 }
        process.standardOutput = FileHandle.nullDevice
        let status: Int32 = try await withCheckedThrowingContinuation { continuation in
            process.terminationHandler = { continuation.resume(returning: $0.terminationStatus) }
            do { try process.run() } catch { continuation.resume(throwing: error) }
        }
        #expect(status == 0, "mariadb-test-server \(arguments.joined(separator: " "))")
    }

    @Test func poolSurvivesAServerRestart() async throws {
        let directory = try #require(restartDirectory)
        let env = try String(contentsOfFile: directory + "/env", encoding: .utf8)
        let line = try #require(env.split(separator: "\n").first { $0.hasPrefix("GATEHOUSE_TEST_MARIADB_URL=") })
        var configuration = try MariaDBConfiguration(url: String(line.dropFirst("GATEHOUSE_TEST_MARIADB_URL=".count)))
        guard case .tcp(_, let port) = configuration.endpoint else {
            Issue.record("expected a TCP URL")
            return
        }
        configuration.maxConnections = 3
        let db = try MariaDBDatabase(configuration: configuration, logger: logger)
        do {
            // Three connections open and idle in the pool.
            try await withThrowingTaskGroup(of: Void.self) { group in
                let ready = Counter()
                let all = Signal()
                for _ in 0..<3 {
                    group.addTask {
                        try await db.withConnection(logger: logger) { connection in
                            _ = try await connection.query("SELECT 1 AS one")
                            if ready.increment() == 3 { all.fire() }
                            await all.wait()
                        }
                    }
                }
                try await group.waitForAll()
            }
            #expect(db.poolStatistics.idle == 3)

            try await runScript(["stop", directory], port: port)
            try await runScript(["start", directory], port: port)

            // Every idle connection died with the old server; the next statements just work.
            for _ in 0..<5 {
                let rows = try await db.query("SELECT 1 AS one", logger: logger)
                #expect(rows.first?["one"] == .integer(1))
            }
            try await db.withTransaction(logger: logger) { connection in
                _ = try await connection.query("SELECT CONNECTION_ID() AS id")
            }
        } catch {
            await db.shutdown()
            throw error
        }
        await db.shutdown()
    }
}
