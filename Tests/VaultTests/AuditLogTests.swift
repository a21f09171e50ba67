// Copyright (c) the Gatehouse authors
import Logging
import Sodium
import Storage
import StorageTestSupport
import Testing
@testable import Vault
import GatehouseCore

/// The audit trail: every unseal is recorded, the hash chain verifies, and tampering is found.
@Suite struct AuditLogTests {
    private let logger = Fixtures.logger

    // MARK: Tests

    @Test(arguments: TestDatabases.backends)
    func everyUnsealWritesOneAuditRowWithoutTheSecret(backend: TestBackend) async throws {
        try await withTestDatabase(backend) { database in
            let vault = Vault(database: database, masterKeys: try Fixtures.ring([1]))
            let owner = try await Fixtures.makeOwner(database)
            let sample = SampleCredentials()
            try await Fixtures.store(sample, owner: owner, in: vault)
            let caller = AuditContext(actor: "owner:\(owner)", requestID: "req-42")
            for purpose in ["payment.create", "payment.status", "payment.cancel"] {
                try await vault.withCredentials(owner: owner, purpose: purpose, audit: caller, logger: logger) { _ in }
            }
            try await vault.webhookVerificationKeys(owner: owner, audit: caller, logger: logger) { _ in }

            let rows = try await AuditLog().records(ownerID: owner, action: Vault.AuditAction.unseal, database: database, logger: logger)
            #expect(rows.count == 4)
            #expect(rows.allSatisfy { $0.actor == "owner:\(owner)" && $0.requestID == "req-42" && $0.ownerID == owner })
            #expect(
                rows.map(\.detail) == [
                    #"{"kek_version":1,"kinds":["checksum_key"],"purpose":"webhook.verify","versions":["1"]}"#,
                    #"{"kek_version":1,"kinds":["api_key","checksum_key","client_id"],"purpose":"payment.cancel","version":1}"#,
                    #"{"kek_version":1,"kinds":["api_key","checksum_key","client_id"],"purpose":"payment.status","version":1}"#,
                    #"{"kek_version":1,"kinds":["api_key","checksum_key","client_id"],"purpose":"payment.create","version":1}"#,
                ]
            )
            let everything = try await AuditLog().records(limit: 10_000, database: database, logger: logger)
            for row in everything {
                for secret in sample.all { #expect(!(row.detail ?? "").contains(secret)) }
            }
            let report = try await AuditLog().verify(database: database, logger: logger)
            #expect(report.isIntact)
            #expect(report.rowsChecked == everything.count)
            #expect(report.headID == everything.first?.id)
        }
    }

    @Test(arguments: TestDatabases.backends)
    func editedRowIsReportedAsTheFirstBreak(backend: TestBackend) async throws {
        try await withTestDatabase(backend) { database in
            let ids = try await appendRows(5, to: database)
            try await database.execute(
                "UPDATE audit_log SET detail = '{\"n\":999}' WHERE id = \(ids[2])", logger: logger
            )
            let report = try await AuditLog().verify(database: database, logger: logger, batchSize: 2)
            #expect(report.firstBreak == .init(id: ids[2], problem: .hashMismatch))
        }
    }

    @Test(arguments: TestDatabases.backends)
    func rowEditedTogetherWithItsHashBreaksTheNextLink(backend: TestBackend) async throws {
        try await withTestDatabase(backend) { database in
            let ids = try await appendRows(4, to: database)
            // A careful forger recomputes the edited row's own hash; the next row still points at the old one.
            let rows = try await AuditLog().records(limit: 100, database: database, logger: logger)
            let target = try #require(rows.first { $0.id == ids[1] })
            let forged = AuditLog.chainHash(
                prevHash: target.prevHash, at: target.at, actor: "admin:mallory", ownerID: target.ownerID,
                action: target.action, detail: target.detail, requestID: target.requestID
            )
            try await database.execute("UPDATE audit_log SET actor = 'admin:mallory', hash = \(forged) WHERE id = \(ids[1])", logger: logger)
            let report = try await AuditLog().verify(database: database, logger: logger)
            #expect(report.firstBreak == .init(id: ids[2], problem: .prevHashMismatch))
        }
    }

    @Test(arguments: TestDatabases.backends)
    func deletedRowIsReported(backend: TestBackend) async throws {
        try await withTestDatabase(backend) { database in
            let ids = try await appendRows(4, to: database)
            try await database.execute("DELETE FROM audit_log WHERE id = \(ids[1])", logger: logger)
            let report = try await AuditLog().verify(database: database, logger: logger)
            #expect(report.firstBreak == .init(id: ids[2], problem: .prevHashMismatch))
        }
    }

