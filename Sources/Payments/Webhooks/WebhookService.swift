// Copyright (c) the Gatehouse authors
import Foundation
public import Logging
public import PayOS
public import Storage
import Sodium
public import Vault
public import GatehouseCore
public import Tenancy

/// Receives payOS webhooks for an owner and brings the payment to its true state exactly once.
///
/// 1. The owner is resolved from the webhook URL's key (or, on the seed's shared route, from the orderCode).
/// 2. The signature over `data` is checked in constant time with the owner's checksum key and, during a
///    rotation's grace window, the previous one (from this instance's key cache when it holds them: no database
///    access). A bad signature is refused, counted in memory only (no audit row, no database write).
/// 3. The signed webhook goes into a durable inbox keyed by (owner, orderCode, reference): a duplicate is absorbed.
/// 4. Before a PAID becomes success, the link's real state is fetched from payOS (on by default): a replayed or
///    forged-but-signed body cannot mark paid a link that payOS does not show as paid.
/// 5. The state change, the inbox row's `processed_at` and the notifications commit in one
///    transaction; the caller answers 2xx only after that. Any failure before commit answers 5xx, so payOS retries.
public struct WebhookService: Sendable {
    public struct Configuration: Sendable {
        /// Confirm a webhook's news with payOS before trusting it (default on).
        public var confirmWithPayOS: Bool

        public init(confirmWithPayOS: Bool = true) {
            self.confirmWithPayOS = confirmWithPayOS
        }
    }

    /// What happened to one webhook.
    public enum Outcome: String, Sendable, Hashable {
        /// Applied to a payment (its status may or may not have changed).
        case processed
        /// Already received (same owner, orderCode and reference): nothing done again.
        case duplicate
        /// Signed, but for an orderCode this owner has no payment for (payOS's confirm-webhook probe is one): recorded only.
        case unknownOrder = "unknown_order"
        /// Not verifiable with the owner's current keys while the owner proves new credentials: recorded for that proof
        /// (``OnboardingService``), nothing stored as fact.
        case onboardingProbe = "onboarding_probe"
    }

    /// Why a webhook was refused.
    public struct Refusal: Error, Hashable, CustomStringConvertible {
        public enum Reason: String, Sendable, Hashable {
            /// No owner has this webhook key (or no payment has this orderCode on the shared route).
            case unknownOwner = "unknown_owner"
            /// The body is not a payOS webhook.
            case malformed
            /// The signature does not verify with the owner's keys.
            case invalidSignature = "invalid_signature"
        }
        public let reason: Reason
        public var description: String { "webhook refused: \(reason.rawValue)" }
    }

    let owners: OwnerRepository
    let webhookKeys: WebhookKeys
    let payments: PaymentRepository
    let inbox: WebhookInboxRepository
    let settlement: PaymentSettlement
    let keyAccess: TenantKeyAccess
    /// The confirming GETs, one in flight per payment, shared with ``PaymentService`` (return page, reconciliation).
    let linkFetches: PaymentLinkFetches
    /// Counts refused webhooks per owner and hour, in memory until flushed to ``WebhookRejectionRepository``.
    public let refusals: WebhookRefusalTally
    /// This instance's Prometheus counters.
    let metrics: WebhookMetrics
    /// Where probes for an owner's open onboarding attempt are recorded.
    let onboardingProbes: OnboardingProbeRepository
    let configuration: Configuration

    /// - Parameters:
    ///   - settlement: applies a webhook's news with the inbox row marked processed, in one transaction.
    ///   - keyAccess: the owner's verification keys.
    ///   - linkFetches: the confirming GETs; pass the instance the ``PaymentService`` uses, so they are shared.
    ///   - onboardingProbes: where a webhook the owner's keys cannot verify goes while the owner proves new credentials.
    ///   - rejections: where refusal counts are flushed (``refusals``).
    ///   - auditLog, database: no longer used (a refused webhook is not audited); kept so callers need not change.
    public init(
        owners: OwnerRepository, webhookKeys: WebhookKeys, payments: PaymentRepository, inbox: WebhookInboxRepository, settlement: PaymentSettlement,
        keyAccess: TenantKeyAccess, linkFetches: PaymentLinkFetches, rejections: WebhookRejectionRepository, metrics: WebhookMetrics,
        onboardingProbes: OnboardingProbeRepository, auditLog: AuditLog, database: any SQLDatabase, configuration: Configuration = .init()
    ) {
        self.owners = owners
        self.webhookKeys = webhookKeys
        self.payments = payments
        self.inbox = inbox
        self.settlement = settlement
        self.keyAccess = keyAccess
        self.linkFetches = linkFetches
        self.refusals = WebhookRefusalTally(repository: rejections)
        self.metrics = metrics
        self.onboardingProbes = onboardingProbes
        self.configuration = configuration
    }

