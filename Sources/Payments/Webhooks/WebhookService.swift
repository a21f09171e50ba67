// Copyright (c) the Gatehouse authors
import Foundation
public import Logging
public import PayOS
public import Storage
import Sodium
public import Vault
public import GatehouseCore
public import Tenancy

/// Receives payOS webhooks for an owner, acknowledges them once they are durable, and brings each payment to its true
/// state exactly once, after the acknowledgement.
///
/// Receiving (``receive(body:webhookKey:audit:logger:)``, on the request), cheapest checks first:
/// 0. A byte-identical repeat of a body this instance verified and stored, while its owner's keys are unchanged, is
///    answered "duplicate" from a digest of its bytes (``VerifiedWebhookBodies``): payOS repeats deliveries byte for byte.
/// 1. The owner is resolved from the webhook URL's key (or, on the seed's shared route, from the orderCode).
/// 2. The signature over `data` is checked in constant time with the owner's checksum key and, during a
///    rotation's grace window, the previous one (from this instance's key cache when it holds them: no database
///    access). A bad signature is refused, counted in memory only (no audit row, no database write).
/// 3. The signed webhook goes into the durable inbox keyed by (owner, orderCode, reference), already leased to this
///    instance, in one statement with the webhooks arriving at the same moment (``WebhookInboxBatcher``): a duplicate
///    is absorbed (no write). The caller answers 2xx now: payOS need not deliver again, whatever
///    happens next.
///
/// Settling (``settle(_:logger:)``, in a ``WebhookInboxWorker`` woken by the insert; or on any instance once the
/// lease has run out, e.g. after a crash):
/// 4. Before a PAID becomes success, the link's real state is fetched from payOS (on by default): a replayed or
///    forged-but-signed body cannot mark paid a link that payOS does not show as paid.
/// 5. The state change, the inbox row's `processed_at` and the notifications commit in one transaction. A failure
///    (payOS or the database unavailable) gives the row back with a backoff; it is settled when payOS answers again.
public struct WebhookService: Sendable {
    public struct Configuration: Sendable {
        /// Confirm a webhook's news with payOS before trusting it (default on).
        public var confirmWithPayOS: Bool
        /// How long an instance holds a webhook it took (its inbox lease): another instance settles it after that.
        /// Longer than one settlement (a payOS GET is bounded by its deadline), short enough that a crashed instance's
        /// webhooks are settled elsewhere within a minute.
        public var lease: Duration
        /// The wait after a failed settlement; doubles per attempt, with jitter.
        public var baseBackoff: Duration
        /// The longest wait between attempts (while payOS is down, each held webhook is tried at least this often).
        public var maxBackoff: Duration

        public init(confirmWithPayOS: Bool = true, lease: Duration = .seconds(30), baseBackoff: Duration = .seconds(1), maxBackoff: Duration = .seconds(30)) {
            self.confirmWithPayOS = confirmWithPayOS
            self.lease = lease
            self.baseBackoff = baseBackoff
            self.maxBackoff = maxBackoff
        }
    }

    /// What happened to one webhook.
    public enum Outcome: String, Sendable, Hashable {
        /// Verified and stored for settlement (``settle(_:logger:)``), which follows the acknowledgement.
        case accepted
        /// Already received (same owner, orderCode and reference): nothing done again.
        case duplicate
        /// Signed, but for an orderCode this owner has no payment for (payOS's confirm-webhook probe is one): recorded only.
        case unknownOrder = "unknown_order"
        /// Not verifiable with the owner's current keys while the owner proves new credentials: recorded for that proof
        /// (``OnboardingService``), nothing stored as fact.
        case onboardingProbe = "onboarding_probe"
    }

    /// What receiving one webhook did, and what its answer names.
    public struct Receipt: Sendable, Hashable {
        public var outcome: Outcome
        public var ownerID: OwnerID
        public var orderCode: Int64
        /// payOS's `code` was `00`: the webhook reports a payment.
        public var isPaid: Bool

        init(_ outcome: Outcome, _ data: PayOSWebhookData, _ ownerID: OwnerID) {
            self.init(outcome: outcome, ownerID: ownerID, orderCode: data.orderCode, isPaid: data.code == "00")
        }

        public init(outcome: Outcome, ownerID: OwnerID, orderCode: Int64, isPaid: Bool) {
            self.outcome = outcome
            self.ownerID = ownerID
            self.orderCode = orderCode
            self.isPaid = isPaid
        }
    }

