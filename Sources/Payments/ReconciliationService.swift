// Copyright (c) the Gatehouse authors
public import Logging
public import ServiceLifecycle
public import Storage
public import Vault
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
    let clock: WallClock
    let configuration: Configuration
    let logger: Logger

    public init(payments: PaymentService, clock: WallClock = .system, configuration: Configuration = .init(), logger: Logger) {
        self.payments = payments
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
        let database = payments.database
        let now = clock.now()
        let due = try await database.query(
            """
            SELECT id, next_check_at FROM payment
            WHERE status = 'pending' AND next_check_at IS NOT NULL AND next_check_at <= \(now)
            ORDER BY next_check_at LIMIT \(configuration.batchSize)
            """, logger: logger)
        var checked = 0
        for row in due {
            let id: PaymentID = try row.decode("id")
            let dueAt: Int64 = try row.decode("next_check_at")
            // Claim: only the instance whose UPDATE matched the old value checks this payment now.
            let claimed = try await database.execute(
                """
                UPDATE payment SET next_check_at = \(now + configuration.leaseMillis)
                WHERE id = \(id) AND status = 'pending' AND next_check_at = \(dueAt)
                """, logger: logger)
            guard claimed.affectedRows == 1, let payment = try await payments.payments.get(id, logger: logger) else { continue }
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
        let attempts = try await payments.database.query(
            "SELECT check_attempts FROM payment WHERE id = \(payment.id)", logger: logger
        ).first.map { try $0.decode("check_attempts", as: Int64.self) } ?? 0
        var interval = configuration.firstIntervalMillis << min(attempts + 1, 20)
        interval = min(interval, configuration.maximumIntervalMillis)
        var next = now + interval
        let afterExpiry = payment.expiresAt + configuration.afterExpiryMillis
        if now < afterExpiry { next = min(next, afterExpiry) }
        try await payments.database.execute(
            """
            UPDATE payment SET next_check_at = \(next), check_attempts = check_attempts + 1
            WHERE id = \(payment.id) AND status = 'pending'
            """, logger: logger)
    }
}
