// Copyright (c) the Gatehouse authors
import CoreMetrics
import Payments
import Synchronization
import Testing

/// The long-poll cap admits exactly `capacity` polls at once and gives every slot back, however the poll ends.
@Suite struct LongPollLimiterTests {
    /// A poll that holds its slot until it is released (or its task is cancelled).
    final class Gate: Sendable {
        private let waiting = Mutex<[CheckedContinuation<Void, Never>]>([])
        private let opened = Mutex(false)

        func pass() async {
            await withTaskCancellationHandler {
                await withCheckedContinuation { continuation in
                    let parked = waiting.withLock { list in
                        if opened.withLock({ $0 }) || Task.isCancelled { return false }
                        list.append(continuation)
                        return true
                    }
                    if !parked { continuation.resume() }
                }
            } onCancel: {
                self.open()
            }
        }

        func open() {
            let all = waiting.withLock { list in
                opened.withLock { $0 = true }
                defer { list = [] }
                return list
            }
            for continuation in all { continuation.resume() }
        }
    }

    static func waitUntil(_ what: String, _ condition: () -> Bool) async throws {
        let deadline = ContinuousClock.now + .seconds(10)
        while !condition() {
            guard ContinuousClock.now < deadline else {
                Issue.record("timed out waiting until \(what)")
                return
            }
            try await Task.sleep(for: .milliseconds(2))
        }
    }

    // MARK: Tests

    @Test func aFullCapRefusesAtOnceAndAFreedSlotAdmitsTheNext() async throws {
        let limiter = LongPollLimiter(capacity: 2, metrics: NOOPMetricsHandler.instance)
        let gate = Gate()
        let held = (0..<2).map { _ in Task { try await limiter.withSlot { await gate.pass() } } }
        try await Self.waitUntil("both polls hold a slot") { limiter.count == 2 }

        await #expect(throws: LongPollLimitError(capacity: 2, retryAfterSeconds: 5)) { try await limiter.withSlot { Issue.record("admitted past the cap") } }
        #expect(limiter.count == 2)

        gate.open()
        for task in held { try await task.value }
        #expect(limiter.count == 0)
        #expect(try await limiter.withSlot { limiter.count } == 1)
        #expect(limiter.count == 0)
    }

    @Test func aPollThatThrowsGivesItsSlotBack() async throws {
        struct Failure: Error {}
        let limiter = LongPollLimiter(capacity: 1, metrics: NOOPMetricsHandler.instance)
        await #expect(throws: Failure.self) { try await limiter.withSlot { throw Failure() } }
        #expect(limiter.count == 0)
        #expect(try await limiter.withSlot { 42 } == 42)
    }

    @Test func aCancelledPollGivesItsSlotBack() async throws {
        let limiter = LongPollLimiter(capacity: 1, metrics: NOOPMetricsHandler.instance)
        let gate = Gate()
        let poll = Task { try await limiter.withSlot { await gate.pass() } }
        try await Self.waitUntil("the poll holds the slot") { limiter.count == 1 }
        poll.cancel()
        try await poll.value
        #expect(limiter.count == 0)
    }

    @Test func concurrentPollsNeverExceedTheCapAndAllSlotsComeBack() async throws {
        let limiter = LongPollLimiter(capacity: 8, metrics: NOOPMetricsHandler.instance)
        final class Seen: Sendable {
            let highest = Atomic<Int>(0)
            let admitted = Atomic<Int>(0)
        }
        let seen = Seen()
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<400 {
                group.addTask {
                    try? await limiter.withSlot {
                        seen.admitted.add(1, ordering: .relaxed)
                        seen.highest.max(limiter.count, ordering: .relaxed)
                        await Task.yield()
                    }
                }
            }
        }
        #expect(seen.highest.load(ordering: .relaxed) <= 8)
        #expect(seen.admitted.load(ordering: .relaxed) > 0)
        #expect(limiter.count == 0)
    }
}
