// Copyright (c) the Gatehouse authors
public import Logging
public import Mailer
import Metrics
public import ServiceLifecycle
public import Storage
public import GatehouseCore

/// Delivers the outbox's e-mails through a ``MailTransport``; any number of instances may run against one database.
///
/// ## Claiming (safe with several workers)
/// A worker reads due rows (`status = 'pending' AND next_attempt_at <= now`) and, one row at a time just before sending
/// it, claims it with a conditional update that also counts the attempt:
/// `UPDATE … SET next_attempt_at = now + lease, attempts = attempts + 1 WHERE id = ? AND status = 'pending' AND
/// next_attempt_at = <the value it read>`. Only one worker's update can match (the first changes `next_attempt_at`),
/// so `affectedRows == 1` means "mine". No row is claimed and left waiting behind a slow batch.
///
/// ## Outcomes
/// - sent: `status = 'sent'`, `sent_at`, in its own statement (its own transaction) right after the transport returns;
/// - failed and worth retrying: `last_error` (a generic code, no server text, no secret) and
///   `next_attempt_at = now + backoff` — exponential (`baseBackoff · 2^(attempts−1)`, capped at `maxBackoff`) with jitter
///   (a random point in the upper half), so a server outage does not end in synchronized retry storms;
/// - failed for good (after `maxAttempts`, or a permanent refusal: invalid address, 5xx): `status = 'dead'`, kept for
///   ``NotificationOutbox/resend(id:logger:)``.
///
/// ## Crashes: at least once, never lost
/// A committed row is never lost: a worker that dies after claiming leaves it `pending` with a lease, and it is claimed
/// again once `next_attempt_at` (the lease's end) passes. A row marked `sent` is never sent again. The one window for
/// a duplicate is between the SMTP server's `250` and the `sent` update committing (a crash or database outage right
/// there): it is narrowed by marking sent immediately in its own statement, retried briefly on failure. The lease must
/// exceed the transport's timeout (SMTP: 60 s by default, lease 5 min), or a slow send could be claimed twice.
public struct OutboxWorker: Service {
    public struct Configuration: Sendable {
        /// Attempts before a row is marked dead (default 8: with the default backoff, about 32 minutes of cumulative
        /// waiting, then up to 2 hours more before the last one).
        public var maxAttempts: Int
        /// How long a claimed row belongs to its worker. Must exceed the transport's timeout.
        public var lease: Duration
        /// The wait after the first failure; doubles per attempt.
        public var baseBackoff: Duration
        /// The longest wait between attempts.
        public var maxBackoff: Duration
        /// How often an idle worker looks for due rows.
        public var pollInterval: Duration
        /// Rows read per look.
        public var batchSize: Int

        public init(
            maxAttempts: Int = 8, lease: Duration = .seconds(300), baseBackoff: Duration = .seconds(30),
            maxBackoff: Duration = .seconds(7200), pollInterval: Duration = .seconds(5), batchSize: Int = 20
        ) {
            self.maxAttempts = max(1, maxAttempts)
            self.lease = lease
            self.baseBackoff = baseBackoff
            self.maxBackoff = maxBackoff
            self.pollInterval = pollInterval
            self.batchSize = max(1, batchSize)
        }
    }

    /// What one pass over the due rows did.
    public struct PassSummary: Sendable, Hashable {
        public var sent = 0
        /// Failed, scheduled for another attempt.
        public var retried = 0
        /// Failed for good.
        public var dead = 0
        /// Due rows another worker claimed first.
        public var skipped = 0

        public init() {}
    }

    /// A row this worker claimed.
    struct Claim: Sendable, Hashable {
        let entry: OutboxEntry
        /// The attempt number this claim started (the stored `attempts` after the claim).
        let attempt: Int
        /// The lease's end, which is also the claim's token: later updates only apply while the row still carries it.
        let leaseUntil: Int64
    }

    let database: any SQLDatabase
    let transport: any MailTransport
    let clock: WallClock
    public let configuration: Configuration
    /// The renter token of a payment code, for bodies that carry a renter link (``OutboxEmail/renterLinkPaymentCode``).
    let renterToken: (@Sendable (_ paymentCode: String) -> String)?
    /// Ends the wait between passes when this instance commits e-mail (``NotificationOutbox/wakeup``).
    let wakeup: WakeUpSignal?
    let logger: Logger

    /// - Parameter renterToken: completes stored renter links at send time; without it such a link goes out without its
    ///   token (it then opens only in the browser that holds the payment's cookie).
    /// - Parameter wakeup: the signal this instance's enqueuers fire after they commit e-mail; without it the worker
    ///   only polls.
    public init(
        database: any SQLDatabase, transport: any MailTransport, clock: WallClock = .system, configuration: Configuration = .init(),
        renterToken: (@Sendable (_ paymentCode: String) -> String)? = nil, wakeup: WakeUpSignal? = nil, logger: Logger
    ) {
        self.wakeup = wakeup
        self.database = database
        self.transport = transport
        self.clock = clock
        self.configuration = configuration
        self.renterToken = renterToken
        self.logger = logger
    }

