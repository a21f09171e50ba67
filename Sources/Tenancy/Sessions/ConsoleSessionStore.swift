// Copyright (c) the Gatehouse authors
public import Logging
import Sodium
public import Storage
public import GatehouseCore

/// The rules the admin dashboard's and the owner console's sessions share: a random secret (`<scheme>_<prefix>_<secret>`)
/// in an HttpOnly cookie, stored only as a keyed hash (``TokenHasher``, a purpose of its own) and found by its public
/// prefix; a synchronizer CSRF token per session; an expiry; and the credential that signed in (an admin token, an
/// owner API key) named by its prefix, so revoking that credential ends its sessions at once.
///
/// Each console keeps its own table (`prefix, session_hash, <credential column>, csrf_token, created_at, expires_at,
/// ended_at`) and scheme, so a session cookie of one console never opens the other.
public struct ConsoleSessionStore: Sendable {
    /// A session just opened: `cookie` is the only time its secret exists outside the browser.
    public struct Issued: Sendable, CustomStringConvertible {
        public let prefix: String
        public let cookie: String
        public let csrfToken: String
        /// Unix ms.
        public let expiresAt: Int64
        public var description: String { "ConsoleSessionStore.Issued(prefix: \(prefix), cookie: redacted)" }
    }

    /// A live session's row: its own columns and the credential's `credentialColumns`.
    public struct Found {
        public let prefix: String
        public let csrfToken: String
        public let expiresAt: Int64
        /// The signing-in credential's prefix and the selected credential columns.
        public let credentialPrefix: String
        public let row: SQLRow
    }

    /// The literal first part of the cookie value (`ghs`, `gho`).
    let scheme: String
    /// The ``TokenHasher`` purpose label.
    let purpose: String
    /// The session table (a constant, never input).
    let table: String
    /// The session column naming the credential's prefix (a constant).
    let credentialColumn: String
    /// The credential table (`prefix`, `revoked_at` and the selected columns; a constant).
    let credentialTable: String
    /// More columns of the credential row to read, as `t.<column>` (a constant).
    let credentialColumns: String
    let lifetimeMillis: Int64
    let database: any SQLDatabase
    let hasher: TokenHasher
    let clock: WallClock

    public init(
        scheme: String, purpose: String, table: String, credentialColumn: String, credentialTable: String, credentialColumns: String,
        lifetimeMillis: Int64, database: any SQLDatabase, hasher: TokenHasher, clock: WallClock
    ) {
        self.scheme = scheme
        self.purpose = purpose
        self.table = table
        self.credentialColumn = credentialColumn
        self.credentialTable = credentialTable
        self.credentialColumns = credentialColumns
        self.lifetimeMillis = lifetimeMillis
        self.database = database
        self.hasher = hasher
        self.clock = clock
    }

    /// Opens a session for the credential with prefix `credentialPrefix` (already authenticated by the caller).
    public func open(credentialPrefix: String, logger: Logger) async throws -> Issued {
        // Housekeeping on the rare write path: sessions long over are removed when someone signs in.
        try await purge(logger: logger)
        let issued = PrefixedToken(scheme: scheme)
        let csrf = RandomToken.secret(bits: 160)
        let now = clock.now()
        let expiresAt = now + lifetimeMillis
        try await database.execute(
            """
            INSERT INTO \(unescaped: table) (prefix, session_hash, \(unescaped: credentialColumn), csrf_token, created_at, expires_at)
            VALUES (\(issued.prefix), \(hasher.hash(issued.token, purpose: purpose)), \(credentialPrefix), \(csrf), \(now), \(expiresAt))
            """, logger: logger)
        return Issued(prefix: issued.prefix, cookie: issued.token, csrfToken: csrf, expiresAt: expiresAt)
    }

    /// The live session a cookie names, or `nil`: malformed, unknown, wrong secret, expired, ended, its credential
    /// revoked, or not `usable` (e.g. the credential expired) at the time given.
    public func find(
        cookie: String, logger: Logger, usable: (SQLRow, _ now: Int64) throws -> Bool = { _, _ in true }
    ) async throws -> Found? {
        guard let prefix = PrefixedToken.prefix(of: cookie, scheme: scheme) else { return nil }
        guard let row = try await database.query(
            """
            SELECT s.session_hash, s.\(unescaped: credentialColumn) AS credential_prefix, s.csrf_token, s.expires_at, s.ended_at,
                t.revoked_at, \(unescaped: credentialColumns)
            FROM \(unescaped: table) s JOIN \(unescaped: credentialTable) t ON t.prefix = s.\(unescaped: credentialColumn)
            WHERE s.prefix = \(prefix)
            """, logger: logger
        ).first else { return nil }
        guard hasher.matches(cookie, purpose: purpose, stored: try row.decode("session_hash")) else { return nil }
        let now = clock.now()
        let expiresAt: Int64 = try row.decode("expires_at")
        guard expiresAt > now, try row.decodeIfPresent("ended_at", as: Int64.self) == nil,
            try row.decodeIfPresent("revoked_at", as: Int64.self) == nil, try usable(row, now)
        else { return nil }
        return Found(
            prefix: prefix, csrfToken: try row.decode("csrf_token"), expiresAt: expiresAt, credentialPrefix: try row.decode("credential_prefix"),
            row: row)
    }

    /// Ends a session (sign-out).
    public func end(prefix: String, logger: Logger) async throws {
        try await database.execute(
            "UPDATE \(unescaped: table) SET ended_at = \(clock.now()) WHERE prefix = \(prefix) AND ended_at IS NULL", logger: logger)
    }

    /// Deletes sessions that expired or ended more than a day ago (housekeeping).
    @discardableResult
    public func purge(logger: Logger) async throws -> Int {
        let cutoff = clock.now() - 24 * 3600 * 1000
        return Int(
            try await database.execute(
                "DELETE FROM \(unescaped: table) WHERE expires_at < \(cutoff) OR ended_at < \(cutoff)", logger: logger
            ).affectedRows)
    }

    /// Compares two tokens in constant time (for equal lengths; token lengths are public): CSRF tokens.
    public static func constantTimeEquals(_ lhs: String, _ rhs: String) -> Bool {
        ConstantTime.equals(Array(lhs.utf8), Array(rhs.utf8))
    }
}
