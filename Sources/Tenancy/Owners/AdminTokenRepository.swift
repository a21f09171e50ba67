// Copyright (c) the Gatehouse authors
import Foundation
public import Logging
public import Storage
public import GatehouseCore

/// The admin a request authenticated as.
public struct AdminPrincipal: Sendable, Hashable {
    public let prefix: String
    public let name: String

    public init(prefix: String, name: String) {
        self.prefix = prefix
        self.name = name
    }

    /// The audit actor: `admin:<prefix>` (the prefix is public and unique; the name is free text an operator chose).
    public var actor: String { "admin:\(prefix)" }
}

/// Platform admin tokens (`admin_token`): random 256-bit secrets behind a 60-bit public prefix, stored only as a
/// keyed hash (``TokenHasher``, purpose `admin-token`, so an owner API key can never match), compared in constant time.
///
/// Same rules as owner API keys (``APIKeyRepository``; both go through ``PrefixedCredentialStore``) but a different
/// literal prefix (`gha_` vs `gh_`) so a token pasted into the wrong place is recognisable, and a different hash purpose
/// so the two can never be confused.
public struct AdminTokenRepository: Sendable {
    /// This kind's rules, with the database and clock every statement here uses.
    let credentials: PrefixedCredentialStore

    public init(database: any SQLDatabase, hasher: TokenHasher, clock: WallClock = .system) {
        credentials = PrefixedCredentialStore(
            scheme: "gha", purpose: "admin-token", table: "admin_token", hashColumn: "token_hash", database: database, hasher: hasher,
            clock: clock)
    }

    /// `admin_token.name`: one line, limited to its column's length in code points.
    public static let name = TextField("name", maximum: 100)

    /// Creates a token named `name` (1…100 characters, for people: "alice laptop").
    /// - Throws: ``TenancyError/Code/validation`` for an empty or over-long name.
    public func create(name: String, logger: Logger) async throws -> IssuedCredential {
        let name = try Self.name.validated(name)
        let (issued, hash) = credentials.issue()
        try await credentials.database.execute(
            """
            INSERT INTO admin_token (name, prefix, token_hash, created_at)
            VALUES (\(name), \(issued.prefix), \(hash), \(credentials.clock.now()))
            """,
            logger: logger)
        return issued
    }

    /// The admin a presented token belongs to, or `nil` when it is malformed, unknown, revoked or wrong.
    /// The lookup is by the public prefix; the hash comparison is constant-time.
    public func authenticate(_ presented: String, logger: Logger) async throws -> AdminPrincipal? {
        guard let found = try await credentials.authenticate(presented, columns: "name", logger: logger) else { return nil }
        return AdminPrincipal(prefix: found.prefix, name: try found.row.decode("name"))
    }

    /// Every token, newest first (admin tokens do not expire: `expiresAt` is always `nil`).
    public func list(logger: Logger) async throws -> [ListedCredential] {
        try await credentials.database.query(
            """
            SELECT prefix, name, created_at, last_used_at, NULL AS expires_at, revoked_at FROM admin_token
            ORDER BY created_at DESC, id DESC
            """,
            logger: logger
        ).map(ListedCredential.init(row:))
    }

    /// Revokes the token with this prefix now. Returns `false` when there is no such unrevoked token.
    @discardableResult
    public func revoke(prefix: String, logger: Logger) async throws -> Bool {
        let result = try await credentials.database.execute(
            "UPDATE admin_token SET revoked_at = \(credentials.clock.now()) WHERE prefix = \(prefix) AND revoked_at IS NULL", logger: logger)
        return result.affectedRows > 0
    }

    /// The public prefix of a well-formed token (`gha_` + 12 base32 characters + `_` + secret), else `nil`.
    public static func prefix(of presented: String) -> String? { PrefixedToken.prefix(of: presented, scheme: "gha") }
}
