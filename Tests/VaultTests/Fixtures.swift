// Copyright (c) the Gatehouse authors
import Logging
import Sodium
import Storage
import StorageTestSupport
import Synchronization
import Testing
import Vault
import GatehouseCore

/// A wall clock the test moves by hand (to step past a grace window without waiting).
final class ManualClock: Sendable {
    private let milliseconds: Mutex<Int64>

    init(_ start: Int64 = 1_767_225_600_000) {  // 2026-01-01T00:00:00Z
        milliseconds = Mutex(start)
    }

    var now: Int64 { milliseconds.withLock { $0 } }

    func advance(by duration: Duration) {
        let (seconds, attoseconds) = duration.components
        milliseconds.withLock { $0 += seconds * 1000 + attoseconds / 1_000_000_000_000_000 }
    }

    var wallClock: WallClock { WallClock { self.now } }
}

/// A payOS credential set with recognisable, unique plaintexts (so a search for them in storage
/// bytes is meaningful).
struct SampleCredentials: Sendable {
    let clientID: String
    let apiKey: String
    let checksumKey: String

    init(_ tag: String = "") {
        let unique = Hex.encode(SecureRandom.bytes(count: 8))
        clientID = "cid-\(tag)\(unique)-5f2a9c1e"
        apiKey = "apikey-\(tag)\(unique)-7d4e2b90a1c3"
        checksumKey = "checksum-\(tag)\(unique)-" + String(repeating: "e3", count: 20)
    }

    var all: [String] { [clientID, apiKey, checksumKey] }
}

enum Fixtures {
    static let logger = TestDatabases.logger
    static let admin = AuditContext(actor: "admin:test", requestID: "req-admin")
    static let caller = AuditContext(actor: "owner:test", requestID: "req-1")

    static func ring(_ versions: [Int], active: Int? = nil) throws -> MasterKeyRing {
        var keys: [Int: SecureBytes] = [:]
        for version in versions { keys[version] = SecureBytes.random(count: 32) }
        return try MasterKeyRing(keys: keys, activeVersion: active)
    }

    /// Inserts an owner row (the vault tables refer to it) and returns its id.
    static func makeOwner(_ database: any SQLDatabase, name: String = "Nhà trọ Hoa Sen") async throws -> Int64 {
        let webhookKey = Hex.encode(SecureRandom.bytes(count: 16))
        let result = try await database.execute(
            """
            INSERT INTO owner (name, email, webhook_key, created_at, updated_at)
            VALUES (\(name), 'owner@example.vn', \(webhookKey), 0, 0)
            """,
            logger: logger
        )
        return try #require(result.lastInsertID)
    }

    @discardableResult
    static func store(_ credentials: SampleCredentials, owner: Int64, in vault: Vault) async throws -> CredentialInfo {
        try await vault.storeCredentials(
            owner: owner, clientID: credentials.clientID, apiKey: credentials.apiKey, checksumKey: credentials.checksumKey,
            audit: admin, logger: logger
        )
    }

    /// The active set's plaintexts, unsealed through the public API.
    static func unsealed(owner: Int64, from vault: Vault, purpose: String = "test") async throws -> [String] {
        try await vault.withCredentials(owner: owner, purpose: purpose, audit: caller, logger: logger) { credentials in
            [credentials.clientID, credentials.apiKey, credentials.checksumKey].map { $0.unprotectedUTF8String() ?? "<not utf-8>" }
        }
    }

    static func sealed(_ database: any SQLDatabase, owner: Int64, kind: CredentialKind, version: Int) async throws -> [UInt8]? {
        let rows = try await database.query(
            "SELECT sealed FROM vault_credential WHERE owner_id = \(owner) AND kind = \(kind.rawValue) AND version = \(version)",
            logger: logger
        )
        return try rows.first?.decodeIfPresent("sealed")
    }

    static func setSealed(_ database: any SQLDatabase, _ blob: [UInt8], owner: Int64, kind: CredentialKind, version: Int) async throws {
        let result = try await database.execute(
            "UPDATE vault_credential SET sealed = \(blob) WHERE owner_id = \(owner) AND kind = \(kind.rawValue) AND version = \(version)",
            logger: logger
        )
        #expect(result.affectedRows == 1)
    }

    static func state(_ database: any SQLDatabase, owner: Int64, kind: CredentialKind, version: Int) async throws -> String? {
        let rows = try await database.query(
            "SELECT state FROM vault_credential WHERE owner_id = \(owner) AND kind = \(kind.rawValue) AND version = \(version)",
            logger: logger
        )
        return try rows.first?.decode("state")
    }

    static func count(_ database: any SQLDatabase, action: String, owner: Int64? = nil) async throws -> Int {
        try await AuditLog().records(ownerID: owner, action: action, limit: 10_000, database: database, logger: logger).count
    }
}
