// Copyright (c) the Gatehouse authors
import GatehouseCore
import Logging
import Storage
import StorageTestSupport
import Tenancy
import Testing

/// `/webhook/payos/{key}` finds its owner from memory after one database read, yet the key's tag is checked on every
/// request, made-up keys leave nothing behind, and the memory is bounded.
@Suite struct WebhookKeyDirectoryTests {
    let logger = TestDatabases.logger
    let keys = WebhookKeys(hasher: TokenHasher(pepper: Array(repeating: 5, count: 32)))

    func makeOwner(_ db: any SQLDatabase, _ n: Int = 1) async throws -> Owner {
        try await OwnerRepository(database: db).create(name: "Chủ trọ \(n)", email: "owner\(n)@example.vn", logger: logger)
    }

    @Test(arguments: TestDatabases.backends)
    func aKnownKeyIsAnsweredFromMemoryAfterOneRead(backend: TestBackend) async throws {
        try await withTestDatabase(backend) { db in
            let owners = OwnerRepository(database: db)
            let owner = try await makeOwner(db)
            let key = keys.key(for: owner)
            for _ in 0..<50 { #expect(try await keys.ownerID(presentedKey: key, in: owners, logger: logger) == owner.id) }
            let statistics = keys.directory.statistics
            #expect(statistics.misses == 1 && statistics.hits == 49 && statistics.entries == 1)

            // From memory, not the database: with the row's id changed behind its back, the directory still answers…
            try await db.execute("UPDATE owner SET webhook_key = 'abcdefghijkmnpqr' WHERE id = \(owner.id)", logger: logger)
            #expect(try await keys.ownerID(presentedKey: key, in: owners, logger: logger) == owner.id)
            // …until told the owner's key changed: then the database's answer stands.
            keys.directory.forget(owner: owner.id)
            #expect(keys.directory.statistics.entries == 0)
            #expect(try await keys.ownerID(presentedKey: key, in: owners, logger: logger) == nil)
            #expect(try await keys.owner(presentedKey: key, in: owners, logger: logger) == nil)
        }
    }

    @Test(arguments: TestDatabases.backends)
    func aWrongTagIsRefusedEvenWhileTheIdIsHeld(backend: TestBackend) async throws {
        try await withTestDatabase(backend) { db in
            let owners = OwnerRepository(database: db)
            let owner = try await makeOwner(db)
            let key = keys.key(for: owner)
            #expect(try await keys.ownerID(presentedKey: key, in: owners, logger: logger) == owner.id)
            let id = owner.webhookKeyID
            let tag = String(key.dropFirst(id.count + 1))
            let flipped = String(tag.dropLast()) + (tag.last == "a" ? "b" : "a")
            for presented in [id, "\(id).\(flipped)", "\(id).", ".\(tag)", "\(id).\(tag).x", "\(id.uppercased()).\(tag)"] {
                #expect(try await keys.ownerID(presentedKey: presented, in: owners, logger: logger) == nil, "\(presented)")
            }
            // Refused before the directory was even looked at: one miss (the first read), no other lookup.
            let statistics = keys.directory.statistics
            #expect(statistics.misses == 1 && statistics.hits == 0)
        }
    }

    @Test(arguments: TestDatabases.backends)
    func unknownKeysAreNeverHeld(backend: TestBackend) async throws {
        try await withTestDatabase(backend) { db in
            let owners = OwnerRepository(database: db)
            let owner = try await makeOwner(db)
            // A well-formed key with a right tag for an id no owner has (only the pepper's holder can make one): read, not held.
            var stranger = owner
            stranger.webhookKeyID = WebhookKeys.newKeyID()
            for _ in 0..<3 { #expect(try await keys.ownerID(presentedKey: keys.key(for: stranger), in: owners, logger: logger) == nil) }
            #expect(keys.directory.statistics.misses == 3)
            // Made-up keys (wrong tag) do not even reach the directory or the database.
            for _ in 0..<100 {
                let madeUp = "\(WebhookKeys.newKeyID()).\(RandomToken.base32(count: 32))"
                #expect(try await keys.ownerID(presentedKey: madeUp, in: owners, logger: logger) == nil)
            }
            let statistics = keys.directory.statistics
            #expect(statistics.misses == 3 && statistics.entries == 0)
        }
    }

    /// Owners from before key ids keep their 32-character key, matched as stored, and held like the others.
    @Test(arguments: TestDatabases.backends)
    func aLegacyKeyIsHeldToo(backend: TestBackend) async throws {
        try await withTestDatabase(backend) { db in
            let owners = OwnerRepository(database: db)
            let owner = try await makeOwner(db)
            let legacy = RandomToken.secret(bits: 160)
            try await db.execute("UPDATE owner SET webhook_key = \(legacy) WHERE id = \(owner.id)", logger: logger)
            #expect(try await keys.ownerID(presentedKey: legacy, in: owners, logger: logger) == owner.id)
            #expect(try await keys.ownerID(presentedKey: legacy, in: owners, logger: logger) == owner.id)
            #expect(try await keys.ownerID(presentedKey: RandomToken.secret(bits: 160), in: owners, logger: logger) == nil)
            let statistics = keys.directory.statistics
            #expect(statistics.hits == 1 && statistics.misses == 2 && statistics.entries == 1)
        }
    }

    /// At start-up the newest owners' ids are loaded in one read, up to the capacity: their first webhooks need no read.
    @Test(arguments: TestDatabases.backends)
    func aPreloadAnswersFirstWebhooksFromMemoryUpToTheCapacity(backend: TestBackend) async throws {
        try await withTestDatabase(backend) { db in
            let owners = OwnerRepository(database: db)
            var created: [Owner] = []
            for n in 1...20 { created.append(try await makeOwner(db, n)) }
            let keys = WebhookKeys(hasher: TokenHasher(pepper: Array(repeating: 5, count: 32)), directory: WebhookKeyDirectory(capacity: 16))
            #expect(try await keys.preload(from: owners, logger: logger) == 16)

            // The 16 newest: answered without a read, even with their rows changed behind the directory's back.
            for owner in created {
                try await db.execute("UPDATE owner SET webhook_key = \(WebhookKeys.newKeyID()) WHERE id = \(owner.id)", logger: logger)
            }
            for owner in created.suffix(16) {
                #expect(try await keys.ownerID(presentedKey: self.keys.key(for: owner), in: owners, logger: logger) == owner.id)
            }
            #expect(keys.directory.statistics.hits == 16 && keys.directory.statistics.misses == 0)
            // The oldest four were left to the database (which no longer knows their ids).
            #expect(try await keys.ownerID(presentedKey: self.keys.key(for: created[0]), in: owners, logger: logger) == nil)
            #expect(keys.directory.statistics.misses == 1)

            // Another preload (the rows now hold other ids) stays within the capacity.
            #expect(try await keys.preload(from: owners, logger: logger) == 16)
        }
    }

    @Test func theDirectoryIsBoundedAndKeepsWhatIsInUse() {
        let directory = WebhookKeyDirectory(capacity: 16)
        directory.store(id: "kept", owner: OwnerID(1), generation: directory.generation)
        for n in 2...200 {
            directory.store(id: "id-\(n)", owner: OwnerID(Int64(n)), generation: directory.generation)
            _ = directory.owner(id: "kept")
        }
        #expect(directory.statistics.entries <= 16)
        #expect(directory.owner(id: "kept") == OwnerID(1))
        #expect(directory.owner(id: "id-200") == OwnerID(200))
        #expect(directory.owner(id: "id-2") == nil)
    }

    /// A read that started before a forget does not put back what the forget removed.
    @Test func aFillRacingAForgetIsNotHeld() {
        let directory = WebhookKeyDirectory()
        let generation = directory.generation
        directory.forget(owner: OwnerID(7))
        directory.store(id: "stale", owner: OwnerID(7), generation: generation)
        #expect(directory.owner(id: "stale") == nil)
        directory.store(id: "fresh", owner: OwnerID(7), generation: directory.generation)
        directory.forgetAll()
        #expect(directory.owner(id: "fresh") == nil)
    }
}