    /// Handles one webhook body.
    /// - Parameters:
    ///   - webhookKey: the key in `/webhook/payos/{key}`; `nil` on the shared `/webhook/payos` route.
    /// - Returns: what was done, and the verified data.
    /// - Throws: ``Refusal`` (answer 4xx), or storage/payOS/vault errors (answer 5xx so payOS retries).
    public func receive(
        body: [UInt8], webhookKey: String?, audit: AuditContext, logger: Logger
    ) async throws -> (outcome: Outcome, data: PayOSWebhookData, ownerID: OwnerID) {
        let unverified = try Self.parse(body)
        let ownerID: OwnerID
        if let webhookKey {
            guard let owner = try await webhookKeys.owner(presentedKey: webhookKey, in: owners, logger: logger) else {
                countRejection(owner: nil)
                throw Refusal(reason: .unknownOwner)
            }
            ownerID = owner.id
        } else {
            guard let payment = try await payments.get(orderCode: unverified.orderCode, logger: logger) else {
                countRejection(owner: nil)
                throw Refusal(reason: .unknownOwner)
            }
            ownerID = payment.ownerID
        }
        var logger = logger
        logger[metadataKey: "tenant.id"] = "\(ownerID)"
        logger[metadataKey: "payos.order_code"] = "\(unverified.orderCode)"

        let verified: PayOSWebhook.Verified
        do {
            verified = try await keyAccess.withWebhookVerificationKeys(owner: ownerID, audit: audit, logger: logger) { keys in
                try PayOSWebhook.verify(body: body, keys: keys)
            }
        } catch let error as PayOSWebhookError {
            // During an onboarding proof payOS's probe is signed with the candidate key, which is not stored yet.
            if webhookKey != nil, try await recordProbe(owner: ownerID, body: body, logger: logger) {
                return (.onboardingProbe, unverified, ownerID)
            }
            let signatureFailed = error.code == .invalidSignature || error.code == .missingSignature
            if signatureFailed { countRejection(owner: ownerID) }
            // No audit row and no database write: a forged webhook is counted in memory (flushed per interval), so
            // a flood of them costs the database nothing.
            logger.warning("payOS webhook with an invalid signature refused", metadata: ["webhook.error": "\(error.code)"])
            throw Refusal(reason: signatureFailed ? .invalidSignature : .malformed)
        } catch {
            // An owner proving their first credentials has no keys yet: the probe is recorded for the proof.
            if webhookKey != nil, try await recordProbe(owner: ownerID, body: body, logger: logger) {
                return (.onboardingProbe, unverified, ownerID)
            }
            throw error
        }
        metrics.verification(.ok, owner: ownerID)
        let data = verified.data

        // The inbox absorbs duplicates; a row left unprocessed by a crash is processed again.
        if try await !inbox.insert(owner: ownerID, data, body: body, logger: logger),
            try await inbox.isProcessed(owner: ownerID, orderCode: data.orderCode, reference: data.reference, logger: logger)
        {
            return (.duplicate, data, ownerID)
        }

        guard let payment = try await payments.get(orderCode: data.orderCode, logger: logger), payment.ownerID == ownerID else {
            // Re-submitting the active set proves it with a probe the current keys verify: recorded for that proof too.
            if webhookKey != nil { _ = try await recordProbe(owner: ownerID, body: body, logger: logger) }
            try await markProcessed(ownerID, data, outcome: Outcome.unknownOrder.rawValue, logger: logger)
            logger.info("signed payOS webhook for an unknown order recorded", metadata: ["webhook.probe": "\(data.isConfirmationProbe)"])
            return (.unknownOrder, data, ownerID)
        }

        let event: PaymentEvent?
        let reference: String?
        if configuration.confirmWithPayOS {
            // Shared with duplicate webhooks, the return page and reconciliation asking at the same moment.
            let link = try await linkFetches.link(owner: ownerID, orderCode: data.orderCode, purpose: "webhook.confirm", audit: audit, logger: logger)
            event = PaymentSettlement.event(for: link, source: .webhook, pastExpiry: payments.clock.now() >= payment.expiresAt)
            reference = link.transactions.last?.reference ?? data.reference
        } else {
            // Trusting the signed body alone: the paid total is the sum of this order's distinct signed transfers.
            let total = try await inbox.paidTotal(owner: ownerID, orderCode: data.orderCode, logger: logger) ?? data.amount
            event = data.code == "00" ? .paid(totalPaid: total, source: .webhook) : nil
            reference = data.reference
        }
        if let event {
            try await settlement.settle(payment.id, event: event, reference: reference, logger: logger) { [inbox] connection, change in
                try await inbox.markProcessed(
                    owner: ownerID, orderCode: data.orderCode, reference: data.reference,
                    outcome: change.map { "status:\($0.to.rawValue)" } ?? "no_change", on: connection)
            }
        } else {
            try await markProcessed(ownerID, data, outcome: "no_change", logger: logger)
        }
        return (.processed, data, ownerID)
    }

    /// Counts one refused webhook: this instance's counter and the in-memory tally (``refusals``), which
    /// ``WebhookRefusalFlusher`` adds to the hourly per-owner rows once per interval.
    private func countRejection(owner: OwnerID?) {
        metrics.verification(.invalid, owner: owner)
        refusals.count(owner: owner)
    }

    /// Records the body for the owner's open onboarding attempts, if any.
    private func recordProbe(owner: OwnerID, body: [UInt8], logger: Logger) async throws -> Bool {
        let recorded = try await onboardingProbes.record(owner: owner, body: body, logger: logger)
        if recorded { logger.info("webhook recorded for an onboarding proof") }
        return recorded
    }

    private func markProcessed(_ owner: OwnerID, _ data: PayOSWebhookData, outcome: String, logger: Logger) async throws {
        try await inbox.markProcessed(owner: owner, orderCode: data.orderCode, reference: data.reference, outcome: outcome, logger: logger)
    }

    /// Reads the body's shape without trusting it (to find the owner on the shared route).
    static func parse(_ body: [UInt8]) throws(Refusal) -> PayOSWebhookData {
        guard let value = try? JSONValue(parsing: body), case .object(let object) = value,
            let webhook = try? PayOSWebhookBody(json: object)
        else { throw Refusal(reason: .malformed) }
        return webhook.data
    }
}
