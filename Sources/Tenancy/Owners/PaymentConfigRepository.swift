// Copyright (c) the Gatehouse authors
public import GatehouseCore
public import Logging
public import Storage
public import Vault

/// `payment_config`: what may be shown about an owner's payOS setup (a client id hint, the credential version) and
/// when its webhook URL was last confirmed with payOS. The credentials themselves are in the vault.
public struct PaymentConfigRepository: SQLRepository {
    public let storage: RepositoryStorage

    public init(storage: RepositoryStorage) {
        self.storage = storage
    }

    /// Records a newly stored credential set (its hint and version) and marks the config active, on the caller's
    /// connection (inside its transaction); creates the row on the owner's first set.
    public func recordCredentials(owner: OwnerID, _ info: CredentialInfo, on connection: any SQLConnection) async throws {
        let now = clock.now()
        let updated = try await connection.execute(
            """
            UPDATE payment_config SET payos_client_id_hint = \(info.clientIDHint), credential_version = \(info.activeVersion),
                is_active = 1, rotated_at = \(now), updated_at = \(now)
            WHERE owner_id = \(owner)
            """)
        if updated.affectedRows == 0 {
            try await connection.execute(
                """
                INSERT INTO payment_config (owner_id, payos_client_id_hint, credential_version, is_active, rotated_at, created_at, updated_at)
                VALUES (\(owner), \(info.clientIDHint), \(info.activeVersion), 1, \(now), \(now), \(now))
                """)
        }
    }

    /// When payOS last accepted the owner's webhook URL (confirm-webhook; Unix ms), or `nil`.
    public func webhookConfirmedAt(owner: OwnerID, logger: Logger) async throws -> Int64? {
        try await database.query("SELECT webhook_confirmed_at FROM payment_config WHERE owner_id = \(owner)", logger: logger)
            .first?.decodeIfPresent("webhook_confirmed_at", as: Int64.self)
    }

    /// Records that payOS accepted the owner's webhook URL (confirm-webhook) just now.
    public func markWebhookConfirmed(owner: OwnerID, logger: Logger) async throws {
        let now = clock.now()
        try await database.execute(
            "UPDATE payment_config SET webhook_confirmed_at = \(now), updated_at = \(now) WHERE owner_id = \(owner)", logger: logger)
    }
}
