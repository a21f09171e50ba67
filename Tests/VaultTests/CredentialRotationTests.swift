// Copyright (c) the Gatehouse authors
import Logging
import Sodium
import Storage
import StorageTestSupport
import Testing
@testable import Vault

/// Rotating an owner's payOS credentials: the old client id and API key go at once, the old
/// checksum key keeps verifying webhooks for its grace window only.
@Suite struct CredentialRotationTests {
    private let logger = Fixtures.logger

    // MARK: Tests

    @Test(arguments: TestDatabases.backends)
    func rotationDestroysTheOldPairAndKeepsTheOldChecksumKeyForItsGraceWindow(backend: TestBackend) async throws {
        try await withTestDatabase(backend) { database in
            let clock = ManualClock()
            let vault = Vault(
                database: database, masterKeys: try Fixtures.ring([1]), clock: clock.wallClock,
                configuration: .init(checksumKeyGrace: .seconds(3600))
            )
            let owner = try await Fixtures.makeOwner(database)
            let first = SampleCredentials("first"), second = SampleCredentials("second")
            try await Fixtures.store(first, owner: owner, in: vault)
            clock.advance(by: .seconds(10))
            let rotatedAt = clock.now
            let info = try await Fixtures.store(second, owner: owner, in: vault)
            #expect(info.activeVersion == 2)
            #expect(info.previousChecksumKey == .init(version: 1, usableUntil: rotatedAt + 3_600_000))

            // Calls use only the new set; the old client id and API key are gone from storage.
            #expect(try await Fixtures.unsealed(owner: owner, from: vault) == second.all)
            for kind in [CredentialKind.clientID, .apiKey] {
                #expect(try await Fixtures.state(database, owner: owner, kind: kind, version: 1) == "destroyed")
                #expect(try await Fixtures.sealed(database, owner: owner, kind: kind, version: 1) == nil)
            }
            #expect(try await Fixtures.state(database, owner: owner, kind: .checksumKey, version: 1) == "previous")

            // Within the grace window both checksum keys verify webhooks, the active one first.
            clock.advance(by: .seconds(3599))
            #expect(try await verificationKeys(vault, owner: owner) == [(2, true, second.checksumKey), (1, false, first.checksumKey)].map(Key.init))
            #expect(try await vault.destroyExpiredPreviousKeys(audit: Fixtures.admin, logger: logger) == 0)

            // At the end of the window the old key stops verifying, even before the cleanup job runs…
            clock.advance(by: .seconds(1))
            #expect(try await verificationKeys(vault, owner: owner) == [Key(2, true, second.checksumKey)])
            // …and the cleanup job destroys it.
            #expect(try await vault.destroyExpiredPreviousKeys(audit: Fixtures.admin, logger: logger) == 1)
            #expect(try await Fixtures.state(database, owner: owner, kind: .checksumKey, version: 1) == "destroyed")
            #expect(try await Fixtures.sealed(database, owner: owner, kind: .checksumKey, version: 1) == nil)
            #expect(try await vault.credentialInfo(owner: owner, logger: logger)?.previousChecksumKey == nil)
            #expect(try await Fixtures.count(database, action: Vault.AuditAction.destroy, owner: owner) == 1)
            #expect(try await Fixtures.count(database, action: Vault.AuditAction.rotate, owner: owner) == 1)
        }
    }

    @Test(arguments: TestDatabases.backends)
    func aThirdSetDestroysTheOlderPreviousChecksumKey(backend: TestBackend) async throws {
        try await withTestDatabase(backend) { database in
            let vault = Vault(database: database, masterKeys: try Fixtures.ring([1]))
            let owner = try await Fixtures.makeOwner(database)
            let sets = [SampleCredentials("a"), SampleCredentials("b"), SampleCredentials("c")]
            for set in sets { try await Fixtures.store(set, owner: owner, in: vault) }
            #expect(try await verificationKeys(vault, owner: owner) == [Key(3, true, sets[2].checksumKey), Key(2, false, sets[1].checksumKey)])
            #expect(try await Fixtures.state(database, owner: owner, kind: .checksumKey, version: 1) == "destroyed")
            let live = try await database.query(
                "SELECT COUNT(*) AS n FROM vault_credential WHERE owner_id = \(owner) AND sealed IS NOT NULL", logger: logger
            )
            #expect(try live[0].decode("n", as: Int.self) == 4)  // three active + one previous checksum key
        }
    }

    @Test(arguments: TestDatabases.backends)
    func forcedExpiryEndsTheGraceWindowForOneOwnerOnly(backend: TestBackend) async throws {
        try await withTestDatabase(backend) { database in
            let vault = Vault(database: database, masterKeys: try Fixtures.ring([1]))
            let leaked = try await Fixtures.makeOwner(database, name: "Leaked")
            let other = try await Fixtures.makeOwner(database, name: "Other")
            for owner in [leaked, other] {
                try await Fixtures.store(SampleCredentials(), owner: owner, in: vault)
                try await Fixtures.store(SampleCredentials(), owner: owner, in: vault)
            }
            #expect(try await vault.expirePreviousKeys(owner: leaked, audit: Fixtures.admin, logger: logger) == 1)
            #expect(try await verificationKeys(vault, owner: leaked).map(\.version) == [2])
            #expect(try await verificationKeys(vault, owner: other).map(\.version) == [2, 1])
            #expect(try await vault.expirePreviousKeys(owner: leaked, audit: Fixtures.admin, logger: logger) == 0)
            let records = try await AuditLog().records(ownerID: leaked, action: Vault.AuditAction.destroy, database: database, logger: logger)
            #expect(records.first?.detail == #"{"kind":"checksum_key","reason":"forced","version":1}"#)
        }
    }

    // MARK: Helpers

    struct Key: Equatable {
        var version: Int
        var isActive: Bool
        var plaintext: String
        init(_ version: Int, _ isActive: Bool, _ plaintext: String) {
            self.version = version
            self.isActive = isActive
            self.plaintext = plaintext
        }
    }

    private func verificationKeys(_ vault: Vault, owner: Int64) async throws -> [Key] {
        try await vault.webhookVerificationKeys(owner: owner, audit: Fixtures.caller, logger: logger) { keys in
            keys.map { Key($0.version, $0.isActive, $0.key.unprotectedUTF8String() ?? "") }
        }
    }
}