    /// What settling one stored webhook did.
    public enum Settlement: Sendable, Hashable {
        /// Applied to its payment (whose status may or may not have changed); the inbox row is processed.
        case settled
        /// The order turned out to have no payment of this owner: recorded as such.
        case unknownOrder
        /// Failed (payOS or the database unavailable): given back, due again after a backoff.
        case retryLater
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
    /// orderCode → owner from memory (the shared route; whether a webhook's order is a payment of its owner).
    let statusView: PaymentStatusView
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
    /// The webhooks this instance holds for settlement (``WebhookInboxWorker`` takes from it).
    public let queue: WebhookSettlementQueue
    /// Inbox keys known stored: repeat deliveries answered from memory.
    let recentKeys = RecentWebhookKeys(capacity: 50_000)
    /// Bodies verified and known stored: byte-identical repeats answered before parsing.
    let verifiedBodies = VerifiedWebhookBodies()
    /// Webhooks stored at the same moment share one statement.
    let inserts = WebhookInboxBatcher()
    let configuration: Configuration
    /// When this instance last began to receive a webhook.
    private let lastReceived = LastTime()

    /// When this instance last began to receive a webhook (Unix ms, ``PaymentRepository/clock``; 0 before the first).
    /// While webhooks keep arriving, the inbox workers beyond the first leave young work to that one
    /// (``WebhookInboxWorker``), so a burst is acknowledged first.
    public var lastReceivedAt: Int64 { lastReceived.value }

    /// - Parameters:
    ///   - settlement: applies a webhook's news with the inbox row marked processed, in one transaction.
    ///   - keyAccess: the owner's verification keys.
    ///   - linkFetches: the confirming GETs; pass the instance the ``PaymentService`` uses, so they are shared.
    ///   - onboardingProbes: where a webhook the owner's keys cannot verify goes while the owner proves new credentials.
    ///   - rejections: where refusal counts are flushed (``refusals``).
    public init(
        owners: OwnerRepository, webhookKeys: WebhookKeys, payments: PaymentRepository, statusView: PaymentStatusView, inbox: WebhookInboxRepository,
        settlement: PaymentSettlement, keyAccess: TenantKeyAccess, linkFetches: PaymentLinkFetches, rejections: WebhookRejectionRepository, metrics: WebhookMetrics,
        onboardingProbes: OnboardingProbeRepository, configuration: Configuration = .init()
    ) {
        self.owners = owners
        self.webhookKeys = webhookKeys
        self.payments = payments
        self.statusView = statusView
        self.inbox = inbox
        self.settlement = settlement
        self.keyAccess = keyAccess
        self.linkFetches = linkFetches
        self.refusals = WebhookRefusalTally(repository: rejections)
        self.metrics = metrics
        self.onboardingProbes = onboardingProbes
        self.queue = WebhookSettlementQueue()
        self.configuration = configuration
    }

