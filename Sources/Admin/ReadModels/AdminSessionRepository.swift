// Copyright (c) the Gatehouse authors
public import Logging
import Sodium
public import Storage
public import GatehouseCore
public import Tenancy

/// A dashboard session just opened: `cookie` is the only time its secret exists outside the browser.
public struct IssuedAdminSession: Sendable, CustomStringConvertible {
    /// The cookie value (`ghs_<prefix>_<secret>`), stored only as a keyed hash.
    public let cookie: String
    public let csrfToken: String
    /// Unix ms.
    public let expiresAt: Int64
    public let admin: AdminPrincipal

    public var description: String { "IssuedAdminSession(admin: \(admin.prefix), cookie: redacted)" }
}

/// An authenticated dashboard session.
public struct AdminSession: Sendable, Hashable {
    public let prefix: String
    public let admin: AdminPrincipal
    /// The synchronizer token every form of this session must carry.
    public let csrfToken: String
    public let expiresAt: Int64

    /// Whether a submitted form token is this session's, compared in constant time.
    public func acceptsCSRF(_ presented: String?) -> Bool {
        guard let presented, !presented.isEmpty else { return false }
        return Self.constantTimeEquals(presented, csrfToken)
    }

    /// Compares two tokens in constant time (for equal lengths; token lengths are public).
    public static func constantTimeEquals(_ lhs: String, _ rhs: String) -> Bool {
        ConstantTime.equals(Array(lhs.utf8), Array(rhs.utf8))
    }
}

/// Dashboard sessions (`admin_session`, schema v4): opened by signing in with an admin token, valid until they expire,
/// the admin signs out, or the admin token is revoked.
public struct AdminSessionRepository: Sendable {
    static let purpose = "admin-session"
    /// How long a session lasts from sign-in: a working day; admins sign in again after that.
    public static let lifetimeMillis: Int64 = 8 * 3600 * 1000

    let database: any SQLDatabase
    let hasher: TokenHasher
    let tokens: AdminTokenRepository
    let clock: WallClock

    public init(database: any SQLDatabase, hasher: TokenHasher, clock: WallClock = .system) {
        self.database = database
        self.hasher = hasher
        self.tokens = AdminTokenRepository(database: database, hasher: hasher, clock: clock)
        self.clock = clock
    }

    /// Signs in with an admin token: a new session, or `nil` when the token is not a valid admin token.
    public func signIn(token: String, logger: Logger) async throws -> IssuedAdminSession? {
        guard let admin = try await tokens.authenticate(token, logger: logger) else { return nil }
        // Housekeeping on the rare write path: sessions long over are removed when someone signs in.
        try await purge(logger: logger)
        let issued = PrefixedToken(scheme: "ghs")
        let (prefix, cookie) = (issued.prefix, issued.token)
        let csrf = RandomToken.secret(bits: 160)
        let now = clock.now()
        let expiresAt = now + Self.lifetimeMillis
        try await database.execute(
            """
            INSERT INTO admin_session (prefix, session_hash, admin_prefix, csrf_token, created_at, expires_at)
            VALUES (\(prefix), \(hasher.hash(cookie, purpose: Self.purpose)), \(admin.prefix), \(csrf), \(now), \(expiresAt))
            """, logger: logger)
        return IssuedAdminSession(cookie: cookie, csrfToken: csrf, expiresAt: expiresAt, admin: admin)
    }

    /// The live session a cookie names, or `nil` (malformed, unknown, wrong secret, expired, ended, or its admin
    /// token revoked).
    public func session(cookie: String, logger: Logger) async throws -> AdminSession? {
        guard let prefix = PrefixedToken.prefix(of: cookie, scheme: "ghs") else { return nil }
        guard let row = try await database.query(
            """
            SELECT s.session_hash, s.admin_prefix, s.csrf_token, s.expires_at, s.ended_at, t.name, t.revoked_at
            FROM admin_session s JOIN admin_token t ON t.prefix = s.admin_prefix WHERE s.prefix = \(prefix)
            """, logger: logger
        ).first else { return nil }
        guard hasher.matches(cookie, purpose: Self.purpose, stored: try row.decode("session_hash")) else { return nil }
        let expiresAt: Int64 = try row.decode("expires_at")
        guard expiresAt > clock.now(), try row.decodeIfPresent("ended_at", as: Int64.self) == nil,
            try row.decodeIfPresent("revoked_at", as: Int64.self) == nil
        else { return nil }
        return AdminSession(
            prefix: prefix, admin: AdminPrincipal(prefix: try row.decode("admin_prefix"), name: try row.decode("name")),
            csrfToken: try row.decode("csrf_token"), expiresAt: expiresAt)
    }

    /// Ends a session (sign-out).
    public func end(_ session: AdminSession, logger: Logger) async throws {
        try await database.execute(
            "UPDATE admin_session SET ended_at = \(clock.now()) WHERE prefix = \(session.prefix) AND ended_at IS NULL", logger: logger)
    }

    /// Deletes sessions that expired or ended more than a day ago (housekeeping).
    @discardableResult
    public func purge(logger: Logger) async throws -> Int {
        let cutoff = clock.now() - 24 * 3600 * 1000
        return Int(
            try await database.execute(
                "DELETE FROM admin_session WHERE expires_at < \(cutoff) OR ended_at < \(cutoff)", logger: logger
            ).affectedRows)
    }
}
