// Copyright (c) the Gatehouse authors
import Logging
import Storage
import StorageTestSupport
import Testing
@testable import Vault
import GatehouseCore

/// Standalone audit appends are group-committed: concurrent callers share one transaction per batch, each gets its
/// own row, the chain verifies as before, and a batch that fails fails every caller in it and leaves none of its rows.
@Suite struct AuditGroupCommitTests {
    private let logger = Fixtures.logger

    // MARK: Tests

    @Test(arguments: TestDatabases.backends)
    func concurrentAppendersEachGetTheirOwnRowInOneVerifiedChain(backend: TestBackend) async throws {
        try await withTestDatabase(backend) { database in
            let log = AuditLog()
            let records = try await appendConcurrently(200, log: log, database: database)
            #expect(Set(records.map(\.id)).count == 200)
            #expect(Set(records.map(\.hash)).count == 200)
            #expect(Set(records.compactMap(\.detail)) == Set((0..<200).map { #"{"n":\#($0)}"# }))
            // What each caller was told is exactly the stored row, and the chain links them in id order.
            let stored = try await log.records(action: "test.group", limit: 10_000, database: database, logger: logger)
            #expect(Set(stored) == Set(records))
            let byID = records.sorted { $0.id < $1.id }
            let genesis = try #require(try await log.records(action: AuditLog.genesisAction, database: database, logger: logger).first)
            #expect(byID.first?.prevHash == genesis.hash)
            for (earlier, later) in zip(byID, byID.dropFirst()) {
                #expect(later.id == earlier.id + 1)
                #expect(later.prevHash == earlier.hash)
            }
            let report = try await log.verify(database: database, logger: logger)
            #expect(report.isIntact)
            #expect(report.rowsChecked == 201)
            #expect(report.headHash == byID.last?.hash)
        }
    }

    @Test(arguments: TestDatabases.backends)
    func callersQueuedDuringACommitShareTheNextTransaction(backend: TestBackend) async throws {
        try await withTestDatabase(backend) { database in
            let gated = GatedDatabase(database)
            let log = AuditLog()
            try await log.prepare(database: database, logger: logger)
            let outcomes = try await runPilotThenQueued(99, gated: gated, log: log)
            #expect(outcomes.allSatisfy { (try? $0.get()) != nil })
            #expect(gated.transactions == 2)
            #expect(try await log.verify(database: database, logger: logger).rowsChecked == 101)
        }
    }

    @Test(arguments: TestDatabases.backends)
    func aFailedBatchFailsEachCallerAndLeavesNoneOfItsRows(backend: TestBackend) async throws {
        try await withTestDatabase(backend) { database in
            let gated = GatedDatabase(database)
            let log = AuditLog()
            try await log.prepare(database: database, logger: logger)
            // 100 queued rows are inserted 64 + 32 + 4; the second INSERT fails after running, with 96 rows written.
            gated.failInserts(inTransaction: 2, fromInsert: 2)
            let outcomes = try await runPilotThenQueued(100, gated: gated, log: log)
            for outcome in outcomes {
                #expect(throws: GatedDatabase.InjectedFailure.self) { try outcome.get() }
            }
            #expect(try await Fixtures.count(database, action: "test.queued") == 0)
            #expect(try await Fixtures.count(database, action: "test.pilot") == 1)
            // The next batch works and extends the same chain.
            let next = try await log.append(AuditEntry(actor: "system:test", ownerID: nil, action: "test.after"), database: gated, logger: logger)
            #expect(gated.transactions == 3)
            let report = try await log.verify(database: database, logger: logger)
            #expect(report.isIntact)
            #expect(report.rowsChecked == 3)
            #expect(report.headHash == next.hash)
        }
    }

