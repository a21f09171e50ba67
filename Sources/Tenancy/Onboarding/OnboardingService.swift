// Copyright (c) the Gatehouse authors
public import Logging
public import PayOS
public import Storage
public import Vault
public import GatehouseCore

/// Proves an owner's candidate payOS credentials before anything is stored, then stores them.
///
/// The proof is payOS's own confirm-webhook: Gatehouse calls it with the **candidate** client id and API key and the
/// owner's own webhook URL; payOS then POSTs a probe webhook signed with the channel's checksum key to that URL.
/// - payOS refusing the call (HTTP 401) means the client id / API key pair is wrong;
/// - payOS reporting the URL invalid, or no probe reaching any instance, means the webhook URL is not reachable;
/// - a probe that does not verify with the candidate checksum key means the checksum key is wrong;
/// - a probe that verifies proves all three, and the set is sealed and activated through the existing store path
///   (``OwnerCredentialsService/store(owner:clientID:apiKey:checksumKey:audit:logger:)``, a rotation when a set exists:
///   the previous checksum key keeps verifying webhooks for the vault's grace window).
///
/// Several instances behind a proxy: the probe may reach any of them. This instance opens a short-lived
/// `onboarding_attempt` row before calling payOS; whichever instance receives a webhook for the owner that its current
/// keys cannot verify while an attempt is open records the body (``OnboardingProbeRepository/record(owner:body:logger:)``)
/// and answers 200; payOS answers confirm-webhook only after its probe was answered, so once the call returns, the probe
/// is in the database and this instance verifies it with the candidate key, which never leaves this process.
public struct OnboardingService: Sendable {
    /// How long an attempt accepts probes: longer than payOS's probe timeout plus the client's retries.
    public var attemptLifetimeMillis: Int64 = 120_000
    /// Proofs per owner per sliding hour (see ``OnboardingAttemptsExceeded``). Ten leaves room for typos and a
    /// rotation while making a guessing oracle useless.
    public var attemptsPerHour: Int = 10
    static let attemptAction = "credentials.proof_attempt"
    static let hourMillis: Int64 = 3_600_000

    let credentials: OwnerCredentialsService
    let probes: OnboardingProbeRepository
    let owners: OwnerRepository
    let paymentConfig: PaymentConfigRepository
    let payOS: PayOSClient
    let auditLog: AuditLog
    /// Where attempts and refused proofs are audited.
    let database: any SQLDatabase
    let clock: WallClock

    /// - Parameters:
    ///   - payOS: called with the *candidate* credentials (not the owner's stored ones, so not through ``TenantKeyAccess``).
    ///   - auditLog, database: where a refused proof is audited.
    public init(
        credentials: OwnerCredentialsService, probes: OnboardingProbeRepository, owners: OwnerRepository,
        paymentConfig: PaymentConfigRepository, payOS: PayOSClient, auditLog: AuditLog, database: any SQLDatabase, clock: WallClock = .system,
        attemptsPerHour: Int = 10
    ) {
        self.credentials = credentials
        self.probes = probes
        self.owners = owners
        self.paymentConfig = paymentConfig
        self.payOS = payOS
        self.auditLog = auditLog
        self.database = database
        self.clock = clock
        self.attemptsPerHour = max(1, attemptsPerHour)
    }

