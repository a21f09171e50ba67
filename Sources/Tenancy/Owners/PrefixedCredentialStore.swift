// Copyright (c) the Gatehouse authors
import Logging
import Storage
import GatehouseCore

/// A newly issued prefixed credential (an owner API key `gh_…`, an admin token `gha_…`). `secret` is the only time the
/// full credential exists outside its holder.
public struct IssuedCredential: Sendable, CustomStringConvertible {
    /// Public, unique: names the credential in listings (and an admin token in audit rows, `admin:<prefix>`, and
    /// `revoke-token`).
    public let prefix: String
    /// The full credential (`<scheme>_<prefix>_<secret>`): shown once, stored only as a keyed hash.
    public let secret: String

    public var description: String { "IssuedCredential(prefix: \(prefix), secret: redacted)" }
}

/// What may be listed about a prefixed credential (never the secret or its hash).
public struct ListedCredential: Sendable, Hashable {
    public let prefix: String
    /// What its holder calls it ("alice laptop"); always set for admin tokens, optional for API keys.
    public let name: String?
    public let createdAt: Int64
    public let lastUsedAt: Int64?
    /// `nil` for a credential that does not expire (admin tokens never do).
    public let expiresAt: Int64?
    public let revokedAt: Int64?

    /// Reads a row with the columns `prefix, name, created_at, last_used_at, expires_at, revoked_at`.
    init(row: SQLRow) throws {
        prefix = try row.decode("prefix")
        name = try row.decodeIfPresent("name")
        createdAt = try row.decode("created_at")
        lastUsedAt = try row.decodeIfPresent("last_used_at")
        expiresAt = try row.decodeIfPresent("expires_at")
        revokedAt = try row.decodeIfPresent("revoked_at")
    }
}

/// The rules owner API keys and admin tokens share: a random 256-bit secret behind a 60-bit public prefix
/// (`<scheme>_<prefix>_<secret>`), stored only as a keyed hash (``TokenHasher``) under a purpose of its own, looked up
/// by the prefix and compared in constant time, with `last_used_at` written at most once a minute so authentication
/// stays a read on the hot path. Each kind keeps its own table, literal scheme and hash purpose, so a credential
/// pasted into the wrong place is recognisable and can never match.
struct PrefixedCredentialStore: Sendable {
    /// `last_used_at` is written at most this often per credential.
    static let lastUsedResolutionMillis: Int64 = 60_000

    /// The literal first part (`gh`, `gha`).
    let scheme: String
    /// The ``TokenHasher`` purpose label.
    let purpose: String
    /// The table (a constant, never input) with columns `prefix`, `revoked_at`, `last_used_at` and ``hashColumn``.
    let table: String
    /// The column holding the keyed hash.
    let hashColumn: String
    let database: any SQLDatabase
    let hasher: TokenHasher
    let clock: WallClock

    /// A new credential: its public prefix, the full secret (shown once) and the keyed hash to store.
    func issue() -> (credential: IssuedCredential, hash: [UInt8]) {
        let issued = PrefixedToken(scheme: scheme)
        return (IssuedCredential(prefix: issued.prefix, secret: issued.token), hasher.hash(issued.token, purpose: purpose))
    }

    /// The public prefix of a well-formed credential of this kind, else `nil`.
    func prefix(of presented: String) -> String? { PrefixedToken.prefix(of: presented, scheme: scheme) }

    /// The stored row of a presented credential (with `columns` besides the hash and timestamps), or `nil` when it is
    /// malformed, unknown, wrong, revoked or not `usable` at the time given; marks it used.
    func authenticate(
        _ presented: String, columns: String, logger: Logger, usable: (SQLRow, _ now: Int64) throws -> Bool = { _, _ in true }
    ) async throws -> (prefix: String, row: SQLRow)? {
        guard let prefix = prefix(of: presented) else { return nil }
        guard let row = try await database.query(
            "SELECT \(unescaped: columns), \(unescaped: hashColumn), revoked_at, last_used_at FROM \(unescaped: table) WHERE prefix = \(prefix)",
            logger: logger
        ).first else { return nil }
        guard hasher.matches(presented, purpose: purpose, stored: try row.decode(hashColumn)) else { return nil }
        let now = clock.now()
        if try row.decodeIfPresent("revoked_at", as: Int64.self) != nil { return nil }
        guard try usable(row, now) else { return nil }
        let lastUsed = try row.decodeIfPresent("last_used_at", as: Int64.self) ?? 0
        if now - lastUsed >= Self.lastUsedResolutionMillis {
            try await database.execute("UPDATE \(unescaped: table) SET last_used_at = \(now) WHERE prefix = \(prefix)", logger: logger)
        }
        return (prefix, row)
    }
}
