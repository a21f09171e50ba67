// Copyright (c) the Gatehouse authors
import GatehouseCore
import LogTestSupport
import Logging
import ServiceLifecycle
import ServiceLifecycleTestKit
import Synchronization
import Testing

/// The in-process wake-up of a poller: a signal ends a wait at once (or the next one, when nobody waits yet), any number
/// of signals coalesce into one wake-up, and a cancelled wait ends. No test sleeps: every wait is an hour long, so only
/// a signal or cancellation can end it within the suite's time limit.
@Suite(.timeLimit(.minutes(1)))
struct WakeUpSignalEndsAPollersWait {
    @Test func aSignalEndsAWaitLongBeforeItsTimeout() async {
        let signal = WakeUpSignal()
        let waiting = Task { await signal.wait(timeout: .seconds(3_600)) }
        signal.signal()
        #expect(await waiting.value)
    }

    @Test func manySignalsWhileNobodyWaitsCoalesceIntoOneWakeUp() async {
        let signal = WakeUpSignal()
        for _ in 0..<1_000 { signal.signal() }
        #expect(await signal.wait(timeout: .seconds(3_600)))
        // The thousand signals left one wake-up, now taken: nothing is pending.
        #expect(!signal.takePending())
    }

    @Test func cancellingAWaitEndsIt() async {
        let signal = WakeUpSignal()
        let waiting = Task { await signal.wait(timeout: .seconds(3_600)) }
        waiting.cancel()
        #expect(await waiting.value == false)
        // The cancelled wait took nothing: a later signal is kept for the next one.
        signal.signal()
        #expect(signal.takePending())
    }

    @Test func aLoopWokenBySignalsDuringARoundRunsExactlyOneMoreRound() async {
        let signal = WakeUpSignal()
        let rounds = Mutex(0)
        let pendingInSecondRound = Mutex<Bool?>(nil)
        let logs = LogCapture()
        await testGracefulShutdown { shutdown in
            let task = PeriodicTask(interval: .seconds(3_600), failureMessage: "round failed", logger: logs.logger, pause: .wakeable(by: signal))
            await task.run {
                let round = rounds.withLock { $0 += 1; return $0 }
                if round == 1 {
                    for _ in 0..<500 { signal.signal() }  // e-mails committed while the pass runs
                } else {
                    pendingInSecondRound.withLock { $0 = signal.takePending() }
                    shutdown.triggerGracefulShutdown()
                }
            }
        }
        // Round 2 came at once (not after the hour), and the 500 signals were one wake-up: none was left for a third.
        #expect(rounds.withLock { $0 } == 2)
        #expect(pendingInSecondRound.withLock { $0 } == false)
    }
}
