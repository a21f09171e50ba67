// Copyright (c) the Gatehouse authors
public import Logging
public import ServiceLifecycle
import GatehouseCore

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

        public init(concurrency: Int = 8, pollInterval: Duration = .seconds(1), batchSize: Int = 200) {
            self.concurrency = max(1, concurrency)
            self.pollInterval = pollInterval
            self.batchSize = max(1, batchSize)
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
            for _ in 0..<configuration.concurrency {
                group.addTask {
                    // Not cancelled on graceful shutdown: `close()` ends the loop once the queue is empty.
                    while let item = await queue.next() {
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
}
