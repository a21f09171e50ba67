// Copyright (c) the Gatehouse authors
public import Logging
public import ServiceLifecycle
import Storage
import Vault
public import GatehouseCore

/// Finds pending payments whose webhook did not come and asks payOS, applying the same state machine
/// (settled by `reconciliation`).
///
/// Schedule per payment (`payment.next_check_at`): 30 s after creation, then at doubling intervals (capped at
/// `maximumInterval`), and always once more shortly after the link expires, when payOS reports it EXPIRED (or
/// paid at the last moment). A payment whose check fails (payOS unreachable) is retried on the same schedule.
///
/// Several instances may run it: each due row is claimed with a conditional `UPDATE` of its `next_check_at`
/// (a lease), so only one instance checks a payment at a time.
public struct ReconciliationService: Service {
    public struct Configuration: Sendable {
        /// How often due payments are looked for.
        public var pollInterval: Duration
        /// The first check comes this long after creation; later ones double.
        public var firstIntervalMillis: Int64
        public var maximumIntervalMillis: Int64
        /// The check after expiry comes this long after `expires_at`.
        public var afterExpiryMillis: Int64
        /// How long a claimed row is reserved for the instance checking it.
        public var leaseMillis: Int64
        /// Payments checked per poll.
        public var batchSize: Int

        public init(
            pollInterval: Duration = .seconds(5), firstIntervalMillis: Int64 = 30_000, maximumIntervalMillis: Int64 = 15 * 60_000,
            afterExpiryMillis: Int64 = 60_000, leaseMillis: Int64 = 60_000, batchSize: Int = 50
        ) {
            self.pollInterval = pollInterval
            self.firstIntervalMillis = firstIntervalMillis
            self.maximumIntervalMillis = maximumIntervalMillis
            self.afterExpiryMillis = afterExpiryMillis
            self.leaseMillis = leaseMillis
            self.batchSize = batchSize
        }
    }

    let payments: PaymentService
    let repository: PaymentRepository
    let clock: WallClock
    let configuration: Configuration
    let logger: Logger

    /// - Parameters:
    ///   - payments: asks payOS and settles (``PaymentService/confirmWithPayOS(_:source:audit:logger:)``).
    ///   - repository: the schedule of checks.
    public init(
        payments: PaymentService, repository: PaymentRepository, clock: WallClock = .system, configuration: Configuration = .init(), logger: Logger
    ) {
        self.payments = payments
        self.repository = repository
        self.clock = clock
        self.configuration = configuration
        self.logger = logger
    }

    public func run() async throws {
        await PeriodicTask(interval: configuration.pollInterval, failureMessage: "reconciliation poll failed", logger: logger).run {
            try await reconcileDue()
        }
    }

    /// Checks every payment due now (one batch); returns how many were checked.
    @discardableResult
    public func reconcileDue() async throws -> Int {
        let now = clock.now()
        var checked = 0
        for due in try await repository.dueChecks(at: now, limit: configuration.batchSize, logger: logger) {
            let id = due.id
            // Claim: only the instance whose UPDATE matched the old value checks this payment now.
            guard try await repository.claimCheck(due, leaseUntil: now + configuration.leaseMillis, logger: logger),
                let payment = try await repository.get(id, logger: logger)
            else { continue }
            checked += 1
            var logger = logger
            logger[metadataKey: "payment.id"] = "\(id)"
            do {
                let after = try await payments.confirmWithPayOS(
                    payment, source: .reconciliation, audit: AuditContext(actor: "system:reconciliation"), logger: logger)
                if after.status == .pending { try await scheduleNext(after, now: clock.now()) }
            } catch {
                logger.warning("reconciliation check failed; will retry", metadata: ["error": "\(error)"])
                try await scheduleNext(payment, now: clock.now())
            }
        }
        return checked
    }

    /// Sets the next check: doubling intervals, never later than shortly after expiry (until expiry has passed).
    func scheduleNext(_ payment: Payment, now: Int64) async throws {
        let attempts = try await repository.checkAttempts(payment.id, logger: logger)
        var interval = configuration.firstIntervalMillis << min(attempts + 1, 20)
        interval = min(interval, configuration.maximumIntervalMillis)
        var next = now + interval
        let afterExpiry = payment.expiresAt + configuration.afterExpiryMillis
        if now < afterExpiry { next = min(next, afterExpiry) }
        try await repository.scheduleCheck(payment.id, at: next, logger: logger)
    }
}