    @Test(arguments: TestDatabases.backends)
    func concurrentAppendsFormOneUnbrokenChain(backend: TestBackend) async throws {
        try await withTestDatabase(backend) { database in
            let log = AuditLog()
            try await log.prepare(database: database, logger: logger)
            let vault = Vault(database: database, masterKeys: try Fixtures.ring([1]))
            var owners: [Int64] = []
            for _ in 0..<4 {
                let owner = try await Fixtures.makeOwner(database)
                try await Fixtures.store(SampleCredentials(), owner: owner, in: vault)
                owners.append(owner)
            }
            let perTask = 12
            try await withThrowingTaskGroup(of: Void.self) { group in
                for owner in owners {
                    group.addTask {
                        for i in 0..<perTask {
                            try await vault.withCredentials(owner: owner, purpose: "load-\(i)", audit: Fixtures.caller, logger: logger) { _ in }
                        }
                    }
                    group.addTask {
                        for i in 0..<perTask {
                            try await log.append(AuditEntry(actor: "system:test", ownerID: owner, action: "test.append", detail: ["i": .int(i)]),
                            database: database, logger: logger)
                        }
                    }
                }
                try await group.waitForAll()
            }
            #expect(try await Fixtures.count(database, action: Vault.AuditAction.unseal) == owners.count * perTask)
            #expect(try await Fixtures.count(database, action: "test.append") == owners.count * perTask)
            let report = try await log.verify(database: database, logger: logger)
            #expect(report.isIntact)
            // Exactly one row starts the chain: no fork.
            let starts = try await database.query("SELECT COUNT(*) AS n FROM audit_log WHERE prev_hash IS NULL", logger: logger)
            #expect(try starts[0].decode("n", as: Int.self) == 1)
        }
    }

