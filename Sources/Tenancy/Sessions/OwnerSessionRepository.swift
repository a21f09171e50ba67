// Copyright (c) the Gatehouse authors
public import Logging
public import Storage
public import GatehouseCore

/// An owner console session just opened: `cookie` is the only time its secret exists outside the browser.
public struct IssuedOwnerSession: Sendable, CustomStringConvertible {
    /// The cookie value (`gho_<prefix>_<secret>`), stored only as a keyed hash.
    public let cookie: String
    public let csrfToken: String
    /// Unix ms.
    public let expiresAt: Int64
    public let owner: OwnerID
    /// The API key that signed in (its public prefix).
    public let keyPrefix: String

    public var description: String { "IssuedOwnerSession(owner: \(owner), key: \(keyPrefix), cookie: redacted)" }
}

/// An authenticated owner console session. Everything the console shows or changes is scoped by ``owner``.
public struct OwnerSession: Sendable, Hashable {
    public let prefix: String
    public let owner: OwnerID
    /// The API key that signed in; revoking it ends the session.
    public let keyPrefix: String
    /// The synchronizer token every form of this session must carry.
    public let csrfToken: String
    public let expiresAt: Int64

    /// Whether a submitted form token is this session's, compared in constant time.
    public func acceptsCSRF(_ presented: String?) -> Bool {
        guard let presented, !presented.isEmpty else { return false }
        return ConsoleSessionStore.constantTimeEquals(presented, csrfToken)
    }
}

/// Owner console sessions (`owner_session`, schema v8): opened by signing in with one of the owner's API keys, valid
/// until they expire, the owner signs out, or that API key is revoked or expires.
public struct OwnerSessionRepository: Sendable {
    /// How long a session lasts from sign-in: a working day.
    public static let lifetimeMillis: Int64 = 8 * 3600 * 1000

    /// What a sign-in attempt came to.
    public enum SignIn: Sendable {
        case opened(IssuedOwnerSession)
        /// Malformed, unknown, revoked, expired or wrong: spends the address's authentication budget.
        case wrongKey
        /// A valid key of a suspended owner: no session.
        case suspended
    }

    let store: ConsoleSessionStore
    let apiKeys: APIKeyRepository
    let owners: OwnerRepository

    public init(database: any SQLDatabase, hasher: TokenHasher, clock: WallClock = .system) {
        store = ConsoleSessionStore(
            scheme: "gho", purpose: "owner-session", table: "owner_session", credentialColumn: "key_prefix", credentialTable: "owner_api_key",
            credentialColumns: "t.owner_id, t.expires_at AS key_expires_at", lifetimeMillis: Self.lifetimeMillis, database: database, hasher: hasher,
            clock: clock)
        apiKeys = APIKeyRepository(database: database, hasher: hasher, clock: clock)
        owners = OwnerRepository(database: database, clock: clock)
    }

    /// Signs in with an owner API key (`gh_…`).
    public func signIn(apiKey: String, logger: Logger) async throws -> SignIn {
        guard let owner = try await apiKeys.authenticate(apiKey, logger: logger), let keyPrefix = PrefixedToken.prefix(of: apiKey, scheme: "gh"),
            let row = try await owners.get(owner, logger: logger)
        else { return .wrongKey }
        guard row.status == .active else { return .suspended }
        let issued = try await store.open(credentialPrefix: keyPrefix, logger: logger)
        return .opened(IssuedOwnerSession(cookie: issued.cookie, csrfToken: issued.csrfToken, expiresAt: issued.expiresAt, owner: owner, keyPrefix: keyPrefix))
    }

    /// The live session a cookie names, or `nil` (malformed, unknown, wrong secret, expired, ended, or its API key
    /// revoked or expired).
    public func session(cookie: String, logger: Logger) async throws -> OwnerSession? {
        guard let found = try await store.find(cookie: cookie, logger: logger, usable: { row, now in
            try row.decodeIfPresent("key_expires_at", as: Int64.self).map { $0 > now } ?? true
        }) else { return nil }
        return OwnerSession(
            prefix: found.prefix, owner: try found.row.decode("owner_id"), keyPrefix: found.credentialPrefix, csrfToken: found.csrfToken,
            expiresAt: found.expiresAt)
    }

    /// Ends a session (sign-out).
    public func end(_ session: OwnerSession, logger: Logger) async throws {
        try await store.end(prefix: session.prefix, logger: logger)
    }
}