    @Test(arguments: TestDatabases.backends)
    func aMalformedEntryFailsOnlyItsOwnCaller(backend: TestBackend) async throws {
        try await withTestDatabase(backend) { database in
            let log = AuditLog()
            let tooLong = String(repeating: "x", count: 65)
            try await withThrowingTaskGroup(of: Void.self) { group in
                for i in 0..<40 {
                    group.addTask {
                        if i == 20 {
                            await #expect(throws: VaultError.self) {
                                try await log.append(AuditEntry(actor: "system:test", ownerID: nil, action: tooLong), database: database, logger: logger)
                            }
                        } else {
                            try await log.append(AuditEntry(actor: "system:test", ownerID: nil, action: "test.ok"), database: database, logger: logger)
                        }
                    }
                }
                try await group.waitForAll()
            }
            #expect(try await Fixtures.count(database, action: "test.ok") == 39)
            #expect(try await log.verify(database: database, logger: logger).isIntact)
        }
    }

    @Test(arguments: TestDatabases.backends)
    func anAppendInARolledBackTransactionLeavesNothingWhileBatchesCommit(backend: TestBackend) async throws {
        try await withTestDatabase(backend) { database in
            struct Abort: Error {}
            let log = AuditLog()
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { _ = try await appendConcurrently(60, log: log, database: database) }
                group.addTask {
                    for _ in 0..<5 {
                        await #expect(throws: Abort.self) {
                            try await database.withTransaction(logger: logger) { connection in
                                try await log.append(AuditEntry(actor: "system:test", ownerID: nil, action: "test.rolled_back"), on: connection)
                                throw Abort()
                            }
                        }
                    }
                }
                try await group.waitForAll()
            }
            #expect(try await Fixtures.count(database, action: "test.rolled_back") == 0)
            #expect(try await Fixtures.count(database, action: "test.group") == 60)
            #expect(try await log.verify(database: database, logger: logger).isIntact)
        }
    }

    @Test(arguments: TestDatabases.backends)
    func aCallerCancelledWhileQueuedStillLearnsItsRowsOutcome(backend: TestBackend) async throws {
        try await withTestDatabase(backend) { database in
            let gated = GatedDatabase(database)
            let log = AuditLog()
            let committer = try #require(AuditGroupCommitter.shared(for: gated))
            var entered = gated.entered.makeAsyncIterator()
            let pilot = Task { try await log.append(AuditEntry(actor: "system:test", ownerID: nil, action: "test.pilot"), database: gated, logger: logger) }
            #expect(await entered.next() == 1)
            let cancelled = Task { try await log.append(AuditEntry(actor: "system:test", ownerID: nil, action: "test.cancelled"), database: gated, logger: logger) }
            try await waitUntil { committer.snapshot.queued == 1 }
            cancelled.cancel()
            gated.open()
            // Its batch was not aborted by the cancellation: the row committed and the caller is told so.
            let record = try await cancelled.value
            _ = try await pilot.value
            #expect(try await log.records(action: "test.cancelled", database: database, logger: logger) == [record])
            #expect(try await log.verify(database: database, logger: logger).isIntact)
        }
    }

    // MARK: Helpers

    /// `count` appends at once, each from its own task; returns what each caller was told.
    private func appendConcurrently(_ count: Int, log: AuditLog, database: any SQLDatabase) async throws -> [AuditRecord] {
        try await withThrowingTaskGroup(of: AuditRecord.self) { group in
            for n in 0..<count {
                group.addTask {
                    try await log.append(
                        AuditEntry(actor: "system:test", ownerID: Int64(n % 7), action: "test.group", detail: ["n": .int(n)], requestID: "req-\(n)"),
                        database: database, logger: logger
                    )
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
    }

    /// Holds a pilot append's transaction at the gate, queues `count` more appends behind it, then opens the gate:
    /// the pilot commits alone and the queued ones form the second transaction. Returns the queued callers' outcomes.
    private func runPilotThenQueued(_ count: Int, gated: GatedDatabase, log: AuditLog) async throws -> [Result<AuditRecord, any Error>] {
        let committer = try #require(AuditGroupCommitter.shared(for: gated))
        var entered = gated.entered.makeAsyncIterator()
        let logger = self.logger
        let pilot = Task { try await log.append(AuditEntry(actor: "system:test", ownerID: nil, action: "test.pilot"), database: gated, logger: logger) }
        #expect(await entered.next() == 1)
        let queued = (0..<count).map { n in
            Task { () async throws -> AuditRecord in
                try await log.append(AuditEntry(actor: "system:test", ownerID: nil, action: "test.queued", detail: ["n": .int(n)]), database: gated, logger: logger)
            }
        }
        try await waitUntil { committer.snapshot.queued == count }
        #expect(committer.snapshot.inFlight == 1)
        gated.open()
        _ = try await pilot.value
        var outcomes: [Result<AuditRecord, any Error>] = []
        for task in queued { outcomes.append(await task.result) }
        #expect(committer.snapshot.batches == 2)
        return outcomes
    }

    /// Waits (bounded) for a condition another task makes true.
    private func waitUntil(_ condition: () -> Bool) async throws {
        let deadline = ContinuousClock.now + .seconds(15)
        while !condition() {
            guard ContinuousClock.now < deadline else { throw CancellationError() }
            try await Task.sleep(for: .milliseconds(2))
        }
    }
}
