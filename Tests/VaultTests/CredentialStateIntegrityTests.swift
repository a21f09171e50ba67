// Copyright (c) the Gatehouse authors
import GatehouseApp
import Logging
import Sodium
import Storage
import StorageTestSupport
import Testing
import Vault
import GatehouseCore

/// A credential row's state and grace window are the vault's word, not the database's: a row moved between states
/// (or its grace window moved later) by a database writer is never used, and rows from before state tags existed are
/// tagged at the upgrade only when the vault could have written them as they are.
@Suite struct CredentialStateIntegrityTests {
    private let logger = Fixtures.logger

    /// One owner with two stored sets (version 2 active, version 1's checksum key `previous` for an hour).
    private struct Rotated {
        let database: any SQLDatabase
        let vault: Vault
        let clock: ManualClock
        let owner: Int64
        let first: SampleCredentials
        let second: SampleCredentials
    }

    private func withRotatedOwner(_ backend: TestBackend, _ body: (Rotated) async throws -> Void) async throws {
        try await withTestDatabase(backend) { database in
            let clock = ManualClock()
            let vault = Vault(
                database: database, masterKeys: try Fixtures.ring([1]), clock: clock.wallClock, configuration: .init(checksumKeyGrace: .seconds(3600)))
            let owner = try await Fixtures.makeOwner(database)
            let first = SampleCredentials("first"), second = SampleCredentials("second")
            try await Fixtures.store(first, owner: owner, in: vault)
            clock.advance(by: .seconds(10))
            try await Fixtures.store(second, owner: owner, in: vault)
            try await body(Rotated(database: database, vault: vault, clock: clock, owner: owner, first: first, second: second))
        }
    }

    // MARK: Tampering after the upgrade

    @Test(arguments: TestDatabases.backends)
    func aDestroyedChecksumKeyRevivedWithItsOldBlobIsNeverUsed(backend: TestBackend) async throws {
        try await withRotatedOwner(backend) { r in
            let blob = try #require(try await Fixtures.sealed(r.database, owner: r.owner, kind: .checksumKey, version: 1))
            #expect(try await r.vault.expirePreviousKeys(owner: r.owner, audit: Fixtures.admin, logger: logger) == 1)
            // Set back to `previous` with a grace window ten years long, then to `active`.
            for state in ["previous", "active"] {
                let until: Int64? = state == "previous" ? r.clock.now + 10 * 365 * 86_400_000 : nil
                try await update(r, version: 1, "state = \(state), sealed = \(blob), usable_until = \(until)")
                try await expectTampered { try await verificationKeys(r) }
            }
            // Calls to payOS, which read the active rows, refuse too while an extra `active` row is there.
            try await expectTampered { try await Fixtures.unsealed(owner: r.owner, from: r.vault) }
            #expect(try await Fixtures.count(r.database, action: Vault.AuditAction.unsealFailed, owner: r.owner) == 3)
        }
    }

