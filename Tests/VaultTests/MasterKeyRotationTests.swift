// Copyright (c) the Gatehouse authors
import Logging
import Sodium
import Storage
import StorageTestSupport
import Synchronization
import Testing
import Vault

/// Re-wrapping data keys under a new master key: resumable after a crash, and retirement of the
/// old key only once nothing depends on it.
@Suite struct MasterKeyRotationTests {
    private let logger = Fixtures.logger

    struct InjectedCrash: Error {}

    // MARK: Tests

    @Test(arguments: TestDatabases.backends)
    func rotationInterruptedMidwayLosesNothingAndARerunFinishes(backend: TestBackend) async throws {
        try await withTestDatabase(backend) { database in
            let old = try Fixtures.ring([1])
            let before = Vault(database: database, masterKeys: old)
            var owners: [(Int64, SampleCredentials)] = []
            for i in 0..<7 {
                let owner = try await Fixtures.makeOwner(database, name: "Owner \(i)")
                let sample = SampleCredentials()
                try await Fixtures.store(sample, owner: owner, in: before)
                owners.append((owner, sample))
            }
            // The operator adds version 2 (now active) next to version 1.
            let both = try MasterKeyRing(keys: [1: try old.key(version: 1), 2: SecureBytes.random(count: 32)])
            let vault = Vault(database: database, masterKeys: both)

            // Batches of 2; the third batch fails inside its transaction (after re-wrapping its rows).
            let batchesSeen = Mutex<[Int]>([])
            await #expect(throws: InjectedCrash.self) {
                try await vault.rotateMasterKey(to: 2, batchSize: 2, audit: Fixtures.admin, logger: logger) { batch in
                    batchesSeen.withLock { $0.append(batch) }
                    if batch == 3 { throw InjectedCrash() }
                }
            }
            #expect(batchesSeen.withLock { $0 } == [1, 2, 3])
            let midway = try await vault.status(logger: logger)
            #expect(midway.dataKeysByVersion == [2: 4, 1: 3])  // the failed batch rolled back
            #expect(midway.unfinishedRotations.count == 1)
            #expect(midway.unfinishedRotations.first?.rewrapped == 4)
            #expect(midway.unfinishedRotations.first?.finished == false)
            // Every owner's credentials still open, whichever key wraps their data key.
            for (owner, sample) in owners { #expect(try await Fixtures.unsealed(owner: owner, from: vault) == sample.all) }
            // Version 1 cannot be retired yet.
            await expectVaultError(.kekInUse) { try await vault.retire(kekVersion: 1, audit: Fixtures.admin, logger: logger) }

            // The rerun resumes the same run and finishes it.
            let report = try await vault.rotateMasterKey(to: 2, batchSize: 2, audit: Fixtures.admin, logger: logger)
            #expect(report.runID == midway.unfinishedRotations.first?.runID)
            #expect(report.rewrapped == 7)
            #expect(report.finished)
            let after = try await vault.status(logger: logger)
            #expect(after.dataKeysByVersion == [2: 7])
            #expect(after.unfinishedRotations.isEmpty)
            for (owner, sample) in owners { #expect(try await Fixtures.unsealed(owner: owner, from: vault) == sample.all) }

            // Nothing is left under version 1: a ring with version 2 alone opens everything.
            let onlyNew = try MasterKeyRing(keys: [2: try both.key(version: 2)])
            let newNode = Vault(database: database, masterKeys: onlyNew)
            for (owner, sample) in owners { #expect(try await Fixtures.unsealed(owner: owner, from: newNode) == sample.all) }
            // A run with nothing to do finishes at once.
            let again = try await vault.rotateMasterKey(to: 2, batchSize: 2, audit: Fixtures.admin, logger: logger)
            #expect(again.finished && again.rewrapped == 0 && again.runID != report.runID)
            #expect(try await AuditLog().verify(database: database, logger: logger).isIntact)
        }
    }

    @Test(arguments: TestDatabases.backends)
    func retirementIsRefusedWhileInUseAndAllowedAfterRotation(backend: TestBackend) async throws {
        try await withTestDatabase(backend) { database in
            let vault = Vault(database: database, masterKeys: try Fixtures.ring([1, 2], active: 1))
            let owner = try await Fixtures.makeOwner(database)
            let sample = SampleCredentials()
            try await Fixtures.store(sample, owner: owner, in: vault)
            #expect(try await vault.status(logger: logger).dataKeysByVersion == [1: 1])

            await expectVaultError(.kekInUse) { try await vault.retire(kekVersion: 1, audit: Fixtures.admin, logger: logger) }  // active and in use
            await expectVaultError(.unknownKEKVersion) { try await vault.retire(kekVersion: 9, audit: Fixtures.admin, logger: logger) }
            await expectVaultError(.unknownKEKVersion) {
                try await vault.rotateMasterKey(to: 9, audit: Fixtures.admin, logger: logger)
            }
            await expectVaultError(.invalidInput) {
                try await vault.rotateMasterKey(to: 2, batchSize: 0, audit: Fixtures.admin, logger: logger)
            }

            // Version 2 is not active and wraps nothing: it can go.
            try await vault.retire(kekVersion: 2, audit: Fixtures.admin, logger: logger)
            #expect(vault.masterKeys.versions == [1])
            #expect(try await Fixtures.count(database, action: Vault.AuditAction.retire) == 1)
            #expect(try await Fixtures.unsealed(owner: owner, from: vault) == sample.all)
        }
    }

    @Test(arguments: TestDatabases.backends)
    func oldVersionCanBeRetiredOnceRotationMovedEverything(backend: TestBackend) async throws {
        try await withTestDatabase(backend) { database in
            let old = try Fixtures.ring([1])
            let first = Vault(database: database, masterKeys: old)
            let owner = try await Fixtures.makeOwner(database)
            let sample = SampleCredentials()
            try await Fixtures.store(sample, owner: owner, in: first)
            let vault = Vault(database: database, masterKeys: try MasterKeyRing(keys: [1: try old.key(version: 1), 2: SecureBytes.random(count: 32)]))
            await expectVaultError(.kekInUse) { try await vault.retire(kekVersion: 1, audit: Fixtures.admin, logger: logger) }
            try await vault.rotateMasterKey(audit: Fixtures.admin, logger: logger)
            try await vault.retire(kekVersion: 1, audit: Fixtures.admin, logger: logger)
            #expect(vault.masterKeys.versions == [2])
            await expectVaultError(.kekInUse) { try await vault.retire(kekVersion: 2, audit: Fixtures.admin, logger: logger) }  // the active one
            #expect(try await Fixtures.unsealed(owner: owner, from: vault) == sample.all)
            // New stores after the rotation use the new version.
            let second = try await Fixtures.makeOwner(database)
            #expect(try await Fixtures.store(SampleCredentials(), owner: second, in: vault).kekVersion == 2)
        }
    }
}