    /// The body to send: the stored one with its renter link completed (the token exists only in this message).
    func renderedBody(_ entry: OutboxEntry) -> String {
        guard let code = entry.renterLinkPaymentCode else { return entry.body }
        let placeholder = OutboxEmail.renterTokenPlaceholder
        guard let renterToken else { return entry.body.replacing("?t=" + placeholder, with: "").replacing(placeholder, with: "") }
        return entry.body.replacing(placeholder, with: renterToken(code))
    }

    /// Looks for due rows when woken (see ``wakeup``) and at least every ``Configuration/pollInterval`` (rows other
    /// instances enqueue), until graceful shutdown. Wake-ups during a pass coalesce into one more pass. A send in
    /// progress finishes; rows not yet claimed stay for the next start (or another instance).
    public func run() async throws {
        let pause: PeriodicTask.Pause = wakeup.map { .wakeable(by: $0) } ?? .sleep
        await PeriodicTask(interval: configuration.pollInterval, failureMessage: "outbox pass failed", logger: logger, pause: pause).run {
            let summary = try await processDue()
            if summary.sent + summary.retried + summary.dead > 0 {
                logger.debug(
                    "outbox pass", metadata: ["outbox.sent": "\(summary.sent)", "outbox.retried": "\(summary.retried)", "outbox.dead": "\(summary.dead)"])
            }
        }
    }

    /// Delivers every row due at the start of the pass, once each (rows rescheduled during the pass wait for the next).
    @discardableResult
    public func processDue() async throws -> PassSummary {
        let passStart = clock.now()
        var summary = PassSummary()
        var afterID: Int64 = 0
        while !Task.isShuttingDownGracefully, !Task.isCancelled {
            let candidates = try await dueRows(at: passStart, afterID: afterID)
            guard !candidates.isEmpty else { break }
            for candidate in candidates {
                if Task.isShuttingDownGracefully || Task.isCancelled { return summary }
                afterID = max(afterID, candidate.id)
                guard let claim = try await self.claim(candidate) else {
                    summary.skipped += 1
                    continue
                }
                switch await deliver(claim) {
                case .sent: summary.sent += 1
                case .retry: summary.retried += 1
                case .dead: summary.dead += 1
                case .leaseLost: summary.skipped += 1
                }
            }
            if candidates.count < configuration.batchSize { break }
        }
        return summary
    }

    /// For admins: puts a `dead` row back to `pending`, due now, attempts reset (``NotificationOutbox/resend(id:logger:)``).
    /// - Returns: `false` when there is no such row or it is not dead.
    @discardableResult
    public func resend(id: Int64) async throws -> Bool {
        try await NotificationOutbox(database: database, clock: clock, wakeup: wakeup).resend(id: id, logger: logger)
    }

    // MARK: Steps (internal for tests that simulate crashes between them)

    /// Due rows, oldest id first, past `afterID` (each pass walks the table once).
    func dueRows(at now: Int64, afterID: Int64) async throws -> [OutboxEntry] {
        try await database.query(
            """
            SELECT \(unescaped: NotificationOutbox.columns) FROM outbox
            WHERE status = 'pending' AND next_attempt_at <= \(now) AND id > \(afterID)
            ORDER BY id LIMIT \(configuration.batchSize)
            """, logger: logger
        ).map(NotificationOutbox.decode)
    }

    /// Claims `entry` for this worker; `nil` when another worker was first (or the row changed since it was read).
    func claim(_ entry: OutboxEntry) async throws -> Claim? {
        let leaseUntil = clock.now() + configuration.lease.wholeMilliseconds
        let result = try await database.execute(
            """
            UPDATE outbox SET next_attempt_at = \(leaseUntil), attempts = attempts + 1
            WHERE id = \(entry.id) AND status = 'pending' AND next_attempt_at = \(entry.nextAttemptAt)
            """, logger: logger)
        guard result.affectedRows == 1 else { return nil }
        return Claim(entry: entry, attempt: entry.attempts + 1, leaseUntil: leaseUntil)
    }

    enum Outcome: Sendable, Hashable {
        case sent, retry, dead, leaseLost
    }

