// Copyright (c) the Gatehouse authors
public import Logging
public import ServiceLifecycle
import Synchronization
import Testing

/// Services a test runs beside its body (the payOS sandbox, the tap), stopped the way `gatehouse serve` is: by a
/// graceful shutdown of their `ServiceGroup`, which closes the servers' listeners and idle connections.
///
/// **Why not cancel the task running them.** Test beds used to stop the sandbox by cancelling its `run()`; about one
/// full suite run in three or four then never ended (CI hit its job limit twice): the test whose bed was tearing down
/// waited for a sandbox whose listener stayed open, every thread idle. A graceful shutdown is the path every gateway
/// instance of the suite takes and the one production takes. And the wait is bounded: a service still running
/// ``Configuration/grace`` after the shutdown is cancelled, and one still running after a second grace period is
/// recorded as a test failure and left behind, so a teardown that cannot finish fails its test instead of the run.
public final class BackgroundServices: Sendable {
    private let group: ServiceGroup
    private let task: Task<Void, any Error>
    private let name: String
    private let grace: Duration

    /// Starts `services` in a `ServiceGroup` of their own (no signal handling: the test process's signals are not theirs).
    public init(_ services: [any Service], name: String, grace: Duration = .seconds(20), logger: Logger) {
        let group = ServiceGroup(configuration: .init(services: services, logger: logger))
        self.group = group
        self.name = name
        self.grace = grace
        self.task = Task { try await group.run() }
    }

    /// Stops the services (graceful shutdown, then cancellation) and waits for them, each step at most `grace`.
    public func stop() async {
        await group.triggerGracefulShutdown()
        if await ended(within: grace) { return }
        task.cancel()
        if await ended(within: grace) {
            Issue.record("\(name) did not stop within \(grace) of its graceful shutdown; cancelling it stopped it")
            return
        }
        Issue.record("\(name) did not stop within \(grace) of its graceful shutdown nor of its cancellation; left behind")
    }

    /// Whether the group's task ended within `limit` (waiting no longer than that either way).
    private func ended(within limit: Duration) async -> Bool {
        let task = self.task
        let answer = Answer()
        return await withCheckedContinuation { continuation in
            answer.set(continuation)
            // Unstructured on purpose: awaiting a task that never ends must not hold the caller.
            let timer = Task {
                try? await Task.sleep(for: limit)
                answer.resume(false)
            }
            Task {
                _ = await task.result
                answer.resume(true)
                timer.cancel()
            }
        }
    }

    /// A continuation resumed once, by whichever of the two racers comes first.
    private final class Answer: Sendable {
        private let continuation = Mutex<CheckedContinuation<Bool, Never>?>(nil)

        func set(_ continuation: CheckedContinuation<Bool, Never>) { self.continuation.withLock { $0 = continuation } }

        func resume(_ value: Bool) { continuation.withLock { $0.take() }?.resume(returning: value) }
    }
}
