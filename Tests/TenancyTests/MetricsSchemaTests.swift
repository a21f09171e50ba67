// Copyright (c) the Gatehouse authors
import GatehouseApp
import Logging
import Storage
import StorageTestSupport
import Testing

/// Schema version 2 (metrics and onboarding): applied after v1, recorded, and on MariaDB — where DDL auto-commits and a
/// crash can stop a migration halfway — safe to run again from its first statement.
@Suite struct MetricsSchemaTests {
    let logger = TestDatabases.logger

    @Test(arguments: TestDatabases.backends)
    func version2IsAppliedAfterVersion1AndCanBeReRunOnMariaDB(backend: TestBackend) async throws {
        try await withTestDatabase(backend, options: .init(migrate: false)) { db in
            let applied = try await db.migrate(logger: logger)
            #expect(applied.map(\.version).prefix(2) == [1, 2])
            #expect(applied.first { $0.version == 2 }?.name == "metrics and onboarding")
            if db.dialect == .mariadb {
                // A re-run after a crash between two DDL statements: every statement is idempotent.
                for statement in GatehouseSchema.migrations[1].statements(for: .mariadb) { try await db.execute(statement, logger: logger) }
            }
            // The new columns and tables take rows (the unknown-owner row needs no owner: no foreign key).
            try await db.execute("INSERT INTO webhook_rejection (owner_id, hour_start, count) VALUES (0, 0, 1)", logger: logger)
            let duplicate = await #expect(throws: StorageError.self) {
                try await db.execute("INSERT INTO webhook_rejection (owner_id, hour_start, count) VALUES (0, 0, 1)", logger: logger)
            }
            #expect(duplicate?.code == .duplicate)
            try await db.execute(
                "INSERT INTO webhook_inbox (owner_id, order_code, reference, amount, body, received_at, transaction_at) VALUES (NULL, 1, 'r', 1, '{}', 2, 1)",
                logger: logger)
            let lag = try await db.query("SELECT received_at - transaction_at AS lag FROM webhook_inbox", logger: logger)
            #expect(try lag.first?.decode("lag", as: Int64.self) == 1)
        }
    }
}