    /// Handles one webhook body.
    /// - Parameters:
    ///   - webhookKey: the key in `/webhook/payos/{key}`; `nil` on the shared `/webhook/payos` route.
    /// - Returns: what was done, for whom, and for which order.
    /// - Throws: ``Refusal`` (answer 4xx), or storage/payOS/vault errors (answer 5xx so payOS retries).
    public func receive(body: [UInt8], webhookKey: String?, audit: AuditContext, logger: Logger) async throws -> Receipt {
        lastReceived.set(payments.clock.now())
        // A byte-identical repeat of a body verified and stored here, while its owner's keys are unchanged: what the
        // steps below would conclude, without them. Read the generation first: a rotation after it voids the entry.
        let generation = keyAccess.cache?.generation
        let digest = generation.map { _ in VerifiedWebhookBodies.Digest(webhookKey: webhookKey, body: body) }
        if let generation, let digest, let known = verifiedBodies.entry(digest, generation: generation) {
            metrics.verification(.ok, owner: known.owner)
            return Receipt(outcome: .duplicate, ownerID: known.owner, orderCode: known.orderCode, isPaid: known.isPaid)
        }
        let parsed = try Self.parse(body)
        let unverified = parsed.unverified.data
        let ownerID: OwnerID
        if let webhookKey {
            // From memory after the key's first use (the tag is checked in constant time every time).
            guard let owner = try await webhookKeys.ownerID(presentedKey: webhookKey, in: owners, logger: logger) else {
                countRejection(owner: nil)
                throw Refusal(reason: .unknownOwner)
            }
            ownerID = owner
        } else {
            // From memory for payments this instance created or has seen.
            guard let owner = try await statusView.owner(orderCode: unverified.orderCode, logger: logger) else {
                countRejection(owner: nil)
                throw Refusal(reason: .unknownOwner)
            }
            ownerID = owner
        }
        var logger = logger
        logger[metadataKey: "tenant.id"] = "\(ownerID)"
        logger[metadataKey: "payos.order_code"] = "\(unverified.orderCode)"

        let verified: PayOSWebhook.Verified
        do {
            verified = try await keyAccess.withWebhookVerificationKeys(owner: ownerID, audit: audit, logger: logger) { keys in
                try PayOSWebhook.verify(parsed, keys: keys)
            }
        } catch let error as PayOSWebhookError {
            // During an onboarding proof payOS's probe is signed with the candidate key, which is not stored yet.
            if webhookKey != nil, try await recordProbe(owner: ownerID, body: body, logger: logger) {
                return Receipt(.onboardingProbe, unverified, ownerID)
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
                return Receipt(.onboardingProbe, unverified, ownerID)
            }
            throw error
        }
        metrics.verification(.ok, owner: ownerID)
        let data = verified.data

        // Durable and leased to this instance before the 2xx; a duplicate is absorbed without a write (without a
        // database access at all when this instance has seen its key stored).
        let key = WebhookInboxKey(owner: ownerID, orderCode: data.orderCode, reference: data.reference)
        // Stored from here on (found, or inserted below): a byte-identical repeat can be answered from memory, unless
        // a previous key verified it (that key stops verifying when its grace window ends, with no invalidation).
        func remember() {
            guard let generation, let digest, verified.matchedKeyIndex == 0 else { return }
            verifiedBodies.insert(digest, .init(owner: ownerID, orderCode: data.orderCode, isPaid: data.code == "00", generation: generation))
        }
        guard !recentKeys.contains(key) else {
            remember()
            return Receipt(.duplicate, data, ownerID)
        }
        let receivedAt = payments.clock.now()
        let lease = receivedAt + configuration.lease.wholeMilliseconds
        let inserted = try await inbox.insert(owner: ownerID, data, body: body, leaseUntil: lease, batcher: inserts, logger: logger)
        recentKeys.insert(key)
        remember()
        guard inserted else { return Receipt(.duplicate, data, ownerID) }
        guard try await statusView.owner(orderCode: data.orderCode, logger: logger) == ownerID else {
            // Re-submitting the active set proves it with a probe the current keys verify: recorded for that proof too.
            if webhookKey != nil { _ = try await recordProbe(owner: ownerID, body: body, logger: logger) }
            try await markProcessed(ownerID, data, outcome: Outcome.unknownOrder.rawValue, logger: logger)
            logger.info("signed payOS webhook for an unknown order recorded", metadata: ["webhook.probe": "\(data.isConfirmationProbe)"])
            return Receipt(.unknownOrder, data, ownerID)
        }
        queue.push(PendingWebhook(key: key, body: body, attempt: 1, lease: lease, receivedAt: receivedAt))
        return Receipt(.accepted, data, ownerID)
    }

    /// Settles one held webhook (see the type's steps 4–5) and marks it done in ``queue``. A failure gives the row back
    /// with a backoff (exponential from ``Configuration/baseBackoff``, capped at ``Configuration/maxBackoff``, jittered
    /// in its upper half so held webhooks do not retry in lockstep when payOS returns); it is never lost.
    @discardableResult
    public func settle(_ item: PendingWebhook, logger: Logger) async -> Settlement {
        defer { queue.finished(item) }
        var logger = logger
        logger[metadataKey: "tenant.id"] = "\(item.key.owner)"
        logger[metadataKey: "payos.order_code"] = "\(item.key.orderCode)"
        do {
            let settlement = try await apply(item, logger: logger)
            metrics.settlement(.settled, lagMillis: max(0, payments.clock.now() - item.receivedAt))
            return settlement
        } catch where Task.isCancelled {
            // Shutting down without a grace period: the row stays leased and is due again when its lease ends.
            logger.debug("webhook settlement interrupted by shutdown; due again when its lease ends")
            return .retryLater
        } catch {
            let code = Self.errorCode(error)
            let retryAt = payments.clock.now() + backoff(afterAttempt: item.attempt).wholeMilliseconds
            metrics.settlement(.retry, lagMillis: nil)
            logger.warning(
                "payOS webhook not settled yet; held for another attempt",
                metadata: ["webhook.error": "\(code)", "webhook.attempt": "\(item.attempt)"])
            do {
                try await inbox.release(item.key, lease: item.lease, retryAt: retryAt, error: code, logger: logger)
            } catch {
                // The lease runs out by itself: the row is due again then.
                logger.warning("could not reschedule a held webhook; due when its lease ends", metadata: ["webhook.error": "\(Self.errorCode(error))"])
            }
            return .retryLater
        }
    }

