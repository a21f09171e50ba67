// Copyright (c) the Gatehouse authors
import Logging
import Sodium
import Storage
import StorageTestSupport
import Tenancy
import Testing
import GatehouseCore

/// Admin tokens: shown once, stored only as a keyed hash, checked in constant time, revocable; never confused with
/// an owner API key.
@Suite struct AdminTokenRepositoryTests {
    static let hasher = TokenHasher(pepper: Array(repeating: 7, count: 32))

    @Test(arguments: TestDatabases.backends)
    func anIssuedTokenAuthenticatesUntilRevokedAndIsStoredOnlyAsAHash(backend: TestBackend) async throws {
        try await withTestDatabase(backend) { database in
            let logger = TestDatabases.logger
            let tokens = AdminTokenRepository(database: database, hasher: Self.hasher)
            let issued = try await tokens.create(name: "  alice laptop ", logger: logger)
            #expect(issued.secret.hasPrefix("gha_\(issued.prefix)_"))
            // "gha_" + 12-character prefix + "_" + 52 base32 characters (260 ≥ 256 random bits).
            let expectedLength = 69
            #expect(issued.secret.count == expectedLength)
            #expect(!String(describing: issued).contains(issued.secret))

            let admin = try #require(try await tokens.authenticate(issued.secret, logger: logger))
            #expect(admin.prefix == issued.prefix)
            #expect(admin.name == "alice laptop")
            #expect(admin.actor == "admin:\(issued.prefix)")

            // Stored: the keyed hash, not the token.
            let row = try #require(try await database.query("SELECT token_hash FROM admin_token", logger: logger).first)
            let stored: [UInt8] = try row.decode("token_hash")
            #expect(stored == Self.hasher.hash(issued.secret, purpose: "admin-token"))
            #expect(!stored.isEmpty && stored != Array(issued.secret.utf8))

            let listed = try await tokens.list(logger: logger)
            #expect(listed.map(\.prefix) == [issued.prefix])
            #expect(listed.first?.lastUsedAt != nil)
            #expect(listed.first?.revokedAt == nil)
            #expect(listed.first?.name == "alice laptop" && listed.first?.expiresAt == nil)

            #expect(try await tokens.revoke(prefix: issued.prefix, logger: logger))
            #expect(try await tokens.authenticate(issued.secret, logger: logger) == nil)
            #expect(try await tokens.revoke(prefix: issued.prefix, logger: logger) == false)
            #expect(try await tokens.list(logger: logger).first?.revokedAt != nil)
        }
    }

    @Test(arguments: TestDatabases.backends)
    func wrongMalformedAndOwnerKeysNeverAuthenticate(backend: TestBackend) async throws {
        try await withTestDatabase(backend) { database in
            let logger = TestDatabases.logger
            let tokens = AdminTokenRepository(database: database, hasher: Self.hasher)
            let issued = try await tokens.create(name: "ops", logger: logger)
            let owner = try await OwnerRepository(database: database).create(name: "Chủ nhà", email: "chu@example.vn", logger: logger)
            let ownerKey = try await APIKeyRepository(database: database, hasher: Self.hasher).issue(owner: owner.id, logger: logger)
            var tampered = Array(issued.secret)
            tampered[tampered.count - 1] = tampered.last == "a" ? "b" : "a"
            let candidates = [
                "", "gha_", issued.prefix, "gha_\(issued.prefix)_", String(tampered), issued.secret + "x", "gh" + issued.secret.dropFirst(3),
                ownerKey.secret, "gha_" + ownerKey.secret.dropFirst(3), String(repeating: "a", count: 500),
            ]
            for candidate in candidates {
                #expect(try await tokens.authenticate(candidate, logger: logger) == nil, "\(candidate.prefix(20))")
            }
            // And an admin token is not an owner key.
            #expect(try await APIKeyRepository(database: database, hasher: Self.hasher).authenticate(issued.secret, logger: logger) == nil)
        }
    }

    @Test(arguments: TestDatabases.backends)
    func aTokenNeedsAOneLineName(backend: TestBackend) async throws {
        try await withTestDatabase(backend) { database in
            let tokens = AdminTokenRepository(database: database, hasher: Self.hasher)
            for bad in ["", "   ", String(repeating: "x", count: 101), "two\nlines"] {
                await #expect(throws: TenancyError.self, "\(bad.prefix(10))") { try await tokens.create(name: bad, logger: TestDatabases.logger) }
            }
            let remaining = try await tokens.list(logger: TestDatabases.logger)
            #expect(remaining.isEmpty)
        }
    }
}
