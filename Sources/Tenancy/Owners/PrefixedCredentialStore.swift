// Copyright (c) the Gatehouse authors
import Logging
import Storage
import GatehouseCore

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
    func issue() -> (prefix: String, secret: String, hash: [UInt8]) {
        let issued = PrefixedToken(scheme: scheme)
        return (issued.prefix, issued.token, hasher.hash(issued.token, purpose: purpose))
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
