// Copyright (c) the Gatehouse authors
import Logging
import Sodium
import Storage
import StorageTestSupport
import Testing
import Vault

/// Platform secrets (the token-hash pepper): stable, shared by every instance, carried through master-key rotation.
@Suite struct PlatformSecretTests {
    private let logger = Fixtures.logger

    // MARK: Tests

    @Test(arguments: TestDatabases.backends)
    func aPlatformSecretIsCreatedOnceAndSurvivesMasterKeyRotation(backend: TestBackend) async throws {
        try await withTestDatabase(backend) { database in
            let old = try Fixtures.ring([1])
            let first = try await Vault(database: database, masterKeys: old).platformSecret(named: "token-pepper", logger: logger)
            // A second instance with the same master keys reads the same secret.
            let second = try await Vault(database: database, masterKeys: old).platformSecret(named: "token-pepper", logger: logger)
            #expect(first.constantTimeEquals(second))
            #expect(first.count == 32)
            let other = try await Vault(database: database, masterKeys: old).platformSecret(named: "another", logger: logger)
            #expect(!first.constantTimeEquals(other))

            let both = try MasterKeyRing(keys: [1: try old.key(version: 1), 2: SecureBytes.random(count: 32)])
            let vault = Vault(database: database, masterKeys: both)
            #expect(try await vault.status(logger: logger).dataKeysByVersion == [1: 2])
            await expectVaultError(.kekInUse) { try await vault.retire(kekVersion: 1, audit: Fixtures.admin, logger: logger) }
            let report = try await vault.rotateMasterKey(to: 2, audit: Fixtures.admin, logger: logger)
            #expect(report.rewrapped == 2)
            #expect(try await vault.status(logger: logger).dataKeysByVersion == [2: 2])
            try await vault.retire(kekVersion: 1, audit: Fixtures.admin, logger: logger)
            // Only version 2 is needed now, and the secret is unchanged.
            let onlyNew = try MasterKeyRing(keys: [2: try both.key(version: 2)])
            let after = try await Vault(database: database, masterKeys: onlyNew).platformSecret(named: "token-pepper", logger: logger)
            #expect(after.constantTimeEquals(first))
        }
    }

    @Test(arguments: TestDatabases.backends)
    func aPlatformKeyMovedToAnotherNameDoesNotOpen(backend: TestBackend) async throws {
        try await withTestDatabase(backend) { database in
            let vault = Vault(database: database, masterKeys: try Fixtures.ring([1]))
            _ = try await vault.platformSecret(named: "a", logger: logger)
            _ = try await vault.platformSecret(named: "b", logger: logger)
            // Copy a's wrapped key over b's row: the associated data binds it to its name.
            let row = try #require(try await database.query("SELECT wrapped_key FROM vault_platform_key WHERE name = 'a'", logger: logger).first)
            let wrapped: [UInt8] = try row.decode("wrapped_key")
            try await database.execute("UPDATE vault_platform_key SET wrapped_key = \(wrapped) WHERE name = 'b'", logger: logger)
            await expectVaultError(.sealBroken) { _ = try await vault.platformSecret(named: "b", logger: logger) }
            await expectVaultError(.invalidInput) { _ = try await vault.platformSecret(named: "bad name!", logger: logger) }
        }
    }
}
