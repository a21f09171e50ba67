// Copyright (c) the Gatehouse authors
import Logging
import Sodium
import Storage
import StorageTestSupport
import Testing
@testable import Vault
import GatehouseCore

/// Storing and unsealing credentials, on both backends.
@Suite struct VaultCredentialTests {
    private let logger = Fixtures.logger

    // MARK: Tests

    @Test(arguments: TestDatabases.backends)
    func storedCredentialsUnsealToTheSamePlaintext(backend: TestBackend) async throws {
        try await withTestDatabase(backend) { database in
            let vault = Vault(database: database, masterKeys: try Fixtures.ring([1]))
            let owner = try await Fixtures.makeOwner(database)
            let sample = SampleCredentials()
            let info = try await Fixtures.store(sample, owner: owner, in: vault)
            #expect(info.activeVersion == 1)
            #expect(info.kekVersion == 1)
            #expect(info.clientIDHint == String(sample.clientID.suffix(4)))
            #expect(try await Fixtures.unsealed(owner: owner, from: vault) == sample.all)
        }
    }

    @Test(arguments: TestDatabases.backends)
    func unsealedSecretsAreWipedWhenTheClosureReturns(backend: TestBackend) async throws {
        try await withTestDatabase(backend) { database in
            let vault = Vault(database: database, masterKeys: try Fixtures.ring([1]))
            let owner = try await Fixtures.makeOwner(database)
            try await Fixtures.store(SampleCredentials(), owner: owner, in: vault)
            var escaped: UnsealedCredentials? = nil
            try await vault.withCredentials(owner: owner, purpose: "test", audit: Fixtures.caller, logger: logger) { credentials in
                #expect(!credentials.apiKey.isWiped)
                escaped = credentials
            }
            let leaked = try #require(escaped)
            #expect(leaked.clientID.isWiped && leaked.apiKey.isWiped && leaked.checksumKey.isWiped)
            #expect(!"\(leaked)".contains("apikey"))
        }
    }

