// Copyright (c) the Gatehouse authors
public import Logging
public import Storage
public import GatehouseCore

/// Owner API keys (`gh_…`, hash purpose `owner-api-key`): random 256-bit secrets with a 60-bit public prefix, stored only as a
/// keyed hash (``PrefixedCredentialStore``).
public struct APIKeyRepository: Sendable {
    /// This kind's rules, with the database and clock every statement here uses.
    let credentials: PrefixedCredentialStore

    public init(database: any SQLDatabase, hasher: TokenHasher, clock: WallClock = .system) {
        credentials = PrefixedCredentialStore(
            scheme: "gh", purpose: "owner-api-key", table: "owner_api_key", hashColumn: "key_hash", database: database, hasher: hasher,
            clock: clock)
    }

    /// Issues a new key for `owner`, optionally expiring at `expiresAt` (Unix ms).
    public func issue(owner: OwnerID, name: String? = nil, expiresAt: Int64? = nil, logger: Logger) async throws -> IssuedCredential {
        try await credentials.database.withConnection(logger: logger) { try await issue(owner: owner, name: name, expiresAt: expiresAt, on: $0) }
    }

    /// Issues a new key on the caller's connection (inside its transaction).
    public func issue(owner: OwnerID, name: String? = nil, expiresAt: Int64? = nil, on connection: any SQLConnection) async throws -> IssuedCredential {
        let (issued, hash) = credentials.issue()
        let now = credentials.clock.now()
        try await connection.execute(
            """
            INSERT INTO owner_api_key (owner_id, prefix, key_hash, name, created_at, expires_at)
            VALUES (\(owner), \(issued.prefix), \(hash), \(name), \(now), \(expiresAt))
            """
        )
        return issued
    }

    /// The owner a presented key belongs to, or `nil` when it is malformed, unknown, revoked, expired or wrong.
    /// The comparison of hashes is constant-time; the lookup is by the public prefix.
    public func authenticate(_ presented: String, logger: Logger) async throws -> OwnerID? {
        let found = try await credentials.authenticate(presented, columns: "owner_id, expires_at", logger: logger) { row, now in
            guard let expiresAt = try row.decodeIfPresent("expires_at", as: Int64.self) else { return true }
            return expiresAt > now
        }
        return try found.map { try $0.row.decode("owner_id") }
    }

    /// The owner's keys, newest first (never the secrets).
    public func list(owner: OwnerID, logger: Logger) async throws -> [ListedCredential] {
        try await credentials.database.query(
            """
            SELECT prefix, name, created_at, last_used_at, expires_at, revoked_at FROM owner_api_key
            WHERE owner_id = \(owner) ORDER BY created_at DESC, id DESC
            """,
            logger: logger
        ).map(ListedCredential.init(row:))
    }

    /// Revokes one of the owner's keys now. Returns `false` when the owner has no such active key.
    @discardableResult
    public func revoke(owner: OwnerID, prefix: String, logger: Logger) async throws -> Bool {
        let now = credentials.clock.now()
        let result = try await credentials.database.execute(
            "UPDATE owner_api_key SET revoked_at = \(now) WHERE owner_id = \(owner) AND prefix = \(prefix) AND revoked_at IS NULL",
            logger: logger)
        return result.affectedRows > 0
    }

    /// Makes every current key of the owner expire at `expiresAt` (unless it expires sooner): used when rotating keys.
    public func expireAll(owner: OwnerID, at expiresAt: Int64, on connection: any SQLConnection) async throws {
        try await connection.execute(
            """
            UPDATE owner_api_key SET expires_at = \(expiresAt)
            WHERE owner_id = \(owner) AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > \(expiresAt))
            """)
    }
}