    /// Sends a claimed row and records the outcome.
    func deliver(_ claim: Claim) async -> Outcome {
        let entry = claim.entry
        var metadata: Logger.Metadata = ["outbox.id": "\(entry.id)", "outbox.kind": "\(entry.kind)", "tenant.id": "\(entry.ownerID)"]
        if claim.attempt > configuration.maxAttempts {
            // Claimed more often than allowed without an outcome: workers died while sending it (a poison message).
            return await fail(claim, error: MailerError(code: .internalError, detail: "lease expired too often"), permanent: true, metadata: metadata)
        }
        let message: MailMessage
        do {
            // The Message-ID is the outbox row's: a re-send after a crash between the SMTP server's "250" and our commit of
            // `sent` (the one window at-least-once delivery leaves) is the same message to receivers that deduplicate.
            message = MailMessage(
                to: [try MailAddress(entry.recipient)], subject: entry.subject, text: renderedBody(entry),
                idLeft: "gh-outbox-\(entry.id)-\(entry.createdAt)")
        } catch {
            return await fail(claim, error: error, permanent: true, metadata: metadata)
        }
        let receipt: MailReceipt
        do {
            receipt = try await transport.send(message, logger: logger)
        } catch {
            let permanent = (error as? MailerError).map { !$0.isRetryable } ?? false
            return await fail(claim, error: error, permanent: permanent, metadata: metadata)
        }
        metadata["mail.message_id"] = "\(receipt.messageID)"
        if let file = receipt.file { metadata["mail.file"] = "\(file)" }
        // The message is out: record it at once, in its own statement, retrying briefly — every moment until this
        // commits is a moment in which a crash means sending it again after the lease.
        let now = clock.now()
        for attempt in 1...3 {
            do {
                let result = try await database.execute(
                    "UPDATE outbox SET status = 'sent', sent_at = \(now), last_error = NULL WHERE id = \(entry.id) AND status = 'pending'",
                    logger: logger)
                if result.affectedRows == 0 {
                    logger.warning("outbox row was no longer pending when marked sent (another worker sent it too)", metadata: metadata)
                }
                Self.outcomes(.sent).increment()
                logger.info("e-mail sent", metadata: metadata)
                return .sent
            } catch {
                logger.warning("could not mark outbox row sent", metadata: metadata.merging(["error": "\(error)", "attempt": "\(attempt)"]) { $1 })
                try? await Task.sleep(for: .milliseconds(200 * attempt))
            }
        }
        logger.error("e-mail sent but not recorded: it will be sent again after the lease", metadata: metadata)
        return .sent
    }

    /// Records a failed attempt: dead when permanent or out of attempts, else rescheduled with backoff.
    private func fail(_ claim: Claim, error: any Error, permanent: Bool, metadata: Logger.Metadata) async -> Outcome {
        let dead = permanent || claim.attempt >= configuration.maxAttempts
        let now = clock.now()
        let next = dead ? now : now + Self.backoff(afterAttempt: claim.attempt, configuration: configuration)
        let code = Self.errorCode(error)
        do {
            let result = try await database.execute(
                """
                UPDATE outbox SET status = \(dead ? "dead" : "pending"), last_error = \(code), next_attempt_at = \(next)
                WHERE id = \(claim.entry.id) AND status = 'pending' AND next_attempt_at = \(claim.leaseUntil)
                """, logger: logger)
            guard result.affectedRows == 1 else { return .leaseLost }
        } catch {
            logger.warning("could not record a failed e-mail attempt; it is retried after the lease", metadata: metadata.merging(["error": "\(error)"]) { $1 })
            return .retry
        }
        var details = metadata
        details["outbox.attempt"] = "\(claim.attempt)"
        details["error"] = "\(code)"
        details["error.detail"] = "\(String(reflecting: error))"
        if dead {
            Self.outcomes(.dead).increment()
            logger.error("e-mail gave up", metadata: details)
            return .dead
        }
        Self.outcomes(.retry).increment()
        logger.warning("e-mail failed; will retry", metadata: details)
        return .retry
    }

    /// The wait after failed attempt number `attempt` (1-based): `baseBackoff · 2^(attempt−1)` capped at `maxBackoff`,
    /// then a uniformly random point in its upper half ("equal jitter").
    static func backoff(afterAttempt attempt: Int, configuration: Configuration) -> Int64 {
        let base = configuration.baseBackoff.wholeMilliseconds
        let cap = configuration.maxBackoff.wholeMilliseconds
        let exponent = min(max(attempt - 1, 0), 40)
        let (product, overflow) = base.multipliedReportingOverflow(by: Int64(1) << exponent)
        let delay = max(1, min(cap, overflow ? cap : product))
        return delay - delay / 2 + Int64.random(in: 0...(delay / 2))
    }

    /// A short, generic description of an error for `last_error` (never a server's text, which could echo data).
    static func errorCode(_ error: any Error) -> String {
        let text: String
        switch error {
        case let error as MailerError: text = error.description
        case let error as StorageError: text = error.description
        default: text = String(describing: type(of: error))
        }
        return String(text.prefix(500))
    }

    private static func outcomes(_ outcome: Outcome) -> Counter {
        Counter(label: "gatehouse_outbox_emails_total", dimensions: [("outcome", "\(outcome)")])
    }
}
