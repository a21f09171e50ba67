// Copyright (c) the Gatehouse authors
public import GatehouseCore
public import Logging
public import ServiceLifecycle
import Synchronization

/// Refused webhooks counted in memory and added to the hourly per-owner rows (``WebhookRejectionRepository``) once
/// per interval, so a forged webhook costs no database write: a flood of them cannot load the database, and the
/// counts admins read lag by at most one interval (a crash loses at most that interval's counts).
public final class WebhookRefusalTally: Sendable {
    struct Key: Hashable {
        var ownerID: Int64
        var hourStart: Int64
    }

    private let counts = Mutex<[Key: Int64]>([:])
    let repository: WebhookRejectionRepository

    public init(repository: WebhookRejectionRepository) {
        self.repository = repository
    }

    /// Counts one refusal now, for `owner` (`nil`: none could be resolved).
    public func count(owner: OwnerID?) {
        let now = repository.clock.now()
        let key = Key(ownerID: owner?.rawValue ?? WebhookRejectionRepository.unknownOwner, hourStart: now - now % WebhookRejectionRepository.hourMillis)
        counts.withLock { $0[key, default: 0] += 1 }
    }

    /// Refusals counted and not yet written.
    public var pending: Int64 { counts.withLock { $0.values.reduce(0, +) } }

    /// Adds the counts to their hourly rows; counts whose row failed are kept for the next flush.
    public func flush(logger: Logger) async throws {
        let drained = counts.withLock { counts in
            defer { counts = [:] }
            return counts
        }
        var failure: (any Error)?
        for (key, count) in drained {
            do {
                try await repository.add(ownerID: key.ownerID, hourStart: key.hourStart, count: count, logger: logger)
            } catch {
                counts.withLock { $0[key, default: 0] += count }
                failure = error
            }
        }
        if let failure { throw failure }
    }
}

/// Flushes a ``WebhookRefusalTally`` every `interval` (default 5 s) and once more at graceful shutdown.
public struct WebhookRefusalFlusher: Service {
    let tally: WebhookRefusalTally
    let interval: Duration
    let logger: Logger

    public init(tally: WebhookRefusalTally, interval: Duration = .seconds(5), logger: Logger) {
        self.tally = tally
        self.interval = interval
        self.logger = logger
    }

    public func run() async throws {
        await PeriodicTask(interval: interval, failureMessage: "webhook refusal count flush failed", logger: logger).run {
            try await tally.flush(logger: logger)
        }
        do { try await tally.flush(logger: logger) } catch {
            logger.warning("webhook refusal count flush at shutdown failed", metadata: ["error": "\(error)"])
        }
    }
}
