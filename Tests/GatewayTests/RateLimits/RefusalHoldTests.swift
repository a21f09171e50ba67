// Copyright (c) the Gatehouse authors
import GatehouseHTTP
import Synchronization
import Testing

/// The tarpit in front of refusals of a spent failure budget: each refusal waits `min(delay, Retry-After)`, a bounded
/// number at once; the rest are answered at once.
@Suite struct RefusalHoldTests {
    /// A sleep that records how long it was asked to wait and waits until the test opens it.
    final class Gate: Sendable {
        private struct State {
            var waits: [Duration] = []
            var sleepers: [CheckedContinuation<Void, Never>] = []
            var open = false
        }
        private let state = Mutex(State())

        func sleep(_ duration: Duration) async {
            await withCheckedContinuation { continuation in
                let resumeNow = state.withLock { state in
                    state.waits.append(duration)
                    if state.open { return true }
                    state.sleepers.append(continuation)
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        }

        func open() {
            let sleepers = state.withLock { state in
                state.open = true
                defer { state.sleepers = [] }
                return state.sleepers
            }
            for sleeper in sleepers { sleeper.resume() }
        }

        var waits: [Duration] { state.withLock { $0.waits } }
        var sleeping: Int { state.withLock { $0.sleepers.count } }
    }

    @Test func aRefusalIsHeldForTheDelayCappedByItsRetryAfter() async {
        let gate = Gate()
        gate.open()
        let hold = RefusalHold(delay: .milliseconds(1500), sleep: gate.sleep)
        #expect(await hold.hold(retryAfterSeconds: 6))
        #expect(await hold.hold(retryAfterSeconds: 1))
        #expect(gate.waits == [.milliseconds(1500), .seconds(1)])
        #expect(hold.heldNow == 0)
    }

    @Test func noHoldWithoutADelayOrARetryAfter() async {
        let gate = Gate()
        gate.open()
        #expect(!(await RefusalHold(delay: .zero, sleep: gate.sleep).hold(retryAfterSeconds: 6)))
        #expect(!(await RefusalHold(delay: .seconds(1), sleep: gate.sleep).hold(retryAfterSeconds: 0)))
        #expect(gate.waits.isEmpty)
    }

    @Test func beyondItsCapacityARefusalIsAnsweredAtOnce() async throws {
        let gate = Gate()
        let hold = RefusalHold(delay: .seconds(1), capacity: 2, sleep: gate.sleep)
        let held = Task { await hold.hold(retryAfterSeconds: 6) }
        let alsoHeld = Task { await hold.hold(retryAfterSeconds: 6) }
        // Both are asleep in the gate: the hold is full.
        while gate.sleeping < 2 { await Task.yield() }
        #expect(hold.heldNow == 2)
        // A third does not wait (the gate is still shut, so waiting would never end).
        #expect(!(await hold.hold(retryAfterSeconds: 6)))
        #expect(hold.heldNow == 2)
        gate.open()
        #expect(await held.value)
        #expect(await alsoHeld.value)
        #expect(hold.heldNow == 0)
        #expect(gate.waits.count == 2)
    }
}
