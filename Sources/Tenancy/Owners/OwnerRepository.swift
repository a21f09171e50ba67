// Copyright (c) the Gatehouse authors
import Foundation
public import Logging
public import Storage
public import GatehouseCore
import Vault

/// Owners (tenants): create, look up, suspend.
public struct OwnerRepository: SQLRepository {
    public let storage: RepositoryStorage

    public init(storage: RepositoryStorage) {
        self.storage = storage
    }

    /// `owner.name` and `owner.email`: limited to their columns' lengths in code points.
    public static let name = TextField("name", maximum: 200)
    public static let emailLength = 254

    /// Creates an owner with a fresh webhook key id (``WebhookKeys``). Name and email are validated.
    public func create(name: String, email: String, logger: Logger) async throws -> Owner {
        try await database.withConnection(logger: logger) { try await create(name: name, email: email, on: $0) }
    }

    /// Creates an owner on the caller's connection (inside its transaction). Name and email are validated first.
    /// - Throws: ``TenancyError/Code/validation`` for a bad name or e-mail (nothing written).
    public func create(name: String, email: String, on connection: any SQLConnection) async throws -> Owner {
        let name = try Self.name.validated(name)
        let email = try Validation.email(email, field: "email", maximum: Self.emailLength)
        let now = clock.now()
        let webhookKeyID = WebhookKeys.newKeyID()
        let result = try await connection.execute(
            """
            INSERT INTO owner (name, email, status, onboarding_state, webhook_key, created_at, updated_at)
            VALUES (\(name), \(email), 'active', 'pending', \(webhookKeyID), \(now), \(now))
            """)
        guard let id = result.lastInsertID else { throw StorageError(code: .statementFailed, detail: "no id for new owner") }
        return Owner(
            id: OwnerID(id), name: name, email: email, status: .active, onboardingState: .pending,
            webhookKeyID: webhookKeyID, createdAt: now, updatedAt: now)
    }

    /// The owner with this id, or `nil`.
    public func get(_ id: OwnerID, logger: Logger) async throws -> Owner? {
        try await database.query("SELECT \(unescaped: Self.columns) FROM owner WHERE id = \(id)", logger: logger)
            .first.map(Self.decode)
    }

    /// As ``get(_:logger:)``, on the caller's connection (inside its transaction).
    public func get(_ id: OwnerID, on connection: any SQLConnection) async throws -> Owner? {
        try await connection.query("SELECT \(unescaped: Self.columns) FROM owner WHERE id = \(id)").first.map(Self.decode)
    }

    /// The owner whose webhook key has this stored id (see ``WebhookKeys/owner(presentedKey:in:logger:)``), or `nil`.
    public func get(webhookKeyID key: String, logger: Logger) async throws -> Owner? {
        try await database.query("SELECT \(unescaped: Self.columns) FROM owner WHERE webhook_key = \(key)", logger: logger)
            .first.map(Self.decode)
    }

    /// Stored webhook key ids and their owners, newest owners first, at most `limit` (for
    /// ``WebhookKeys/preload(from:logger:)``): two columns of the primary key's order, one statement.
    public func webhookKeyIDs(limit: Int, logger: Logger) async throws -> [(keyID: String, owner: OwnerID)] {
        try await database.query("SELECT id, webhook_key FROM owner ORDER BY id DESC LIMIT \(max(0, limit))", logger: logger)
            .map { (try $0.decode("webhook_key", as: String.self), OwnerID(try $0.decode("id", as: Int64.self))) }
    }

    /// All owners, oldest first.
    public func list(logger: Logger) async throws -> [Owner] {
        try await database.query("SELECT \(unescaped: Self.columns) FROM owner ORDER BY id", logger: logger).map(Self.decode)
    }

    /// Suspends or reactivates an owner. Returns `false` when there is no such owner.
    @discardableResult
    public func setStatus(_ id: OwnerID, _ status: Owner.Status, logger: Logger) async throws -> Bool {
        let now = clock.now()
        // A suspended owner's cached keys are dropped on every instance (the row commits with the status change).
        let invalidation = try await database.withTransaction(logger: logger) { connection -> KeyInvalidations.Event? in
            let result = try await connection.execute("UPDATE owner SET status = \(status.rawValue), updated_at = \(now) WHERE id = \(id)")
            guard result.affectedRows > 0 else { return nil }
            return try await KeyInvalidations.record(owner: id.rawValue, reason: KeyInvalidations.Reason.ownerStatus, at: now, on: connection)
        }
        guard let invalidation else { return false }
        KeyInvalidations.shared(for: database).deliver([invalidation])
        return true
    }

    /// Marks the owner's onboarding state, on the caller's connection (inside its transaction).
    public func setOnboardingState(_ id: OwnerID, _ state: Owner.OnboardingState, on connection: any SQLConnection) async throws {
        let now = clock.now()
        try await connection.execute(
            "UPDATE owner SET onboarding_state = \(state.rawValue), updated_at = \(now) WHERE id = \(id)")
    }

    public static let columns = "id, name, email, status, onboarding_state, webhook_key, created_at, updated_at"

    public static func decode(_ row: SQLRow) throws -> Owner {
        Owner(
            id: try row.decode("id"),
            name: try row.decode("name"),
            email: try row.decode("email"),
            status: Owner.Status(rawValue: try row.decode("status")) ?? .suspended,
            onboardingState: Owner.OnboardingState(rawValue: try row.decode("onboarding_state")) ?? .pending,
            webhookKeyID: try row.decode("webhook_key"),
            createdAt: try row.decode("created_at"),
            updatedAt: try row.decode("updated_at")
        )
    }
}
