// Copyright (c) the Gatehouse authors
public import Logging
import ServiceLifecycle

/// The loop of every background poller, written once: one round at once, then one round per `interval`, until
/// graceful shutdown or cancellation.
///
/// - Graceful shutdown ends the wait between rounds at once, but never interrupts a round in progress: it finishes,
///   and no other round starts (a round that must stop early checks `Task.isShuttingDownGracefully` itself).
/// - Cancellation ends the wait too; a round sees it as ordinary task cancellation.
/// - A failed round is logged (`warning`, the round's `failureMessage`, the error under `error`) and the next round
///   comes at its usual time: an error never ends the loop, and there is no backoff.
///
/// Use it from a `Service`'s `run()`:
/// ```swift
/// public func run() async throws {
///     await PeriodicTask(interval: interval, failureMessage: "vault maintenance failed", logger: logger).run {
///         try await doOneRound()
///     }
/// }
/// ```
public struct PeriodicTask: Sendable {
    /// How the loop waits between rounds: a value wrapping a closure (like ``WallClock``), so tests pace the loop
    /// by hand instead of sleeping.
    public struct Pause: Sendable {
        private let wait: @Sendable (Duration) async throws -> Void

        /// A pause that runs `wait(interval)`; it should end early (throwing or not) when its task is cancelled.
        public init(_ wait: @escaping @Sendable (Duration) async throws -> Void) {
            self.wait = wait
        }

        /// `Task.sleep(for:)`.
        public static let sleep = Pause { try await Task.sleep(for: $0) }

        func callAsFunction(_ interval: Duration) async throws { try await wait(interval) }
    }

    /// The time between the end of one round and the start of the next.
    public let interval: Duration
    let failureMessage: Logger.Message
    let logger: Logger
    let pause: Pause

    public init(interval: Duration, failureMessage: Logger.Message, logger: Logger, pause: Pause = .sleep) {
        self.interval = interval
        self.failureMessage = failureMessage
        self.logger = logger
        self.pause = pause
    }

    /// Runs `round` until graceful shutdown or cancellation; returns when the loop has ended.
    public func run(_ round: () async throws -> Void) async {
        while !Task.isShuttingDownGracefully, !Task.isCancelled {
            do {
                try await round()
            } catch {
                logger.warning(failureMessage, metadata: ["error": "\(error)"])
            }
            let pause = self.pause
            let interval = self.interval
            try? await cancelWhenGracefulShutdown { try await pause(interval) }
        }
    }
}