    /// Settles every webhook queued here now, one after another, on the caller's task (tests; a worker pool does this
    /// concurrently in production). Returns how many it settled or gave back.
    @discardableResult
    public func settleQueued(logger: Logger) async -> Int {
        var count = 0
        while let item = queue.nextIfAny() {
            await settle(item, logger: logger)
            count += 1
        }
        return count
    }

    /// Claims this instance's share of unsettled rows whose lease or backoff has ended (another instance crashed, or a
    /// settlement failed) and queues them. Returns how many it queued.
    @discardableResult
    public func claimDue(limit: Int, logger: Logger) async throws -> Int {
        let now = payments.clock.now()
        var queued = 0
        for entry in try await inbox.due(now: now, limit: limit, logger: logger) where !queue.holds(entry.key) {
            let lease = payments.clock.now() + configuration.lease.wholeMilliseconds
            guard try await inbox.claim(entry, leaseUntil: lease, logger: logger) else { continue }
            let item = PendingWebhook(key: entry.key, body: entry.body, attempt: entry.attempts + 1, lease: lease, receivedAt: entry.receivedAt)
            if queue.push(item) { queued += 1 }
        }
        return queued
    }

    /// The wait before attempt `attempt + 1`.
    func backoff(afterAttempt attempt: Int) -> Duration {
        let base = configuration.baseBackoff.wholeMilliseconds
        let ceiling = min(configuration.maxBackoff.wholeMilliseconds, base << min(max(attempt - 1, 0), 20))
        return .milliseconds(Int64.random(in: (ceiling / 2)...max(ceiling, ceiling / 2)))
    }

    /// A stable code for an error (its type), for `last_error` and logs: never the error's text, which may quote payOS.
    static func errorCode(_ error: any Error) -> String {
        String(String(reflecting: type(of: error)).split(separator: ".").last ?? "error")
    }

    /// Steps 4–5 for one stored webhook.
    private func apply(_ item: PendingWebhook, logger: Logger) async throws -> Settlement {
        let ownerID = item.key.owner
        // The body verified when it arrived; only its fields are read here.
        let data = try Self.parse(item.body).unverified.data
        let audit = AuditContext(actor: "payos:webhook")
        // The orderCode's payment and owner never change: from memory, else a two-column read. Checked before the GET, as
        // a row taken over from another instance may never have passed the check on arrival.
        guard let (paymentID, owner) = try await statusView.payment(orderCode: data.orderCode, logger: logger), owner == ownerID else {
            try await markProcessed(ownerID, data, outcome: Outcome.unknownOrder.rawValue, logger: logger)
            return .unknownOrder
        }

        let event: PaymentEvent?
        let reference: String?
        if configuration.confirmWithPayOS {
            // Shared with duplicate webhooks, the return page and reconciliation asking at the same moment.
            let link = try await linkFetches.link(owner: ownerID, orderCode: data.orderCode, purpose: "webhook.confirm", audit: audit, logger: logger)
            // Only an underpaid link depends on the expiry (past it, the partial payment expires): read it only then.
            var pastExpiry = false
            if link.status == .underpaid, let payment = try await payments.get(owner: ownerID, id: paymentID, logger: logger) {
                pastExpiry = payments.clock.now() >= payment.expiresAt
            }
            event = PaymentSettlement.event(for: link, source: .webhook, pastExpiry: pastExpiry)
            reference = link.transactions.last?.reference ?? data.reference
        } else {
            // Trusting the signed body alone: the paid total is the sum of this order's distinct signed transfers.
            let total = try await inbox.paidTotal(owner: ownerID, orderCode: data.orderCode, logger: logger) ?? data.amount
            event = data.code == "00" ? .paid(totalPaid: total, source: .webhook) : nil
            reference = data.reference
        }
        if let event {
            try await settlement.settle(paymentID, event: event, reference: reference, logger: logger) { [inbox] connection, change in
                try await inbox.markProcessed(
                    owner: ownerID, orderCode: data.orderCode, reference: data.reference,
                    outcome: change.map { "status:\($0.to.rawValue)" } ?? "no_change", on: connection)
            }
        } else {
            try await markProcessed(ownerID, data, outcome: "no_change", logger: logger)
        }
        return .settled
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

    /// Reads the body's shape without trusting it (to find the owner), once for both the owner and the signature.
    static func parse(_ body: [UInt8]) throws(Refusal) -> PayOSWebhook.Parsed {
        do {
            return try PayOSWebhook.parse(body: body)
        } catch {
            throw Refusal(reason: .malformed)
        }
    }
}
