// Copyright (c) the Gatehouse authors
public import AsyncHTTPClient
import Foundation
import Sodium
public import Admin
public import Gateway
public import Logging
public import PayOS
public import Storage
public import Tenancy
public import Vault
public import GatehouseCore
public import Payments
public import GatehouseHTTP
public import Notifications

/// Everything long-lived that Gatehouse's routes and services share, opened from the configuration.
public struct GatehouseComponents: Sendable {
    public let configuration: GatehouseConfiguration
    public let database: any SQLDatabase
    public let vault: Vault
    public let hasher: TokenHasher
    public let owners: OwnerRepository
    public let apiKeys: APIKeyRepository
    public let adminTokens: AdminTokenRepository
    public let bookings: BookingRepository
    public let statusView: PaymentStatusView
    public let payments: PaymentService
    public let credentials: OwnerCredentialsService
    public let webhooks: WebhookService
    public let payOS: PayOSClient
    public let pages: RenterPages
    public let adminPages: AdminPages
    public let clock: WallClock
    public let notifications: NotificationWiring
    /// Per-owner, per-payOS-call and per-IP limits (this instance's share; see ``TenantRateLimiter``).
    public let rateLimiter: TenantRateLimiter
    /// Stored per-owner limits (`owner_rate_limit`).
    public let rateLimits: RateLimitRepository
    /// Proves owners' payOS credentials before they are stored (`PUT /api/owner/payos-credentials`).
    public let onboarding: OnboardingService
    /// Per-owner and overall payment metrics (`GET /admin/metrics`).
    public let paymentMetrics: PaymentMetrics
    /// The Prometheus registry behind `GET /metrics`.
    public let observability: Observability
    /// The owner onboarding page (`GET /owner/onboarding`).
    public let onboardingPage: OnboardingController<GatehouseRequestContext>

    /// Opens the database, applies migrations, prepares the audit log and loads the token pepper from the vault.
    /// On failure the database is shut down again.
    ///
    /// - Parameters:
    ///   - masterKeys: the vault's master keys (``MasterKeyRing/load(configuration:)``).
    ///   - httpClient: the client payOS calls use (not shut down here).
    ///   - observability: the Prometheus registry (a fresh one unless `main` bootstrapped the process with one).
    public static func open(
        configuration: GatehouseConfiguration, masterKeys: MasterKeyRing, httpClient: HTTPClient = PayOSClient.sharedHTTPClient,
        clock: WallClock = .system, observability: Observability = Observability(), logger: Logger
    ) async throws -> GatehouseComponents {
        let database = try DatabaseConfiguration(url: configuration.databaseURL, dataDirectory: configuration.dataDirectory)
            .makeDatabase(logger: logger)
        do {
            try await database.migrate(logger: logger)
            let vault = Vault(
                database: database, masterKeys: masterKeys, clock: clock,
                configuration: .init(checksumKeyGrace: .seconds(configuration.checksumGraceSeconds)))
            try await AuditLog(clock: clock).prepare(database: database, logger: logger)
            let pepper = try await vault.platformSecret(named: "token-pepper", logger: logger)
            let hasher = TokenHasher(pepper: pepper.withUnsafeBytes { Array($0) })
            let payOS = PayOSClient(httpClient: httpClient, configuration: .init(baseURL: configuration.payOSBaseURL))
            let statusView = PaymentStatusView(repository: PaymentRepository(database: database, clock: clock))
            let notifications = try NotificationWiring.make(
                configuration: configuration, database: database, clock: clock, mailFrom: configuration.mailFrom,
                workerConfiguration: .init(lease: .seconds(configuration.outboxLeaseSeconds)), logger: logger)
            let rateLimiter = TenantRateLimiter(defaults: configuration.rateLimitDefaults)
            var payments = PaymentService(
                database: database, vault: vault, payOS: payOS, hasher: hasher, statusView: statusView, clock: clock,
                configuration: .init(
                    publicURL: configuration.publicURL, linkLifetimeSeconds: Int64(configuration.paymentTTLSeconds),
                    firstReconcileCheckMillis: Int64(configuration.reconcileFirstCheckSeconds) * 1_000))
            payments.rateLimiter = rateLimiter
            var credentials = OwnerCredentialsService(
                database: database, vault: vault, payOS: payOS, publicURL: configuration.publicURL, clock: clock)
            credentials.rateLimiter = rateLimiter
            payments.notifications = notifications.paymentNotifications(
                publicURL: configuration.publicURL, renterToken: { [tokens = payments] in tokens.renterToken(paymentCode: $0) }, logger: logger)
            var webhooks = WebhookService(
                database: database, vault: vault, payments: payments, clock: clock,
                configuration: .init(confirmWithPayOS: configuration.confirmWebhooksWithPayOS))
            webhooks.rejections = WebhookRejectionRepository(database: database, clock: clock)
            webhooks.metrics = WebhookMetrics(factory: observability.factory)
            webhooks.onboardingProbes = OnboardingProbeRepository(database: database, clock: clock)
            return GatehouseComponents(
                configuration: configuration, database: database, vault: vault, hasher: hasher,
                owners: OwnerRepository(database: database, clock: clock),
                apiKeys: APIKeyRepository(database: database, hasher: hasher, clock: clock),
                adminTokens: AdminTokenRepository(database: database, hasher: hasher, clock: clock),
                bookings: BookingRepository(database: database, clock: clock), statusView: statusView, payments: payments,
                credentials: credentials, webhooks: webhooks, payOS: payOS,
                pages: try RenterPages(), adminPages: try AdminPages(), clock: clock, notifications: notifications, rateLimiter: rateLimiter,
                rateLimits: RateLimitRepository(database: database, clock: clock),
                onboarding: OnboardingService(credentials: credentials, database: database, payOS: payOS, clock: clock),
                paymentMetrics: PaymentMetrics(database: database), observability: observability, onboardingPage: try OnboardingController())
        } catch {
            await database.shutdown()
            throw error
        }
    }
}

extension MasterKeyRing {
    /// The master keys named by the configuration: `GATEHOUSE_MASTER_KEYS` or the file in `GATEHOUSE_MASTER_KEY_FILE`.
    /// - Throws: ``ConfigurationError`` when neither is set; ``VaultError`` when the keys or the file are unusable.
    public static func load(configuration: GatehouseConfiguration) throws -> MasterKeyRing {
        if let keys = configuration.masterKeys {
            return try MasterKeyRing(configuration: keys)
        }
        if let file = configuration.masterKeyFile {
            return try MasterKeyRing.load(contentsOfFile: file)
        }
        throw ConfigurationError(
            variable: "GATEHOUSE_MASTER_KEYS",
            problem: "is required: set GATEHOUSE_MASTER_KEYS (e.g. 1:<base64 of 32 random bytes>) or GATEHOUSE_MASTER_KEY_FILE")
    }
}