    /// Proves the candidate set, then seals and activates it.
    ///
    /// - Returns: the stored set's hint-only description.
    /// - Throws: ``TenancyError/validation(_:)`` for malformed input; ``OnboardingAttemptsExceeded`` past the hourly cap
    ///   (payOS not called); ``RateLimitError`` when the owner's payOS cap is exhausted; ``OnboardingError`` naming the
    ///   failed part (nothing stored, the refusal audited); ``PayOSError`` when payOS is unreachable or answers unusably
    ///   (nothing stored).
    public func submit(
        owner id: OwnerID, clientID: String, apiKey: String, checksumKey: String, audit: AuditContext, logger: Logger
    ) async throws -> CredentialInfo {
        try OwnerCredentialsService.validate(clientID: clientID, apiKey: apiKey, checksumKey: checksumKey)
        guard let owner = try await owners.get(id, logger: logger) else { throw TenancyError.notFound("owner") }
        var logger = logger
        logger[metadataKey: "tenant.id"] = "\(id)"
        let candidate = PayOSCredentials(clientId: clientID, apiKey: apiKey, checksumKey: checksumKey)
        try await admitAttempt(owner: id, audit: audit, logger: logger)
        do {
            try await prove(candidate, webhookURL: credentials.webhookURL(for: owner), owner: id, logger: logger)
        } catch let error as OnboardingError {
            logger.notice("candidate payOS credentials refused", metadata: ["onboarding.part": "\(error.part)"])
            _ = try? await auditLog.append(
                AuditEntry(audit, ownerID: id.rawValue, action: "credentials.proof_failed", detail: ["part": .string(error.part.description)]),
                database: database, logger: logger)
            throw error
        }
        let info = try await credentials.store(
            owner: id, clientID: clientID, apiKey: apiKey, checksumKey: checksumKey, audit: audit, logger: logger)
        // The proof was confirm-webhook itself: payOS now delivers this owner's webhooks to its URL.
        try await paymentConfig.markWebhookConfirmed(owner: id, logger: logger)
        logger.info("payOS credentials proven and stored", metadata: ["credentials.version": "\(info.activeVersion)"])
        return info
    }

    /// Counts the owner's attempts in the last hour (every instance's: they are audit rows) and, under the cap,
    /// records this one before payOS is called; then charges the call to the owner's payOS cap like any other.
    private func admitAttempt(owner id: OwnerID, audit: AuditContext, logger: Logger) async throws {
        let since = clock.now() - Self.hourMillis
        let rows = try await database.query(
            """
            SELECT at FROM audit_log WHERE owner_id = \(id.rawValue) AND action = \(Self.attemptAction) AND at > \(since)
            ORDER BY at LIMIT \(attemptsPerHour)
            """, logger: logger)
        if rows.count >= attemptsPerHour {
            let oldest: Int64 = try rows[0].decode("at")
            let retryAfter = Int((oldest + Self.hourMillis - clock.now() + 999) / 1_000)
            logger.notice("onboarding proof refused: hourly attempts used up", metadata: ["onboarding.attempts": "\(rows.count)"])
            throw OnboardingAttemptsExceeded(attemptsPerHour: attemptsPerHour, retryAfterSeconds: retryAfter)
        }
        _ = try await auditLog.append(AuditEntry(audit, ownerID: id.rawValue, action: Self.attemptAction), database: database, logger: logger)
        try credentials.keyAccess.admitPayOSCall(owner: id)
    }

    private func prove(_ candidate: PayOSCredentials, webhookURL: String, owner: OwnerID, logger: Logger) async throws {
        // Attempts a crashed instance left behind are cleared by the next proof.
        _ = try? await probes.purgeExpired(logger: logger)
        let attempt = try await probes.open(owner: owner, lifetimeMillis: attemptLifetimeMillis, logger: logger)
        do {
            try await confirm(candidate, webhookURL: webhookURL, logger: logger)
            let recorded = try await probes.probes(attempt: attempt, logger: logger)
            guard !recorded.isEmpty else { throw OnboardingError(part: .webhookURL) }
            let proven = recorded.contains { body in
                (try? PayOSWebhook.verify(body: body, keys: [candidate.checksumKey])) != nil
            }
            guard proven else { throw OnboardingError(part: .checksumKey) }
            try? await probes.close(attempt: attempt, logger: logger)
        } catch {
            try? await probes.close(attempt: attempt, logger: logger)
            throw error
        }
    }

    /// confirm-webhook with the candidate pair; payOS's refusals become the failed part.
    private func confirm(_ candidate: PayOSCredentials, webhookURL: String, logger: Logger) async throws {
        do {
            _ = try await payOS.confirmWebhook(url: webhookURL, credentials: candidate, logger: logger)
        } catch let error as PayOSError {
            switch error.code {
            case .unauthorized:
                throw OnboardingError(part: .clientIDOrAPIKey)
            case .business where error.businessCode == "20":
                // "Webhook url invalid": payOS's probe got no 2xx from the owner's URL.
                throw OnboardingError(part: .webhookURL)
            default:
                throw error
            }
        }
    }
}
