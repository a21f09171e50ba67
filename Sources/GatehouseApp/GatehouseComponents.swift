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
import Notifications

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
    /// Payments as stored (the change feed and reconciliation read it).
    public let paymentRepository: PaymentRepository
    public let statusView: PaymentStatusView
    /// Derives and checks renter tokens (the renter-access layer checks a request's token with it).
    public let renterTokens: RenterTokens
    public let payments: PaymentService
    /// payOS confirmations for the anonymous return and cancel redirects: one GET per payment per interval.
    public let redirectConfirmations: RedirectConfirmations
    public let credentials: OwnerCredentialsService
    public let webhooks: WebhookService
    public let payOS: PayOSClient
    public let pages: RenterPages
    public let adminPages: AdminPages
    /// The owner console's templates (`/owner`).
    public let consolePages: ConsolePages
    public let clock: WallClock
    public let notifications: NotificationWiring
    /// Per-owner, per-payOS-call and per-IP limits (this instance's share; see ``TenantRateLimiter``).
    public let rateLimiter: TenantRateLimiter
    /// Stored per-owner limits (`owner_rate_limit`).
    public let rateLimits: RateLimitRepository
    /// Proves owners' payOS credentials before they are stored (`PUT /api/owner/payos-credentials`).
    public let onboarding: OnboardingService
    /// The one way to an owner's payOS keys: under the owner's payOS cap, from this instance's key cache (``TenantKeyAccess/cache``).
    public let keyAccess: TenantKeyAccess
    /// Per-owner and overall payment metrics (`GET /admin/metrics`).
    public let paymentMetrics: PaymentMetrics
    /// The Prometheus registry behind `GET /metrics`.
    public let observability: Observability
    /// The owner onboarding page (`GET /owner/onboarding`).
    public let onboardingPage: OnboardingController<GatehouseRequestContext>
    /// This instance's cap on renter long polls (`GATEHOUSE_MAX_LONG_POLLS`), counted in `/metrics`.
    public let longPolls: LongPollLimiter
    /// The OpenAPI document served at `GET /openapi.json` (read from the Gateway bundle once).
    public let apiDocument: OpenAPIDocument

    /// Opens the database, applies migrations, prepares the audit log and loads the token pepper from the vault and the
    /// owners' webhook key ids (``WebhookKeys/preload(from:logger:)``).
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
        let database = try configuration.database()
            .makeDatabase(logger: logger)
        do {
            try await database.migrate(logger: logger)
            let vault = Vault(
                database: database, masterKeys: masterKeys, clock: clock,
                configuration: .init(checksumKeyGrace: .seconds(configuration.checksumGraceSeconds)))
            try await AuditLog(clock: clock).prepare(database: database, logger: logger)
            // Credential rows from before state tags existed get theirs (or are destroyed) before any of them is read.
            try await vault.authenticateLegacyCredentialStates(audit: AuditContext(actor: "system:vault-upgrade"), logger: logger)
            let pepper = try await vault.platformSecret(named: "token-pepper", logger: logger)
            let hasher = TokenHasher(pepper: pepper)
            let payOS = PayOSClient(
                httpClient: httpClient,
                configuration: .init(baseURL: configuration.payOSBaseURL, checkoutURLPrefix: configuration.payOSCheckoutURL))
            let auditLog = AuditLog(clock: clock)
            let rateLimiter = TenantRateLimiter(defaults: configuration.rateLimitDefaults)
            let keyCache = TenantKeyCache(
                configuration: .init(capacity: configuration.keyCacheCapacity, timeToLive: .seconds(configuration.keyCacheTTLSeconds)),
                invalidations: vault.keyInvalidations, clock: clock, metrics: observability.factory)
            let keyAccess = TenantKeyAccess(vault: vault, rateLimiter: rateLimiter, cache: keyCache)

            // Tenants
            let owners = OwnerRepository(database: database, clock: clock)
            let paymentConfig = PaymentConfigRepository(database: database, clock: clock)
            let probes = OnboardingProbeRepository(database: database, clock: clock)
            // As many owners' webhook key ids as the key cache holds owners' keys, loaded now in one read.
            let webhookKeys = WebhookKeys(hasher: hasher, directory: WebhookKeyDirectory(capacity: configuration.keyCacheCapacity))
            let preloaded = try await webhookKeys.preload(from: owners, logger: logger)
            logger.debug("webhook key directory loaded", metadata: ["owners": "\(preloaded)"])
            let credentials = OwnerCredentialsService(
                database: database, vault: vault, keyAccess: keyAccess, owners: owners, paymentConfig: paymentConfig, payOS: payOS,
                webhookKeys: webhookKeys, publicURL: configuration.publicURL)
            let onboarding = OnboardingService(
                credentials: credentials, probes: probes, owners: owners, paymentConfig: paymentConfig, payOS: payOS, auditLog: auditLog,
                database: database, clock: clock, attemptsPerHour: configuration.onboardingAttemptsPerHour)

            // Notifications (renter links in e-mails are completed with the renter token at send time)
            let renterTokens = RenterTokens(hasher: hasher)
            let notifications = try NotificationWiring.make(
                configuration: configuration, database: database, clock: clock, mailFrom: configuration.mailFrom,
                workerConfiguration: .init(lease: .seconds(configuration.outboxLeaseSeconds), pollInterval: .seconds(configuration.outboxPollSeconds)), renterToken: renterTokens.token(paymentCode:),
                logger: logger)

            // Payments: one settlement (state change + notifications + status view) shared by every path that settles.
            let bookings = BookingRepository(database: database, clock: clock)
            let paymentRepository = PaymentRepository(database: database, clock: clock)
            let statusView = PaymentStatusView(repository: paymentRepository)
            let settlement = PaymentSettlement(
                database: database, payments: paymentRepository,
                notifications: PaymentNotifications(
                    outbox: notifications.outbox, web: notifications.web,
                    configuration: .init(publicURL: configuration.publicURL, linksRenterToken: true), logger: logger),
                statusView: statusView)
            // One confirming GET in flight per payment, shared by webhooks, the return pages and reconciliation.
            let linkFetches = PaymentLinkFetches(keyAccess: keyAccess, payOS: payOS)
            let payments = PaymentService(
                database: database, bookings: bookings, payments: paymentRepository,
                idempotencyKeys: IdempotencyKeyRepository(database: database), settlement: settlement, keyAccess: keyAccess, payOS: payOS,
                linkFetches: linkFetches, tokens: renterTokens, statusView: statusView, clock: clock,
                configuration: .init(
                    publicURL: configuration.publicURL, linkLifetimeSeconds: Int64(configuration.paymentTTLSeconds),
                    firstReconcileCheckMillis: Int64(configuration.reconcileFirstCheckSeconds) * 1_000))
            let webhooks = WebhookService(
                owners: owners, webhookKeys: webhookKeys, payments: paymentRepository, statusView: statusView, inbox: WebhookInboxRepository(database: database, clock: clock),
                settlement: settlement, keyAccess: keyAccess, linkFetches: linkFetches,
                rejections: WebhookRejectionRepository(database: database, clock: clock),
                metrics: WebhookMetrics(factory: observability.factory), onboardingProbes: probes,
                configuration: .init(confirmWithPayOS: configuration.confirmWebhooksWithPayOS, lease: .seconds(configuration.webhookLeaseSeconds)))

            return GatehouseComponents(
                configuration: configuration, database: database, vault: vault, hasher: hasher, owners: owners,
                apiKeys: APIKeyRepository(database: database, hasher: hasher, clock: clock),
                adminTokens: AdminTokenRepository(database: database, hasher: hasher, clock: clock),
                bookings: bookings, paymentRepository: paymentRepository, statusView: statusView, renterTokens: renterTokens, payments: payments,
                redirectConfirmations: RedirectConfirmations(payments: payments, interval: .seconds(configuration.returnConfirmSeconds)),
                credentials: credentials, webhooks: webhooks, payOS: payOS,
                pages: try RenterPages(), adminPages: try AdminPages(), consolePages: try ConsolePages(), clock: clock, notifications: notifications, rateLimiter: rateLimiter,
                rateLimits: RateLimitRepository(database: database, clock: clock), onboarding: onboarding, keyAccess: keyAccess,
                paymentMetrics: PaymentMetrics(database: database), observability: observability, onboardingPage: try OnboardingController(),
                longPolls: LongPollLimiter(capacity: configuration.maxLongPolls, metrics: observability.factory),
                apiDocument: try OpenAPIDocument())
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
