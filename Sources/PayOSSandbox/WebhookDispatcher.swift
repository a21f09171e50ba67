// Copyright (c) the Gatehouse authors
import Logging
import ServiceLifecycle

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Delivers payment webhooks in the background with exponential back-off, recording every attempt in the
/// delivery log. A ``Service``: it runs for the sandbox's lifetime and abandons pending retries on shutdown.
struct WebhookDispatcher: Service {
    let jobs: AsyncStream<WebhookJob>
    let state: SandboxState
    let sender: WebhookSender
    let retry: WebhookRetryPolicy
    let logger: Logger

    func run() async throws {
        await withDiscardingTaskGroup { group in
            for await job in jobs.cancelOnGracefulShutdown() {
                group.addTask { await deliver(job) }
            }
            // Shutting down: stop sleeping retries; they are logged as abandoned.
            group.cancelAll()
        }
    }

    /// Delivers a job's webhooks one after another (so a reordered batch arrives in the intended order).
    private func deliver(_ job: WebhookJob) async {
        for id in job.deliveryIDs {
            await deliver(deliveryID: id)
        }
    }

    private func deliver(deliveryID: Int) async {
        guard let delivery = await state.delivery(deliveryID), let urlText = delivery.url else { return }
        guard let url = WebhookURL(urlText) else {
            await state.recordAttempt(.init(number: 1, startedAtMs: Self.nowMs(), status: nil, error: "Invalid URL"), deliveryID: deliveryID)
            await state.finish(deliveryID: deliveryID, state: .failed)
            return
        }
        let body = Array(delivery.body.utf8)
        var logger = logger
        logger[metadataKey: "webhook.delivery.id"] = "\(deliveryID)"
        logger[metadataKey: "payos.order_code"] = "\(delivery.orderCode)"
        for attempt in 1...retry.maximumAttempts {
            if Task.isCancelled {
                await state.finish(deliveryID: deliveryID, state: .abandoned)
                return
            }
            let started = Self.nowMs()
            let outcome = await sender.post(body, to: url)
            await state.recordAttempt(
                .init(number: attempt, startedAtMs: started, status: outcome.status, error: outcome.error),
                deliveryID: deliveryID
            )
            if outcome.succeeded {
                await state.finish(deliveryID: deliveryID, state: .delivered)
                logger.debug("Webhook delivered", metadata: ["webhook.attempt": "\(attempt)"])
                return
            }
            logger.debug("Webhook attempt failed", metadata: ["webhook.attempt": "\(attempt)", "webhook.error": "\(outcome.error ?? "")"])
            guard attempt < retry.maximumAttempts else { break }
            do {
                try await Task.sleep(for: retry.delay(afterAttempt: attempt))
            } catch {
                await state.finish(deliveryID: deliveryID, state: .abandoned)
                return
            }
        }
        await state.finish(deliveryID: deliveryID, state: .failed)
        logger.info("Webhook delivery gave up", metadata: ["webhook.attempts": "\(retry.maximumAttempts)"])
    }

    static func nowMs() -> Int64 { Int64((Date().timeIntervalSince1970 * 1000).rounded(.down)) }
}
