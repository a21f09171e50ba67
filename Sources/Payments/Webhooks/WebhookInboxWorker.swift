// Copyright (c) the Gatehouse authors
public import Logging
public import ServiceLifecycle
import GatehouseCore
import Storage

/// Settles acknowledged payOS webhooks (``WebhookService/settle(_:logger:)``): a pool of workers on every instance.
///
/// - **In-process wake-up:** a webhook received here is pushed to ``WebhookService/queue`` as it is stored, already
///   leased to this instance, so a worker starts on it at once; no poll stands between the acknowledgement and the
///   settlement.
/// - **Leases:** a row belongs to the instance that stored or claimed it until its `next_attempt_at`. Every
///   ``Configuration/pollInterval`` each instance claims unsettled rows whose lease or backoff ended — a crashed
///   instance's webhooks, and those whose settlement failed — with a conditional update only one instance can win.
/// - **Backoff while payOS fails:** a failed settlement gives the row back with a growing, jittered delay
///   (``WebhookService/Configuration``); the webhook stays acknowledged, so payOS does not deliver again, and it is
///   settled when payOS answers.
/// - **Acknowledgements first:** while webhooks keep arriving (one began within ``Configuration/burstQuiet``), every
///   worker but the first leaves work younger than ``Configuration/burstHoldback`` to it, checking again every few
///   milliseconds: payOS waits on each answer (and delivers again when it is slow), while a settlement only has to
///   follow soon after. Measured on 2 cores, a 2,000-webhook burst was acknowledged at about 780/s with eight workers
///   settling beside it and 2,000/s with one; outside bursts, or once the first in line waited the holdback out, all
///   of them settle.
/// - **Shutdown:** on graceful shutdown (after the server stopped taking requests) the workers finish what is queued
///   here; anything left is due again at its lease's end, on any instance.
public struct WebhookInboxWorker: Service {
    public struct Configuration: Sendable {
        /// Settlements in flight at once on this instance (each is mostly a payOS GET and one transaction).
        public var concurrency: Int
        /// How often this instance looks for rows whose lease or backoff ended.
        public var pollInterval: Duration
        /// Rows claimed per look at most.
        public var batchSize: Int
        /// During a burst, work younger than this is left to the first worker.
        public var burstHoldback: Duration
        /// A burst lasts until no webhook has arrived for this long.
        public var burstQuiet: Duration

        public init(
            concurrency: Int = 8, pollInterval: Duration = .seconds(1), batchSize: Int = 200, burstHoldback: Duration = .seconds(10),
            burstQuiet: Duration = .milliseconds(100)
        ) {
            self.concurrency = max(1, concurrency)
            self.pollInterval = pollInterval
            self.batchSize = max(1, batchSize)
            self.burstHoldback = max(.zero, burstHoldback)
            self.burstQuiet = max(.zero, burstQuiet)
        }

        /// Whether a worker other than the first takes the next webhook at `now` (Unix ms): not during a burst (the
        /// last webhook arrived, at `lastReceivedAt`, less than ``burstQuiet`` ago) while the first in line (received
        /// at `oldestWaitingReceivedAt`) is younger than ``burstHoldback``.
        func surgeMayTake(lastReceivedAt: Int64, oldestWaitingReceivedAt: Int64?, now: Int64) -> Bool {
            guard now - lastReceivedAt < burstQuiet.wholeMilliseconds, let oldestWaitingReceivedAt else { return true }
            return now - oldestWaitingReceivedAt >= burstHoldback.wholeMilliseconds
        }
    }

    let webhooks: WebhookService
    let configuration: Configuration
    let logger: Logger

    public init(webhooks: WebhookService, configuration: Configuration = .init(), logger: Logger) {
        self.webhooks = webhooks
        self.configuration = configuration
        self.logger = logger
    }

    public func run() async throws {
        let queue = webhooks.queue
        await withDiscardingTaskGroup { group in
            for index in 0..<configuration.concurrency {
                group.addTask {
                    // Not cancelled on graceful shutdown: `close()` ends the loop once the queue is empty.
                    while true {
                        if index > 0 { await yieldToAcknowledgements() }
                        guard let item = await queue.next() else { break }
                        await webhooks.settle(item, logger: logger)
                    }
                }
            }
            group.addTask {
                await cancelWhenGracefulShutdown {
                    await PeriodicTask(interval: configuration.pollInterval, failureMessage: "webhook inbox look failed", logger: logger).run {
                        // Only claim more when this instance keeps up: a long local queue would hold the rows' leases idle.
                        guard queue.waiting < configuration.batchSize else { return }
                        let claimed = try await webhooks.claimDue(limit: configuration.batchSize, logger: logger)
                        if claimed > 0 { logger.debug("webhook inbox: claimed due rows", metadata: ["webhook.claimed": "\(claimed)"]) }
                    }
                }
                queue.close()
            }
        }
    }

    /// Waits (polling every 5 ms) while ``Configuration/surgeMayTake(lastReceivedAt:oldestWaitingReceivedAt:now:)`` says no.
    private func yieldToAcknowledgements() async {
        let clock = webhooks.payments.clock
        while !configuration.surgeMayTake(
            lastReceivedAt: webhooks.lastReceivedAt, oldestWaitingReceivedAt: webhooks.queue.oldestWaitingReceivedAt, now: clock.now())
        {
            // Not cancelled on graceful shutdown either: the server has stopped taking requests by then, so the
            // burst ends within `burstQuiet` and this returns.
            try? await Task.sleep(for: .milliseconds(5))
        }
    }
}