    @Test(arguments: TestDatabases.backends)
    func credentialInfoShowsHintsAndVersionsButNoSecret(backend: TestBackend) async throws {
        try await withTestDatabase(backend) { database in
            let clock = ManualClock()
            let vault = Vault(database: database, masterKeys: try Fixtures.ring([1]), clock: clock.wallClock)
            let owner = try await Fixtures.makeOwner(database)
            #expect(try await vault.credentialInfo(owner: owner, logger: logger) == nil)
            try await Fixtures.store(SampleCredentials(), owner: owner, in: vault)
            clock.advance(by: .seconds(60))
            let second = SampleCredentials()
            try await Fixtures.store(second, owner: owner, in: vault)
            let info = try #require(try await vault.credentialInfo(owner: owner, logger: logger))
            #expect(info.activeVersion == 2)
            #expect(info.rotatedAt == clock.now)
            #expect(info.clientIDHint == String(second.clientID.suffix(4)))
            #expect(info.previousChecksumKey == .init(version: 1, usableUntil: clock.now + 24 * 3600 * 1000))
            let text = String(reflecting: info)
            for secret in second.all { #expect(!text.contains(secret)) }
        }
    }

    @Test(arguments: TestDatabases.backends)
    func ownerWithoutCredentialsHasNothingToUnseal(backend: TestBackend) async throws {
        try await withTestDatabase(backend) { database in
            let vault = Vault(database: database, masterKeys: try Fixtures.ring([1]))
            let owner = try await Fixtures.makeOwner(database)
            await expectVaultError(.noCredentials) { try await Fixtures.unsealed(owner: owner, from: vault) }
            await expectVaultError(.noCredentials) {
                try await vault.webhookVerificationKeys(owner: owner, audit: Fixtures.caller, logger: logger) { $0.count }
            }
        }
    }

    @Test(arguments: TestDatabases.backends)
    func storingForAnUnknownOwnerIsRefused(backend: TestBackend) async throws {
        try await withTestDatabase(backend) { database in
            let vault = Vault(database: database, masterKeys: try Fixtures.ring([1]))
            await expectVaultError(.unknownOwner) { try await Fixtures.store(SampleCredentials(), owner: 987_654, in: vault) }
            // Nothing was half-written.
            #expect(try await database.query("SELECT owner_id FROM vault_data_key", logger: logger).isEmpty)
            #expect(try await Fixtures.count(database, action: Vault.AuditAction.store) == 0)
        }
    }

    @Test(arguments: TestDatabases.backends)
    func emptyOrOversizedCredentialsAreRefused(backend: TestBackend) async throws {
        try await withTestDatabase(backend) { database in
            let vault = Vault(database: database, masterKeys: try Fixtures.ring([1]))
            let owner = try await Fixtures.makeOwner(database)
            await expectVaultError(.invalidInput) {
                try await vault.storeCredentials(owner: owner, clientID: "", apiKey: "a", checksumKey: "c", audit: Fixtures.admin, logger: logger)
            }
            await expectVaultError(.invalidInput) {
                try await vault.storeCredentials(
                    owner: owner, clientID: "c", apiKey: String(repeating: "a", count: 1025), checksumKey: "c", audit: Fixtures.admin, logger: logger
                )
            }
            await expectVaultError(.invalidInput) {
                try await vault.storeCredentials(
                    owner: owner, clientID: "c", apiKey: "a", checksumKey: "c", audit: AuditContext(actor: ""), logger: logger
                )
            }
            #expect(try await vault.credentialInfo(owner: owner, logger: logger) == nil)
        }
    }

    // MARK: Tampering

    @Test(arguments: TestDatabases.backends)
    func blobCopiedToAnotherOwnersRowFailsToOpen(backend: TestBackend) async throws {
        try await withTestDatabase(backend) { database in
            let vault = Vault(database: database, masterKeys: try Fixtures.ring([1]))
            let alice = try await Fixtures.makeOwner(database, name: "Alice")
            let bob = try await Fixtures.makeOwner(database, name: "Bob")
            try await Fixtures.store(SampleCredentials("alice"), owner: alice, in: vault)
            try await Fixtures.store(SampleCredentials("bob"), owner: bob, in: vault)
            // An attacker with SQL access copies Alice's sealed API key into Bob's row.
            let alicesKey = try #require(try await Fixtures.sealed(database, owner: alice, kind: .apiKey, version: 1))
            try await Fixtures.setSealed(database, alicesKey, owner: bob, kind: .apiKey, version: 1)
            await expectVaultError(.sealBroken) { try await Fixtures.unsealed(owner: bob, from: vault) }
            // Copying Alice's whole data key row does not help either: it is bound to Alice.
            let alicesDataKey = try await database.query("SELECT wrapped_dek FROM vault_data_key WHERE owner_id = \(alice)", logger: logger)[0]["wrapped_dek"]!
            try await database.execute("UPDATE vault_data_key SET wrapped_dek = \(alicesDataKey) WHERE owner_id = \(bob)", logger: logger)
            await expectVaultError(.sealBroken) { try await Fixtures.unsealed(owner: bob, from: vault) }
            // Alice is unaffected, and the failures are on record.
            #expect(try await Fixtures.unsealed(owner: alice, from: vault).count == 3)
            #expect(try await Fixtures.count(database, action: Vault.AuditAction.unsealFailed, owner: bob) == 2)
        }
    }

    @Test(arguments: TestDatabases.backends)
    func blobMovedToAnotherKindOrVersionSlotFailsToOpen(backend: TestBackend) async throws {
        try await withTestDatabase(backend) { database in
            let clock = ManualClock()
            let vault = Vault(database: database, masterKeys: try Fixtures.ring([1]), clock: clock.wallClock)
            let owner = try await Fixtures.makeOwner(database)
            try await Fixtures.store(SampleCredentials("v1"), owner: owner, in: vault)
            try await Fixtures.store(SampleCredentials("v2"), owner: owner, in: vault)
            let activeChecksum = try #require(try await Fixtures.sealed(database, owner: owner, kind: .checksumKey, version: 2))
            let previousChecksum = try #require(try await Fixtures.sealed(database, owner: owner, kind: .checksumKey, version: 1))
            let apiKey = try #require(try await Fixtures.sealed(database, owner: owner, kind: .apiKey, version: 2))

            // Another kind's blob in the checksum slot.
            try await Fixtures.setSealed(database, apiKey, owner: owner, kind: .checksumKey, version: 2)
            await expectVaultError(.sealBroken) { try await Fixtures.unsealed(owner: owner, from: vault) }

            // The previous version's checksum key replayed into the active version's slot.
            try await Fixtures.setSealed(database, previousChecksum, owner: owner, kind: .checksumKey, version: 2)
            await expectVaultError(.sealBroken) { try await Fixtures.unsealed(owner: owner, from: vault) }
            await expectVaultError(.sealBroken) {
                try await vault.webhookVerificationKeys(owner: owner, audit: Fixtures.caller, logger: logger) { $0.count }
            }

            // Restored, it opens again.
            try await Fixtures.setSealed(database, activeChecksum, owner: owner, kind: .checksumKey, version: 2)
            #expect(try await Fixtures.unsealed(owner: owner, from: vault).count == 3)
        }
    }

    @Test(arguments: TestDatabases.backends)
    func flippedByteInAStoredBlobFailsToOpen(backend: TestBackend) async throws {
        try await withTestDatabase(backend) { database in
            let vault = Vault(database: database, masterKeys: try Fixtures.ring([1]))
            let owner = try await Fixtures.makeOwner(database)
            try await Fixtures.store(SampleCredentials(), owner: owner, in: vault)
            let original = try #require(try await Fixtures.sealed(database, owner: owner, kind: .clientID, version: 1))
            for index in [0, 23, 24, original.count / 2, original.count - 1] {
                var tampered = original
                tampered[index] ^= 0x04
                try await Fixtures.setSealed(database, tampered, owner: owner, kind: .clientID, version: 1)
                await expectVaultError(.sealBroken) { try await Fixtures.unsealed(owner: owner, from: vault) }
            }
            var wrapped: [UInt8] = try await database.query("SELECT wrapped_dek FROM vault_data_key WHERE owner_id = \(owner)", logger: logger)[0].decode("wrapped_dek")
            try await Fixtures.setSealed(database, original, owner: owner, kind: .clientID, version: 1)
            wrapped[30] ^= 0x01
            try await database.execute("UPDATE vault_data_key SET wrapped_dek = \(wrapped) WHERE owner_id = \(owner)", logger: logger)
            await expectVaultError(.sealBroken) { try await Fixtures.unsealed(owner: owner, from: vault) }
        }
    }

    @Test(arguments: TestDatabases.backends)
    func wrongMasterKeyIsRefused(backend: TestBackend) async throws {
        try await withTestDatabase(backend) { database in
            let vault = Vault(database: database, masterKeys: try Fixtures.ring([1]))
            let owner = try await Fixtures.makeOwner(database)
            try await Fixtures.store(SampleCredentials(), owner: owner, in: vault)
            // Same version number, different key material (e.g. a misconfigured node).
            let impostor = Vault(database: database, masterKeys: try Fixtures.ring([1]))
            await expectVaultError(.sealBroken) { try await Fixtures.unsealed(owner: owner, from: impostor) }
            await expectVaultError(.sealBroken) { try await Fixtures.store(SampleCredentials(), owner: owner, in: impostor) }
            // A ring without the version at all.
            let stranger = Vault(database: database, masterKeys: try Fixtures.ring([2]))
            await expectVaultError(.unknownKEKVersion) { try await Fixtures.unsealed(owner: owner, from: stranger) }
            // The real key still works and nothing was changed by the refused store.
            #expect(try await Fixtures.unsealed(owner: owner, from: vault).count == 3)
            #expect(try await vault.credentialInfo(owner: owner, logger: logger)?.activeVersion == 1)
        }
    }
}
