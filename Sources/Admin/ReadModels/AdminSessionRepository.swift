// Copyright (c) the Gatehouse authors
public import Logging
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
        ConsoleSessionStore.constantTimeEquals(lhs, rhs)
    }
}

/// Dashboard sessions (`admin_session`, schema v4): opened by signing in with an admin token, valid until they expire,
/// the admin signs out, or the admin token is revoked (the rules are ``ConsoleSessionStore``'s, shared with the owner
/// console).
public struct AdminSessionRepository: Sendable {
    /// How long a session lasts from sign-in: a working day; admins sign in again after that.
    public static let lifetimeMillis: Int64 = 8 * 3600 * 1000

    let store: ConsoleSessionStore
    let tokens: AdminTokenRepository

    public init(database: any SQLDatabase, hasher: TokenHasher, clock: WallClock = .system) {
        self.store = ConsoleSessionStore(
            scheme: "ghs", purpose: "admin-session", table: "admin_session", credentialColumn: "admin_prefix", credentialTable: "admin_token",
            credentialColumns: "t.name", lifetimeMillis: Self.lifetimeMillis, database: database, hasher: hasher, clock: clock)
        self.tokens = AdminTokenRepository(database: database, hasher: hasher, clock: clock)
    }

    /// Signs in with an admin token: a new session, or `nil` when the token is not a valid admin token.
    public func signIn(token: String, logger: Logger) async throws -> IssuedAdminSession? {
        guard let admin = try await tokens.authenticate(token, logger: logger) else { return nil }
        let issued = try await store.open(credentialPrefix: admin.prefix, logger: logger)
        return IssuedAdminSession(cookie: issued.cookie, csrfToken: issued.csrfToken, expiresAt: issued.expiresAt, admin: admin)
    }

    /// The live session a cookie names, or `nil` (malformed, unknown, wrong secret, expired, ended, or its admin
    /// token revoked).
    public func session(cookie: String, logger: Logger) async throws -> AdminSession? {
        guard let found = try await store.find(cookie: cookie, logger: logger) else { return nil }
        return AdminSession(
            prefix: found.prefix, admin: AdminPrincipal(prefix: found.credentialPrefix, name: try found.row.decode("name")),
            csrfToken: found.csrfToken, expiresAt: found.expiresAt)
    }

    /// Ends a session (sign-out).
    public func end(_ session: AdminSession, logger: Logger) async throws {
        try await store.end(prefix: session.prefix, logger: logger)
    }

    /// Deletes sessions that expired or ended more than a day ago (housekeeping).
    @discardableResult
    public func purge(logger: Logger) async throws -> Int {
        try await store.purge(logger: logger)
    }
}
