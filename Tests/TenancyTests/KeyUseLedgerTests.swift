// Copyright (c) the Gatehouse authors
import GatehouseCore
import Logging
import Storage
import StorageTestSupport
import Tenancy
import Testing
import Vault

/// The key cache's aggregated use rows: every use counted is written once, in transactions of at most
/// `AuditLog.maximumRowsPerTransaction` rows, and counts whose transaction failed are kept for the next flush.
@Suite struct KeyUseLedgerTests {
    let logger = TestDatabases.logger

    /// `vault.key_use` rows: how many, and the sum of their counts.
    func written(_ database: any SQLDatabase) async throws -> (rows: Int, uses: Int64) {
        let records = try await AuditLog().records(action: KeyUseLedger.action, limit: 10_000, database: database, logger: logger)
        let uses = try records.reduce(Int64(0)) { sum, record in
            let detail = try #require(record.detail)
            let count = try #require(detail.split(separator: ",").first { $0.contains("\"count\"") }?.split(separator: ":").last)
            return sum + (Int64(count.filter(\.isNumber)) ?? 0)
        }
        return (records.count, uses)
    }

    @Test(arguments: TestDatabases.backends)
    func aFlushWritesOneRowPerOwnerAndPurposeInBoundedTransactionsAndKeepsWhatFailed(backend: TestBackend) async throws {
        try await withTestDatabase(backend) { database in
            let ledger = KeyUseLedger()
            let log = AuditLog()
            // 700 owners × 2 purposes, 3 uses of one purpose each: 1,400 rows, 2,100 uses, more than five transactions.
            for owner in 1...700 {
                for _ in 0..<2 { ledger.record(owner: Int64(owner), purpose: "webhook.verify") }
                ledger.record(owner: Int64(owner), purpose: "webhook.confirm")
            }
            #expect(ledger.pending == 2_100)

            // The audit table gone: nothing is written and every count stays pending, for the next flush.
            try await database.execute("ALTER TABLE audit_log RENAME TO audit_log_away", logger: logger)
            await #expect(throws: KeyUseFlushError.self) { try await ledger.flush(auditLog: log, database: database, logger: logger) }
            #expect(ledger.pending == 2_100)
            try await database.execute("ALTER TABLE audit_log_away RENAME TO audit_log", logger: logger)
            ledger.record(owner: 1, purpose: "webhook.verify")

            #expect(try await ledger.flush(auditLog: log, database: database, logger: logger) == 1_400)
            #expect(ledger.pending == 0)
            let result = try await written(database)
            #expect(result.rows == 1_400)
            #expect(result.uses == 2_101)
            #expect(try await log.verify(database: database, logger: logger).isIntact)
            #expect(try await ledger.flush(auditLog: log, database: database, logger: logger) == 0)
        }
    }
}
