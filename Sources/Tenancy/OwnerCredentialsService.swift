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
    let keyAccess: TenantKeyAccess
    let owners: OwnerRepository
    let paymentConfig: PaymentConfigRepository
    let payOS: PayOSClient
    /// Owners' webhook keys (the path segment of each owner's webhook URL).
    public let webhookKeys: WebhookKeys
    /// Where payOS reaches Gatehouse (no trailing slash).
    let publicURL: String

    /// - Parameters:
    ///   - database: for the transaction that records a stored set with the owner's onboarding state.
    ///   - vault: seals new sets and describes the stored one.
    ///   - keyAccess: the owner's payOS calls (confirm-webhook), under the owner's payOS cap.
    public init(
        database: any SQLDatabase, vault: Vault, keyAccess: TenantKeyAccess, owners: OwnerRepository, paymentConfig: PaymentConfigRepository,
        payOS: PayOSClient, webhookKeys: WebhookKeys, publicURL: String
    ) {
        self.database = database
        self.vault = vault
        self.keyAccess = keyAccess
        self.owners = owners
        self.paymentConfig = paymentConfig
        self.payOS = payOS
        self.webhookKeys = webhookKeys
        self.publicURL = publicURL
    }

    /// The owner's own webhook URL: `<public URL>/webhook/payos/<owner's webhook key>` (``WebhookKeys``).
    public func webhookURL(for owner: Owner) -> String { "\(publicURL)/webhook/payos/\(webhookKeys.key(for: owner))" }

    /// Registers the owner's webhook URL with payOS (`confirm-webhook`, with the owner's active credentials):
    /// payOS probes the URL with a signed sample, which Gatehouse itself answers. Records the time on success.
    /// - Returns: the registered URL.
    @discardableResult
    public func registerWebhook(owner id: OwnerID, audit: AuditContext, logger: Logger) async throws -> String {
        guard let owner = try await owners.get(id, logger: logger) else { throw TenancyError.notFound("owner") }
        let url = webhookURL(for: owner)
        _ = try await keyAccess.withPayOSCredentials(owner: id, purpose: "webhook.register", audit: audit, logger: logger) {
            try await payOS.confirmWebhook(url: url, credentials: $0, logger: logger)
        }
        try await paymentConfig.markWebhookConfirmed(owner: id, logger: logger)
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
        try await database.withTransaction(logger: logger) { connection in
            try await paymentConfig.recordCredentials(owner: owner, info, on: connection)
            try await owners.setOnboardingState(owner, .active, on: connection)
        }
        return info
    }

    /// Checks the shape of a credential set (1 to 256 UTF-8 bytes each: they are sealed as bytes and the first two are
    /// sent as HTTP header values; no spaces, no control characters; not trimmed: used exactly as given); the message
    /// names the field only, never the value.
    public static func validate(clientID: String, apiKey: String, checksumKey: String) throws(TenancyError) {
        for (name, value) in [("client_id", clientID), ("api_key", apiKey), ("checksum_key", checksumKey)] {
            _ = try TextField(name, maximum: 256, unit: .utf8Bytes, trimsWhiteSpace: false).validated(value)
            guard !value.unicodeScalars.contains(where: \.properties.isWhitespace) else {
                throw TenancyError.validation("\(name) must be 1 to 256 bytes (UTF-8) without spaces")
            }
        }
    }

    /// What may be shown about the owner's stored credentials (hints only), or `nil` when none are stored.
    public func info(owner: OwnerID, logger: Logger) async throws -> CredentialInfo? {
        try await vault.credentialInfo(owner: owner.rawValue, logger: logger)
    }
}
