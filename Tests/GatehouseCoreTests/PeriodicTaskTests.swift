// Copyright (c) the Gatehouse authors
import GatehouseCore
import Logging
import LogTestSupport
import ServiceLifecycle
import ServiceLifecycleTestKit
import Synchronization
import Testing

/// The pollers' loop: a round at once, then one per interval; a failed round is logged and the loop goes on; graceful
/// shutdown and cancellation end the wait at once, but never a round in progress. No test sleeps: the waits are either
/// a pause the test observes, or an hour long (so only shutdown or cancellation can end them).
@Suite(.timeLimit(.minutes(1)))
struct PeriodicTaskLoopsUntilShutdown {
    /// What the loop did, in order: `round N` and `wait <interval>`.
    final class Journal: Sendable {
        private let entries = Mutex<[String]>([])
        var all: [String] { entries.withLock { $0 } }
        var rounds: Int { all.filter { $0.hasPrefix("round") }.count }

        /// Appends `entry`; returns how many rounds (including this entry) there have been.
        @discardableResult
        func record(_ entry: String) -> Int { entries.withLock { $0.append(entry); return $0.filter { $0.hasPrefix("round") }.count } }
    }

    /// A pause that only writes `wait <interval>` to the journal and returns at once.
    static func journaling(_ journal: Journal) -> PeriodicTask.Pause {
        PeriodicTask.Pause { journal.record("wait \($0)") }
    }

    @Test func runsTheFirstRoundAtOnceThenWaitsTheIntervalBeforeEachNextOne() async throws {
        let journal = Journal()
        let logs = LogCapture()
        await testGracefulShutdown { shutdown in
            let task = PeriodicTask(interval: .seconds(5), failureMessage: "round failed", logger: logs.logger, pause: Self.journaling(journal))
            await task.run {
                if journal.record("round \(journal.rounds + 1)") == 3 { shutdown.triggerGracefulShutdown() }
            }
        }
        #expect(Array(journal.all.prefix(5)) == ["round 1", "wait 5.0 seconds", "round 2", "wait 5.0 seconds", "round 3"])
        #expect(journal.rounds == 3, "no round after graceful shutdown")
        #expect(logs.all.isEmpty)
    }

    @Test func aFailedRoundIsLoggedAndTheNextOneStillComes() async throws {
        struct Refused: Error, CustomStringConvertible { var description: String { "database unreachable" } }
        let journal = Journal()
        let logs = LogCapture()
        await testGracefulShutdown { shutdown in
            let task = PeriodicTask(interval: .seconds(1), failureMessage: "heartbeat failed", logger: logs.logger, pause: Self.journaling(journal))
            await task.run {
                let round = journal.record("round \(journal.rounds + 1)")
                if round == 3 { shutdown.triggerGracefulShutdown() }
                if round < 3 { throw Refused() }
            }
        }
        #expect(journal.rounds == 3)
        let warnings = logs.all.filter { $0.level == .warning }
        #expect(warnings.map(\.message) == ["heartbeat failed", "heartbeat failed"])
        #expect(warnings.allSatisfy { $0.metadata["error"] == "database unreachable" })
    }

    @Test func gracefulShutdownEndsAnHourLongWaitAtOnce() async throws {
        let (rounds, roundDone) = AsyncStream<Int>.makeStream()
        let journal = Journal()
        await testGracefulShutdown { shutdown in
            await withTaskGroup(of: Void.self) { group in
                group.addTask {
                    await PeriodicTask(interval: .seconds(3600), failureMessage: "failed", logger: LogCapture().logger).run {
                        roundDone.yield(journal.record("round"))
                    }
                }
                // The first round has run; the loop is now in its hour-long wait.
                var iterator = rounds.makeAsyncIterator()
                _ = await iterator.next()
                shutdown.triggerGracefulShutdown()
                await group.waitForAll()
            }
        }
        #expect(journal.rounds == 1)
    }

    @Test func aRoundInProgressFinishesDespiteGracefulShutdown() async throws {
        let journal = Journal()
        await testGracefulShutdown { shutdown in
            await PeriodicTask(interval: .seconds(3600), failureMessage: "failed", logger: LogCapture().logger).run {
                shutdown.triggerGracefulShutdown()
                // The round is not cancelled: it can still do (and await) its work.
                try await Task.sleep(for: .zero)
                journal.record(Task.isCancelled ? "round cancelled" : "round finished")
            }
        }
        #expect(journal.all == ["round finished"])
    }

    @Test func cancellationEndsAnHourLongWaitAtOnce() async throws {
        let (rounds, roundDone) = AsyncStream<Int>.makeStream()
        let journal = Journal()
        let loop = Task {
            await PeriodicTask(interval: .seconds(3600), failureMessage: "failed", logger: LogCapture().logger).run {
                roundDone.yield(journal.record("round"))
            }
        }
        var iterator = rounds.makeAsyncIterator()
        _ = await iterator.next()
        loop.cancel()
        await loop.value
        #expect(journal.rounds == 1)
    }
}
