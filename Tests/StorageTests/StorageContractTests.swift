// Copyright (c) the Gatehouse authors
import GatehouseApp
import Logging
@testable import Storage
import ServiceLifecycle
import StorageTestSupport
import Testing

/// The behaviour every backend must share. Each test runs against SQLite and MariaDB.
@Suite struct StorageContractTests {
    // MARK: Values

    @Test(arguments: TestDatabases.backends)
    func everyValueKindRoundTripsUnchanged(backend: TestBackend) async throws {
        try await withTestDatabase(backend, options: .init(migrate: false)) { db in
            try await db.createKindsTable()
            let longText = String(repeating: "Thanh toán phòng 302 — Nguyễn Văn An 💸🏠 ", count: 300)
            var longBlob = [UInt8](repeating: 0, count: 4000)
            for index in longBlob.indices where index % 3 == 0 { longBlob[index] = UInt8(index % 256) }
            let cases: [(label: String, i: SQLValue, t: SQLValue, b: SQLValue)] = [
                ("max", .integer(.max), .text("Tiếng Việt: Đặt phòng thành công ✅"), .blob([0, 255, 0, 1, 0])),
                ("min", .integer(.min), .text("emoji 4 bytes: 🏨🧾💳"), .blob([0])),
                ("zero", .integer(0), .text(""), .blob([])),
                ("nulls", .null, .null, .null),
                ("long", .integer(-1), .text(longText), .blob(longBlob)),
            ]
            var ids: [Int64] = []
            for row in cases {
                let result = try await db.execute(
                    "INSERT INTO kinds (label, i, t, b) VALUES (\(row.label), \(row.i), \(row.t), \(row.b))",
                    logger: logger
                )
                #expect(result.affectedRows == 1)
                ids.append(try #require(result.lastInsertID))
            }
            #expect(ids == ids.sorted() && Set(ids).count == ids.count)

            let rows = try await db.query("SELECT id, label, i, t, b FROM kinds ORDER BY id", logger: logger)
            #expect(rows.count == cases.count)
            for (row, expected) in zip(rows, cases) {
                #expect(row.columns == ["id", "label", "i", "t", "b"])
                #expect(row["label"] == .text(expected.label))
                #expect(row["i"] == expected.i, "integer of \(expected.label)")
                #expect(row["t"] == expected.t, "text of \(expected.label)")
                #expect(row["b"] == expected.b, "blob of \(expected.label)")
            }
            let maxRow = try #require(rows.first)
            #expect(try maxRow.decode("i", as: Int64.self) == .max)
            #expect(try maxRow.decode("b", as: [UInt8].self) == [0, 255, 0, 1, 0])
            #expect(try rows[3].decodeIfPresent("t", as: String.self) == nil)
        }
    }

    @Test(arguments: TestDatabases.backends)
    func boundParametersWithSQLMetacharactersStayData(backend: TestBackend) async throws {
        try await withTestDatabase(backend, options: .init(migrate: false)) { db in
            try await db.createKindsTable()
            let hostile = [
                "x'); DROP TABLE kinds; --",
                "' OR '1'='1",
                "\\'; SELECT 1; -- \" ` ?",
                "%_*",
                "nul\u{0}inside",
            ]
            for value in hostile {
                try await db.execute("INSERT INTO kinds (label, t) VALUES ('hostile', \(value))", logger: logger)
            }
            #expect(try await db.count("kinds") == hostile.count)
            for value in hostile {
                let rows = try await db.query("SELECT t FROM kinds WHERE t = \(value)", logger: logger)
                #expect(rows.map { $0["t"] } == [.text(value)])
            }
            let none = try await db.query("SELECT id FROM kinds WHERE label = \("' OR '1'='1")", logger: logger)
            #expect(none.isEmpty)
            let listed = try await db.query("SELECT t FROM kinds WHERE t IN \(list: [hostile[0], hostile[4]]) ORDER BY id", logger: logger)
            #expect(listed.map { $0["t"] } == [.text(hostile[0]), .text(hostile[4])])
        }
    }

    @Test(arguments: TestDatabases.backends)
    func wrongNumberOfBoundValuesIsRejected(backend: TestBackend) async throws {
        try await withTestDatabase(backend, options: .init(migrate: false)) { db in
            let error = await storageError {
                _ = try await db.query(SQLQuery(unsafeSQL: "SELECT ? AS a, ? AS b", binds: [.integer(1)]), logger: logger)
            }
            #expect(error?.code == .statementFailed)
            // The connection is still fine afterwards.
            let rows = try await db.query("SELECT \(7) AS a", logger: logger)
            #expect(try rows[0].decode("a", as: Int.self) == 7)
        }
    }

    @Test(arguments: TestDatabases.backends)
    func updateReportsMatchedRowsAndInsertReportsItsID(backend: TestBackend) async throws {
        try await withTestDatabase(backend, options: .init(migrate: false)) { db in
            try await db.createKindsTable()
            let inserted = try await db.execute("INSERT INTO kinds (label, i) VALUES ('a', 5)", logger: logger)
            let id = try #require(inserted.lastInsertID)
            // Same value: MariaDB would say 0 "changed" rows; both backends report the matched row.
            let same = try await db.execute("UPDATE kinds SET i = 5 WHERE id = \(id)", logger: logger)
            #expect(same.affectedRows == 1)
            #expect(same.lastInsertID == nil)
            let missing = try await db.execute("UPDATE kinds SET i = 6 WHERE id = \(id + 1000)", logger: logger)
            #expect(missing.affectedRows == 0)
            let deleted = try await db.execute("DELETE FROM kinds WHERE label = 'a'", logger: logger)
            #expect(deleted.affectedRows == 1)
        }
    }

    @Test(arguments: TestDatabases.backends)
    func aJoinedRowGivesEachTableItsOwnColumnsBack(backend: TestBackend) async throws {
        try await withTestDatabase(backend, options: .init(migrate: false)) { db in
            try await db.createKindsTable()
            let a = try #require(try await db.execute("INSERT INTO kinds (label, i) VALUES ('a', 5)", logger: logger).lastInsertID)
            let b = try #require(try await db.execute("INSERT INTO kinds (label, i) VALUES ('b', 7)", logger: logger).lastInsertID)
            #expect(SQLRow.select("id, label,\n i", of: "x") == "x.id AS x_id, x.label AS x_label, x.i AS x_i")
            let select = SQLRow.select("id, label, i", of: "x") + ", " + SQLRow.select("id, label, i", of: "y")
            let row = try #require(
                try await db.query(
                    "SELECT \(unescaped: select) FROM kinds x LEFT JOIN kinds y ON y.id = \(b) WHERE x.id = \(a)", logger: logger
                ).first)
            let x = row.part("x"), y = row.part("y")
            #expect(x.columns == ["id", "label", "i"] && y.columns == ["id", "label", "i"])
            #expect(try x.decode("label", as: String.self) == "a" && x.decode("i", as: Int64.self) == 5)
            #expect(try y.decode("label", as: String.self) == "b" && y.decode("id", as: Int64.self) == b)
            // A table the join found no row of: its part is all NULL.
            let none = try #require(
                try await db.query(
                    "SELECT \(unescaped: select) FROM kinds x LEFT JOIN kinds y ON y.id = -1 WHERE x.id = \(a)", logger: logger
                ).first)
            #expect(none.part("y").values.allSatisfy { $0 == .null })
        }
    }

    // MARK: Transactions

    @Test(arguments: TestDatabases.backends)
    func committedTransactionIsVisibleToOtherConnections(backend: TestBackend) async throws {
        try await withTestDatabase(backend, options: .init(migrate: false)) { db in
            try await db.createKindsTable()
            let returned = try await db.withTransaction(logger: logger) { connection in
                try await connection.execute("INSERT INTO kinds (label) VALUES ('one')")
                try await connection.execute("INSERT INTO kinds (label) VALUES ('two')")
                return try await connection.query("SELECT COUNT(*) AS n FROM kinds")[0].decode("n", as: Int.self)
            }
            #expect(returned == 2)
            #expect(try await db.count("kinds") == 2)
        }
    }

    struct Abort: Error, Equatable {}

    @Test(arguments: TestDatabases.backends)
    func throwingTransactionWritesNothing(backend: TestBackend) async throws {
        try await withTestDatabase(backend, options: .init(migrate: false)) { db in
            try await db.createKindsTable()
            try await db.execute("INSERT INTO kinds (label) VALUES ('before')", logger: logger)
            await #expect(throws: Abort()) {
                try await db.withTransaction(logger: logger) { connection in
                    try await connection.execute("INSERT INTO kinds (label) VALUES ('inside')")
                    try await connection.execute("UPDATE kinds SET label = 'changed' WHERE label = 'before'")
                    throw Abort()
                }
            }
            let labels = try await db.query("SELECT label FROM kinds", logger: logger).map { try $0.decode("label", as: String.self) }
            #expect(labels == ["before"])
        }
    }

    @Test(arguments: TestDatabases.backends)
    func transactionLeftOpenByAManualBeginIsRolledBackOnReturn(backend: TestBackend) async throws {
        try await withTestDatabase(backend, options: .init(migrate: false, maxConnections: 1)) { db in
            try await db.createKindsTable()
            let begin: SQLQuery = backend == .sqlite ? "BEGIN" : "START TRANSACTION"
            try await db.withConnection(logger: logger) { connection in
                try await connection.execute(begin)
                try await connection.execute("INSERT INTO kinds (label) VALUES ('dangling')")
            }
            // The next borrower of the only connection must not inherit the open transaction.
            #expect(try await db.count("kinds") == 0)
            try await db.withTransaction(logger: logger) { connection in
                try await connection.execute("INSERT INTO kinds (label) VALUES ('clean')")
            }
            #expect(try await db.count("kinds") == 1)
        }
    }

    @Test(arguments: TestDatabases.backends)
    func concurrentReadThenWriteTransactionsLoseNoUpdate(backend: TestBackend) async throws {
        // Correctness, not speed, is tested: generous timeouts so a loaded machine (CI, parallel tests) cannot fail it.
        try await withTestDatabase(backend, options: .init(migrate: false, acquireTimeout: .seconds(120), busyTimeout: .seconds(60))) { db in
            let d = db.dialect
            try await db.execute(SQLQuery(unsafeSQL: "CREATE TABLE counter (id \(d.bigint) NOT NULL PRIMARY KEY, n \(d.bigint) NOT NULL)\(d.tableOptions)"), logger: logger)
            try await db.execute("INSERT INTO counter (id, n) VALUES (1, 0)", logger: logger)
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<50 {
                    group.addTask {
                        try await db.withTransaction(logger: logger) { connection in
                            let rows = try await connection.query("SELECT n FROM counter WHERE id = 1\(unescaped: connection.dialect.forUpdate)")
                            let n: Int64 = try rows[0].decode("n")
                            try await connection.execute("UPDATE counter SET n = \(n + 1) WHERE id = 1")
                        }
                    }
                }
                try await group.waitForAll()
            }
            let rows = try await db.query("SELECT n FROM counter WHERE id = 1", logger: logger)
            #expect(try rows[0].decode("n", as: Int.self) == 50)
        }
    }

    // MARK: Errors

    @Test(arguments: TestDatabases.backends)
    func duplicateKeyIsATypedError(backend: TestBackend) async throws {
        try await withTestDatabase(backend, options: .init(migrate: false)) { db in
            try await db.createUniqueTable()
            try await db.execute("INSERT INTO uniq (code) VALUES ('A-1')", logger: logger)
            let plain = await storageError {
                try await db.execute("INSERT INTO uniq (code) VALUES ('A-1')", logger: logger)
            }
            #expect(plain?.code == .duplicate)

            let inTransaction = await storageError {
                try await db.withTransaction(logger: logger) { connection in
                    try await connection.execute("INSERT INTO uniq (code) VALUES ('B-1')")
                    try await connection.execute("INSERT INTO uniq (code) VALUES ('A-1')")
                }
            }
            #expect(inTransaction?.code == .duplicate)
            // The transaction rolled back, and the same borrow can go on after a duplicate.
            try await db.withConnection(logger: logger) { connection in
                await #expect(throws: StorageError.self) { try await connection.execute("INSERT INTO uniq (code) VALUES ('A-1')") }
                try await connection.execute("INSERT INTO uniq (code) VALUES ('C-1')")
            }
            let codes = try await db.query("SELECT code FROM uniq ORDER BY code", logger: logger).map { try $0.decode("code", as: String.self) }
            #expect(codes == ["A-1", "C-1"])
        }
    }

    @Test(arguments: TestDatabases.backends)
    func schemaConstraintsAreTypedErrors(backend: TestBackend) async throws {
        try await withTestDatabase(backend) { db in
            // Foreign key: no owner 999.
            let foreignKey = await storageError {
                try await db.execute(
                    "INSERT INTO renter (owner_id, name, email, created_at) VALUES (999, 'An', 'an@example.vn', 0)",
                    logger: logger
                )
            }
            #expect(foreignKey?.code == .constraint)
            // NOT NULL.
            let notNull = await storageError {
                try await db.execute("INSERT INTO owner (name, email, webhook_key, created_at, updated_at) VALUES (NULL, 'a@b.vn', 'k', 0, 0)", logger: logger)
            }
            #expect(notNull?.code == .constraint)
            // VARCHAR(16) is enforced on both backends.
            let tooLong = await storageError {
                try await db.execute(
                    "INSERT INTO owner (name, email, status, webhook_key, created_at, updated_at) VALUES ('n', 'a@b.vn', \(String(repeating: "x", count: 17)), 'k', 0, 0)",
                    logger: logger
                )
            }
            #expect(tooLong?.code == .constraint)
            // A blob column holds at most SQLDialect.blobMaximumBytes on both backends.
            let tooBig = await storageError {
                try await db.execute(
                    "INSERT INTO admin_token (name, prefix, token_hash, created_at) VALUES ('t', 'p', \([UInt8](repeating: 7, count: SQLDialect.blobMaximumBytes + 1)), 0)",
                    logger: logger
                )
            }
            #expect(tooBig?.code == .constraint)
            // Defaults apply, and a 16-character Vietnamese value fits (characters, not bytes).
            try await db.execute(
                "INSERT INTO owner (name, email, webhook_key, created_at, updated_at) VALUES ('Chủ nhà', 'a@b.vn', \("ệệệệệệệệệệệệệệệệ"), 0, 0)",
                logger: logger
            )
            let owner = try await db.query("SELECT status, onboarding_state FROM owner", logger: logger)
            #expect(owner.first?["status"] == .text("active"))
            #expect(owner.first?["onboarding_state"] == .text("pending"))
        }
    }

    @Test(arguments: TestDatabases.backends)
    func errorDescriptionsCarryNeitherBoundValuesNorSQL(backend: TestBackend) async throws {
        try await withTestDatabase(backend, options: .init(migrate: false)) { db in
            try await db.createUniqueTable()
            let secret = "sk_live_4f9a1c-SECRET-VALUE"
            try await db.execute("INSERT INTO uniq (code) VALUES (\(secret))", logger: logger)
            let duplicate = try #require(await storageError {
                try await db.execute("INSERT INTO uniq (code, note) VALUES (\(secret), \("note-\(secret)"))", logger: logger)
            })
            let syntax = try #require(await storageError {
                _ = try await db.query("SELEKT \(secret) AS broken FROM uniq", logger: logger)
            })
            for error in [duplicate, syntax] {
                #expect(!error.description.contains(secret))
                #expect(!error.description.contains("uniq"))
                #expect(!"\(error)".contains(secret))
                #expect(!error.detail.contains("note-"))
            }
            #expect(syntax.code == .statementFailed)
        }
    }

    // MARK: Pool

    @Test(arguments: TestDatabases.backends)
    func exhaustedPoolFailsWithPoolTimeout(backend: TestBackend) async throws {
        let options = TestDatabaseOptions(migrate: false, maxConnections: 1, acquireTimeout: .milliseconds(200))
        try await withTestDatabase(backend, options: options) { db in
            let acquired = Signal()
            let release = Signal()
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    try await db.withConnection(logger: logger) { _ in
                        acquired.fire()
                        await release.wait()
                    }
                }
                await acquired.wait()
                let error = await storageError {
                    try await db.withConnection(logger: logger) { _ in }
                }
                #expect(error?.code == .poolTimeout)
                release.fire()
                try await group.waitForAll()
            }
            // Once returned, the connection serves the next borrower.
            let rows = try await db.query("SELECT 1 AS one", logger: logger)
            #expect(try rows[0].decode("one", as: Int.self) == 1)
        }
    }

    @Test(arguments: TestDatabases.backends)
    func waitersAreServedInArrivalOrder(backend: TestBackend) async throws {
        let options = TestDatabaseOptions(migrate: false, maxConnections: 1)
        try await withTestDatabase(backend, options: options) { db in
            try await db.createKindsTable()
            let acquired = Signal()
            let release = Signal()
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    try await db.withConnection(logger: logger) { _ in
                        acquired.fire()
                        await release.wait()
                    }
                }
                await acquired.wait()
                // Queue five borrowers one after another, each only once the previous one is waiting.
                for index in 0..<5 {
                    group.addTask {
                        try await db.withConnection(logger: logger) { connection in
                            _ = try await connection.execute("INSERT INTO kinds (label) VALUES (\("w\(index)"))")
                        }
                    }
                    try await waitUntil { db.poolStatistics.waiting == index + 1 }
                }
                release.fire()
                try await group.waitForAll()
            }
            let labels = try await db.query("SELECT label FROM kinds ORDER BY id", logger: logger).map { try $0.decode("label", as: String.self) }
            #expect(labels == ["w0", "w1", "w2", "w3", "w4"])
        }
    }

    @Test(arguments: TestDatabases.backends)
    func connectionUsedAfterItsClosureReturnedIsRefused(backend: TestBackend) async throws {
        try await withTestDatabase(backend, options: .init(migrate: false)) { db in
            let leaked = try await db.withConnection(logger: logger) { connection in connection }
            let error = await storageError { _ = try await leaked.query("SELECT 1 AS one") }
            #expect(error?.code == .statementFailed)
        }
    }

    @Test(arguments: TestDatabases.backends)
    func shutDownDatabaseRefusesBorrowsAndRunReturnsOnCancellation(backend: TestBackend) async throws {
        try await withTestDatabase(backend, options: .init(migrate: false)) { db in
            _ = try await db.query("SELECT 1 AS one", logger: logger)
            let service = Task { try await db.run() }
            service.cancel()
            try await service.value
            let error = await storageError { _ = try await db.query("SELECT 1 AS one", logger: logger) }
            #expect(error?.code == .poolShutdown)
        }
    }

    @Test(arguments: TestDatabases.backends)
    func gracefulShutdownOfAServiceGroupClosesEveryConnection(backend: TestBackend) async throws {
        try await withTestDatabase(backend, options: .init(migrate: false)) { db in
            let group = ServiceGroup(services: [db], logger: logger)
            try await withThrowingTaskGroup(of: Void.self) { tasks in
                tasks.addTask { try await group.run() }
                let rows = try await db.query("SELECT 1 AS one", logger: logger)
                #expect(rows.count == 1)
                #expect(db.poolStatistics.idle == 1)
                await group.triggerGracefulShutdown()
                try await tasks.waitForAll()
            }
            let statistics = db.poolStatistics
            #expect(statistics.idle == 0 && statistics.leased == 0 && statistics.opening == 0)
            let error = await storageError { _ = try await db.query("SELECT 1 AS one", logger: logger) }
            #expect(error?.code == .poolShutdown)
        }
    }

    // MARK: Migrations

    /// Version 1 exactly as notes/schema.md describes it (later versions are checked by the suites of the work that
    /// added them, so this catalogue stays the v1 contract).
    @Test(arguments: TestDatabases.backends)
    func migrationsCreateEveryTableColumnAndIndexOfTheSchema(backend: TestBackend) async throws {
        try await withTestDatabase(backend, options: .init(migrate: false)) { db in
            let v1 = Migrator(migrations: Array(GatehouseSchema.migrations.prefix(1)))
            let applied = try await v1.migrate(db, logger: logger)
            #expect(applied == [AppliedMigration(version: 1, name: "v1 schema")])

            let catalog = try await Catalog.read(db)
            #expect(Set(catalog.tables.keys) == Set(ExpectedSchema.columns.keys).union(["schema_migrations"]))
            for (table, columns) in ExpectedSchema.columns {
                #expect(catalog.tables[table]?.columns == columns, "columns of \(table)")
            }
            for (table, indexes) in ExpectedSchema.indexes {
                for (name, columns) in indexes {
                    let found = catalog.tables[table]?.indexes[name]
                    #expect(found?.columns == columns, "index \(name) on \(table)")
                    #expect(found?.unique == false, "index \(name) is not unique")
                }
            }
            for (table, uniqueSets) in ExpectedSchema.uniqueKeys {
                let unique = Set(catalog.tables[table]?.indexes.values.filter(\.unique).map(\.columns) ?? [])
                for columns in uniqueSets {
                    #expect(unique.contains(columns), "unique key \(columns) on \(table)")
                }
            }

            let again = try await v1.migrate(db, logger: logger)
            #expect(again.isEmpty)
            let versions = try await db.query("SELECT version, name FROM schema_migrations", logger: logger)
            #expect(versions.map { $0["version"] } == [.integer(1)])
            #expect(try await Catalog.read(db) == catalog)
        }
    }

    @Test(arguments: TestDatabases.backends)
    func migratorRefusesADatabaseNewerThanTheCode(backend: TestBackend) async throws {
        try await withTestDatabase(backend) { db in
            try await db.execute("INSERT INTO schema_migrations (version, name, applied_at) VALUES (99, 'from the future', 0)", logger: logger)
            let error = await storageError { try await db.migrate(logger: logger) }
            #expect(error?.code == .migrationFailed)
            #expect(error?.description.contains("99") == true)
        }
    }

    @Test(arguments: TestDatabases.backends)
    func migratorAppliesPendingMigrationsInVersionOrderAndResumesAHalfAppliedOne(backend: TestBackend) async throws {
        try await withTestDatabase(backend, options: .init(migrate: false)) { db in
            let first = SQLTable("alpha", columns: [.varchar("name", 20)], indexes: [SQLIndex("idx_alpha_name", ["name"])])
            let second = SQLTable("beta", columns: [.bigint("alpha_id")], foreignKeys: [SQLForeignKey("fk_beta_alpha", ["alpha_id"], references: "alpha")])
            let migrations = [
                Migration(version: 2, name: "beta", tables: [second]),
                Migration(version: 1, name: "alpha", tables: [first]),
            ]
            // A crash after the first statement of migration 1 (MariaDB auto-commits DDL): the table exists, unrecorded.
            try await db.execute(db.dialect.createTable(first)[0], logger: logger)

            let applied = try await Migrator(migrations: migrations, now: { 1_700_000_000_000 }).migrate(db, logger: logger)
            #expect(applied.map(\.version) == [1, 2])
            let catalog = try await Catalog.read(db)
            #expect(catalog.tables["alpha"]?.indexes["idx_alpha_name"]?.columns == ["name"])
            #expect(catalog.tables["beta"]?.columns == ["id", "alpha_id"])
            let rows = try await db.query("SELECT version, applied_at FROM schema_migrations ORDER BY version", logger: logger)
            #expect(rows.map { $0["applied_at"] } == [.integer(1_700_000_000_000), .integer(1_700_000_000_000)])
        }
    }
}

/// Polls a condition with a deadline: for states that have no event to await (e.g. "5 borrowers wait").
func waitUntil(timeout: Duration = .seconds(10), _ condition: () async -> Bool) async throws {
    let deadline = ContinuousClock.now + timeout
    while !(await condition()) {
        guard ContinuousClock.now < deadline else {
            Issue.record("condition not met within \(timeout)")
            throw CancellationError()
        }
        try await Task.sleep(for: .milliseconds(2))
    }
}