    @Test(arguments: TestDatabases.backends)
    func anOldActiveRowReplayedWithItsOwnGenuineTagIsNeverUsed(backend: TestBackend) async throws {
        try await withTestDatabase(backend) { database in
            let vault = Vault(database: database, masterKeys: try Fixtures.ring([1]))
            let owner = try await Fixtures.makeOwner(database)
            let first = SampleCredentials("first")
            try await Fixtures.store(first, owner: owner, in: vault)
            // A snapshot of version 1's checksum row while it was active (blob and tag both genuine)…
            let snapshot = try #require(
                try await database.query(
                    "SELECT sealed, state_mac FROM vault_credential WHERE owner_id = \(owner) AND kind = 'checksum_key' AND version = 1",
                    logger: logger
                ).first)
            let blob: [UInt8] = try snapshot.decode("sealed"), tag: [UInt8] = try snapshot.decode("state_mac")
            try await Fixtures.store(SampleCredentials("second"), owner: owner, in: vault)
            // …put back after the rotation: every tag verifies, but two versions claim to be active.
            let result = try await database.execute(
                """
                UPDATE vault_credential SET state = 'active', sealed = \(blob), usable_until = \(nil as Int64?), state_mac = \(tag)
                WHERE owner_id = \(owner) AND kind = 'checksum_key' AND version = 1
                """, logger: logger)
            #expect(result.affectedRows == 1)
            try await expectTampered {
                try await vault.webhookVerificationKeys(owner: owner, audit: Fixtures.caller, logger: logger) { $0.map(\.version) }
            }
        }
    }

    @Test(arguments: TestDatabases.backends)
    func aGraceWindowMovedLaterIsRefusedAndPayOSCallsGoOn(backend: TestBackend) async throws {
        try await withRotatedOwner(backend) { r in
            try await update(r, version: 1, "usable_until = \(r.clock.now + 10 * 365 * 86_400_000)")
            r.clock.advance(by: .seconds(7200))  // past the genuine window
            try await expectTampered { try await verificationKeys(r) }
            // Calls to payOS use the active set only, whose rows are untouched.
            #expect(try await Fixtures.unsealed(owner: r.owner, from: r.vault) == r.second.all)
        }
    }

    @Test(arguments: TestDatabases.backends)
    func statesSwappedBetweenTwoVersionsAreRefused(backend: TestBackend) async throws {
        try await withRotatedOwner(backend) { r in
            let rows = try await r.database.query(
                "SELECT version, state, usable_until, state_mac FROM vault_credential WHERE owner_id = \(r.owner) AND kind = 'checksum_key'",
                logger: logger)
            #expect(rows.count == 2)
            // Each row takes the other's state, grace window and tag: the old key becomes the active one.
            for row in rows {
                let version: Int = try row.decode("version")
                let other = try #require(try rows.first { try $0.decode("version", as: Int.self) != version })
                let state: String = try other.decode("state")
                let until: Int64? = try other.decodeIfPresent("usable_until")
                let tag: [UInt8]? = try other.decodeIfPresent("state_mac")
                try await update(r, version: version, "state = \(state), usable_until = \(until), state_mac = \(tag)")
            }
            #expect(try await Fixtures.state(r.database, owner: r.owner, kind: .checksumKey, version: 1) == "active")
            try await expectTampered { try await verificationKeys(r) }
            try await expectTampered { try await Fixtures.unsealed(owner: r.owner, from: r.vault) }
        }
    }

    @Test(arguments: TestDatabases.backends)
    func storingANewSetDestroysRowsWhoseStateDoesNotVerify(backend: TestBackend) async throws {
        try await withRotatedOwner(backend) { r in
            try await update(r, version: 1, "usable_until = \(r.clock.now + 10 * 365 * 86_400_000)")
            let third = SampleCredentials("third")
            let info = try await Fixtures.store(third, owner: r.owner, in: r.vault)
            // The genuine active key becomes the previous one; the tampered row is destroyed, not carried along.
            #expect(info.previousChecksumKey?.version == 2)
            #expect(try await Fixtures.state(r.database, owner: r.owner, kind: .checksumKey, version: 1) == "destroyed")
            #expect(try await verificationKeys(r) == [3, 2])
            let records = try await AuditLog().records(ownerID: r.owner, action: Vault.AuditAction.rotate, database: r.database, logger: logger)
            #expect(records.first?.detail?.contains(#""destroyed_unverified":["checksum_key:1"]"#) == true)
        }
    }

    // MARK: Rows from before the upgrade

    @Test(arguments: TestDatabases.backends)
    func rowsFromBeforeTheUpgradeAreTaggedAtStartupAndKeepWorking(backend: TestBackend) async throws {
        try await withRotatedOwner(backend) { r in
            try await makeLegacy(r)
            try await expectTampered { try await Fixtures.unsealed(owner: r.owner, from: r.vault) }

            let result = try await r.vault.authenticateLegacyCredentialStates(audit: Fixtures.admin, logger: logger)
            #expect(result.tagged == 4 && result.destroyed == 0)  // three active rows and the previous checksum key
            #expect(try await Fixtures.unsealed(owner: r.owner, from: r.vault) == r.second.all)
            #expect(try await verificationKeys(r) == [2, 1])
            // Nothing left to do at the next start; the genuine grace window still ends on time.
            let again = try await r.vault.authenticateLegacyCredentialStates(audit: Fixtures.admin, logger: logger)
            #expect(again.tagged == 0 && again.destroyed == 0)
            r.clock.advance(by: .seconds(3600))
            #expect(try await verificationKeys(r) == [2])
        }
    }

    @Test(arguments: TestDatabases.backends)
    func rowsTamperedWithBeforeTheUpgradeAreDestroyedNotTagged(backend: TestBackend) async throws {
        try await withRotatedOwner(backend) { r in
            // Before the upgrade: version 1's checksum key given a ten-year window, and its API key revived as active.
            try await update(r, version: 1, "usable_until = \(r.clock.now + 10 * 365 * 86_400_000)")
            let apiKey = try await r.database.execute(
                """
                UPDATE vault_credential SET state = 'active', sealed = \([UInt8](repeating: 7, count: 40))
                WHERE owner_id = \(r.owner) AND kind = 'api_key' AND version = 1
                """, logger: logger)
            #expect(apiKey.affectedRows == 1)
            try await makeLegacy(r)

            let result = try await r.vault.authenticateLegacyCredentialStates(audit: Fixtures.admin, logger: logger)
            #expect(result.tagged == 3 && result.destroyed == 2)
            #expect(try await Fixtures.state(r.database, owner: r.owner, kind: .checksumKey, version: 1) == "destroyed")
            #expect(try await Fixtures.sealed(r.database, owner: r.owner, kind: .checksumKey, version: 1) == nil)
            #expect(try await verificationKeys(r) == [2])
            #expect(try await Fixtures.unsealed(owner: r.owner, from: r.vault) == r.second.all)
        }
    }

    @Test(arguments: TestDatabases.backends)
    func anUntaggedRowWrittenAfterTheUpgradeIsNeverTagged(backend: TestBackend) async throws {
        try await withRotatedOwner(backend) { r in
            // The upgrade happened before these rows were written, so the vault tagged them: a missing tag is a removed one.
            try await r.database.execute(
                "UPDATE schema_migrations SET applied_at = \(r.clock.now - 60_000) WHERE version = \(VaultSchema.stateTagVersion)", logger: logger)
            try await update(r, version: 1, "state_mac = \(nil as [UInt8]?)")
            let result = try await r.vault.authenticateLegacyCredentialStates(audit: Fixtures.admin, logger: logger)
            #expect(result.tagged == 0 && result.destroyed == 0)
            try await expectTampered { try await verificationKeys(r) }
        }
    }

    @Test(arguments: TestDatabases.backends)
    func theStateTagMigrationAddsTheTagColumnAndCanBeReRunOnMariaDB(backend: TestBackend) async throws {
        try await withTestDatabase(backend, options: .init(migrate: false)) { db in
            let applied = try await db.migrate(logger: logger)
            #expect(applied.first { $0.version == VaultSchema.stateTagVersion }?.name == "vault credential state tags")
            if db.dialect == .mariadb {
                let v5 = try #require(GatehouseSchema.migrations.first { $0.version == VaultSchema.stateTagVersion })
                for statement in v5.statements(for: .mariadb) { try await db.execute(statement, logger: logger) }
            }
            let rows = try await db.query("SELECT state_mac FROM vault_credential", logger: logger)
            #expect(rows.isEmpty)
        }
    }

    // MARK: Helpers

    /// Makes the owner's rows look as a build before state tags left them: no tags, and the upgrade after they were written.
    private func makeLegacy(_ r: Rotated) async throws {
        try await r.database.execute("UPDATE vault_credential SET state_mac = NULL WHERE owner_id = \(r.owner)", logger: logger)
        try await r.database.execute(
            "UPDATE schema_migrations SET applied_at = \(r.clock.now + 1000) WHERE version = \(VaultSchema.stateTagVersion)", logger: logger)
    }

    /// An UPDATE straight in the database on the owner's checksum key row of `version`.
    private func update(_ r: Rotated, version: Int, _ assignments: SQLQuery) async throws {
        let result = try await r.database.execute(
            "UPDATE vault_credential SET " + assignments + " WHERE owner_id = \(r.owner) AND kind = 'checksum_key' AND version = \(version)",
            logger: logger)
        #expect(result.affectedRows == 1)
    }

    private func verificationKeys(_ r: Rotated) async throws -> [Int] {
        try await r.vault.webhookVerificationKeys(owner: r.owner, audit: Fixtures.caller, logger: logger) { $0.map(\.version) }
    }

    private func expectTampered<T>(_ body: () async throws -> T, sourceLocation: SourceLocation = #_sourceLocation) async throws {
        let error = await #expect(throws: VaultError.self, sourceLocation: sourceLocation) { _ = try await body() }
        #expect(error?.code == .stateTampered, sourceLocation: sourceLocation)
    }
}