    /// The genesis row is created by whichever first append gets there. Appenders racing on an empty log (a fresh
    /// database without ``AuditLog/prepare(database:logger:)``, or a genesis rolled back with its creator's work)
    /// queue for it: none deadlocks, and exactly one genesis starts the chain.
    @Test(arguments: TestDatabases.backends)
    func firstAppendsRacingOnAnEmptyLogQueueWithoutDeadlockOrFork(backend: TestBackend) async throws {
        try await withTestDatabase(backend) { database in
            struct Abort: Error {}
            let log = AuditLog()
            for round in 0..<8 {
                try await database.execute("DELETE FROM audit_log", logger: logger)
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for n in 0..<6 {
                        group.addTask {
                            do {
                                try await database.withTransaction(logger: logger) { connection in
                                    try await log.append(
                                        AuditEntry(actor: "system:test", ownerID: nil, action: n % 2 == 0 ? "test.kept" : "test.rolled_back"),
                                        on: connection
                                    )
                                    if n % 2 == 1 { throw Abort() }
                                }
                            } catch is Abort {}
                        }
                    }
                    group.addTask {
                        try await log.append(AuditEntry(actor: "system:test", ownerID: nil, action: "test.kept"), database: database, logger: logger)
                    }
                    try await group.waitForAll()
                }
                #expect(try await Fixtures.count(database, action: "test.kept") == 4, "round \(round)")
                #expect(try await Fixtures.count(database, action: "test.rolled_back") == 0, "round \(round)")
                let starts = try await database.query("SELECT COUNT(*) AS n FROM audit_log WHERE prev_hash IS NULL", logger: logger)
                #expect(try starts[0].decode("n", as: Int.self) == 1, "round \(round)")
                #expect(try await log.verify(database: database, logger: logger).isIntact, "round \(round)")
            }
        }
    }

    @Test(arguments: TestDatabases.backends)
    func aBatchAppendChainsItsRowsInOrderOrWritesNothing(backend: TestBackend) async throws {
        try await withTestDatabase(backend) { database in
            let log = AuditLog()
            let entries = (0..<100).map { AuditEntry(actor: "system:test", ownerID: Int64($0), action: "test.batch", detail: ["n": .int($0)]) }
            let records = try await log.append(contentsOf: entries, database: database, logger: logger)
            #expect(records.map(\.ownerID) == (0..<100).map { Int64($0) })
            for (earlier, later) in zip(records, records.dropFirst()) {
                #expect(later.id == earlier.id + 1)
                #expect(later.prevHash == earlier.hash)
            }
            // One bad entry, or too many for one transaction: nothing of the batch is written.
            var bad = entries
            bad[50] = AuditEntry(actor: "system:test", ownerID: nil, action: String(repeating: "x", count: 65))
            await #expect(throws: VaultError.self) { try await log.append(contentsOf: bad, database: database, logger: logger) }
            let tooMany = Array(repeating: entries[0], count: AuditLog.maximumRowsPerTransaction + 1)
            await #expect(throws: VaultError.self) { try await log.append(contentsOf: tooMany, database: database, logger: logger) }
            #expect(try await Fixtures.count(database, action: "test.batch") == 100)
            #expect(try await log.verify(database: database, logger: logger).isIntact)
        }
    }

    @Test(arguments: TestDatabases.backends)
    func appendJoinsTheCallersTransaction(backend: TestBackend) async throws {
        try await withTestDatabase(backend) { database in
            struct Abort: Error {}
            let log = AuditLog()
            await #expect(throws: Abort.self) {
                try await database.withTransaction(logger: logger) { connection in
                    try await log.append(AuditEntry(actor: "system:test", ownerID: nil, action: "test.rolled_back"), on: connection)
                    throw Abort()
                }
            }
            #expect(try await Fixtures.count(database, action: "test.rolled_back") == 0)
            try await log.append(AuditEntry(actor: "system:test", ownerID: nil, action: "test.kept"), database: database, logger: logger)
            #expect(try await log.verify(database: database, logger: logger).isIntact)
        }
    }

    @Test(arguments: TestDatabases.backends)
    func noPlaintextIsHandedOutWhenTheAuditRowCannotBeWritten(backend: TestBackend) async throws {
        try await withTestDatabase(backend) { database in
            let vault = Vault(database: database, masterKeys: try Fixtures.ring([1]))
            let owner = try await Fixtures.makeOwner(database)
            let first = SampleCredentials("first")
            try await Fixtures.store(first, owner: owner, in: vault)
            // The audit log becomes unwritable (a real failure, not a mock).
            try await database.execute("ALTER TABLE audit_log RENAME TO audit_log_gone", logger: logger)
            var bodyRan = false
            await #expect(throws: StorageError.self) {
                try await vault.withCredentials(owner: owner, purpose: "test", audit: Fixtures.caller, logger: logger) { _ in bodyRan = true }
            }
            #expect(!bodyRan)
            // A rotation whose audit row fails changes nothing: one transaction.
            await #expect(throws: StorageError.self) { try await Fixtures.store(SampleCredentials("second"), owner: owner, in: vault) }
            try await database.execute("ALTER TABLE audit_log_gone RENAME TO audit_log", logger: logger)
            #expect(try await vault.credentialInfo(owner: owner, logger: logger)?.activeVersion == 1)
            #expect(try await Fixtures.state(database, owner: owner, kind: .apiKey, version: 1) == "active")
            #expect(try await Fixtures.state(database, owner: owner, kind: .checksumKey, version: 1) == "active")
            #expect(try await Fixtures.unsealed(owner: owner, from: vault) == first.all)
        }
    }

    @Test func chainHashIsTheDocumentedSHA256() {
        // SHA-256(prev || "gatehouse:audit:v1" || 01 len "1000" || 01 len "a" || 00 || 01 len "x" || 00 || 00)
        var expected = SHA256()
        expected.update([0xAA, 0xBB])
        expected.update(Array("gatehouse:audit:v1".utf8))
        expected.update([0x01, 0, 0, 0, 4] + Array("1000".utf8))
        expected.update([0x01, 0, 0, 0, 1] + Array("a".utf8))
        expected.update([0x00])
        expected.update([0x01, 0, 0, 0, 1] + Array("x".utf8))
        expected.update([0x00, 0x00])
        let hash = AuditLog.chainHash(prevHash: [0xAA, 0xBB], at: 1000, actor: "a", ownerID: nil, action: "x", detail: nil, requestID: nil)
        #expect(hash == expected.finalize())
        #expect(hash != AuditLog.chainHash(prevHash: [0xAA, 0xBB], at: 1000, actor: "a", ownerID: nil, action: "x", detail: "", requestID: nil))
    }

    @Test func detailRendersSortedEscapedJSON() {
        let detail: AuditDetail = ["z": 1, "a": "quote\" back\\ nl\n", "m": ["x", "y"], "b": true, "n": .null]
        #expect(detail.json == #"{"a":"quote\" back\\ nl\n","b":true,"m":["x","y"],"n":null,"z":1}"#)
    }

    // MARK: Helpers

    /// Appends `count` rows and returns their ids (after the genesis row).
    private func appendRows(_ count: Int, to database: any SQLDatabase) async throws -> [Int64] {
        var ids: [Int64] = []
        for i in 0..<count {
            let record = try await AuditLog().append(
                AuditEntry(actor: "system:test", ownerID: nil, action: "test.row", detail: ["n": .int(i)]), database: database, logger: logger
            )
            ids.append(record.id)
        }
        #expect(try await AuditLog().verify(database: database, logger: logger).isIntact)
        return ids
    }
}
