// Copyright (c) the Gatehouse authors
public import Logging
public import PayOS
public import Storage
public import Vault
public import GatehouseCore

/// An owner's payOS credentials: sealed into the vault, recorded (as a hint only) in `payment_config`,
/// and the owner's onboarding marked active.
public struct OwnerCredentialsService: Sendable {
    let database: any SQLDatabase
    let vault: Vault
    let owners: OwnerRepository
    let payOS: PayOSClient
    /// Where payOS reaches Gatehouse (no trailing slash).
    let publicURL: String
    let clock: WallClock
    /// Caps the owner's calls to payOS (confirm-webhook), as for payments.
    public var rateLimiter: TenantRateLimiter? = nil

    public init(database: any SQLDatabase, vault: Vault, payOS: PayOSClient, publicURL: String, clock: WallClock = .system) {
        self.database = database
        self.vault = vault
        self.owners = OwnerRepository(database: database, clock: clock)
        self.payOS = payOS
        self.publicURL = publicURL
        self.clock = clock
    }

    /// The owner's own webhook URL: `<public URL>/webhook/payos/<owner's random webhook key>`.
    public func webhookURL(for owner: Owner) -> String { "\(publicURL)/webhook/payos/\(owner.webhookKey)" }

    /// Registers the owner's webhook URL with payOS (`confirm-webhook`, with the owner's active credentials):
    /// payOS probes the URL with a signed sample, which Gatehouse itself answers. Records the time on success.
    /// - Returns: the registered URL.
    @discardableResult
    public func registerWebhook(owner id: OwnerID, audit: AuditContext, logger: Logger) async throws -> String {
        guard let owner = try await owners.get(id, logger: logger) else { throw TenancyError.notFound("owner") }
        let url = webhookURL(for: owner)
        try rateLimiter?.admitPayOSCall(owner: id)
        _ = try await vault.withCredentials(owner: id.rawValue, purpose: "webhook.register", audit: audit, logger: logger) {
            try await payOS.confirmWebhook(url: url, credentials: PayOSCredentials(unsealed: $0), logger: logger)
        }
        let now = clock.now()
        try await database.execute(
            "UPDATE payment_config SET webhook_confirmed_at = \(now), updated_at = \(now) WHERE owner_id = \(id)", logger: logger)
        logger.info("owner webhook registered with payOS", metadata: ["tenant.id": "\(id)"])
        return url
    }

    /// Seals and activates a new credential set (a rotation when one exists). Inputs are validated first.
    ///
    /// This does **not** prove the set with payOS: owners go through ``OnboardingService/submit(owner:clientID:apiKey:checksumKey:audit:logger:)``,
    /// which proves it first and then calls this; direct calls are for operators' tools, tests and dev data.
    public func store(
        owner: OwnerID, clientID: String, apiKey: String, checksumKey: String, audit: AuditContext, logger: Logger
    ) async throws -> CredentialInfo {
        try Self.validate(clientID: clientID, apiKey: apiKey, checksumKey: checksumKey)
        let info = try await vault.storeCredentials(
            owner: owner.rawValue, clientID: clientID, apiKey: apiKey, checksumKey: checksumKey, audit: audit, logger: logger)
        let now = clock.now()
        try await database.withTransaction(logger: logger) { connection in
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
            try await owners.setOnboardingState(owner, .active, on: connection)
        }
        return info
    }

    /// Checks the shape of a credential set (1 to 256 characters each, no spaces); the message names the field only.
    public static func validate(clientID: String, apiKey: String, checksumKey: String) throws(TenancyError) {
        for (name, value) in [("client_id", clientID), ("api_key", apiKey), ("checksum_key", checksumKey)] {
            guard !value.isEmpty, value.utf8.count <= 256, !value.contains(where: { $0.isWhitespace || $0.isNewline }) else {
                throw TenancyError.validation("\(name) must be 1 to 256 characters without spaces")
            }
        }
    }

    /// What may be shown about the owner's stored credentials (hints only), or `nil` when none are stored.
    public func info(owner: OwnerID, logger: Logger) async throws -> CredentialInfo? {
        try await vault.credentialInfo(owner: owner.rawValue, logger: logger)
    }
}
