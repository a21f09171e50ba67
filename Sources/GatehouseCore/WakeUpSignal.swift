// Copyright (c) the Gatehouse authors
import Synchronization

/// Wakes a background loop in this process when work for it has committed, so the loop need not wait for its next
/// poll (the poll stays, for work other instances commit).
///
/// ``signal()`` never blocks and never queues more than one wake-up: signals that arrive while nobody waits leave one
/// pending wake-up, so any number of them during a round costs the loop exactly one more round.
public final class WakeUpSignal: Sendable {
    private struct State {
        var pending = false
        var waiters: [ObjectIdentifier: Waiter] = [:]
    }

    /// One wait: resumed once, by a signal or by its task's cancellation, whichever comes first — also when that
    /// happens before its continuation exists.
    private final class Waiter: Sendable {
        enum Phase {
            case new
            case waiting(CheckedContinuation<Void, Never>)
            case done
        }

        private let phase = Mutex(Phase.new)

        /// Stores `continuation`; `false` when the wait already finished (the caller resumes it at once).
        func register(_ continuation: CheckedContinuation<Void, Never>) -> Bool {
            phase.withLock { phase in
                if case .done = phase { return false }
                phase = .waiting(continuation)
                return true
            }
        }

        func finish() {
            let continuation = phase.withLock { phase -> CheckedContinuation<Void, Never>? in
                defer { phase = .done }
                if case .waiting(let continuation) = phase { return continuation }
                return nil
            }
            continuation?.resume()
        }
    }

    private let state = Mutex(State())

    public init() {}

    /// Wakes every current waiter; with none, leaves one pending wake-up for the next ``wait(timeout:)``.
    public func signal() {
        let woken = state.withLock { state -> [Waiter] in
            guard !state.waiters.isEmpty else {
                state.pending = true
                return []
            }
            defer { state.waiters.removeAll() }
            return Array(state.waiters.values)
        }
        for waiter in woken { waiter.finish() }
    }

    /// Waits for a signal (or takes the pending one) for at most `timeout`; returns early, `false`, when the task is
    /// cancelled.
    /// - Returns: `true` when a signal ended the wait.
    public func wait(timeout: Duration) async -> Bool {
        if takePending() { return true }
        return await withTaskGroup(of: Bool.self) { group in
            group.addTask {
                await self.waitForSignal()
                return !Task.isCancelled
            }
            group.addTask {
                try? await Task.sleep(for: timeout)
                return false
            }
            let first = await group.next() ?? false
            group.cancelAll()
            return first
        }
    }

    /// The pending wake-up, consumed (for tests and for loops that check before a round).
    public func takePending() -> Bool {
        state.withLock { state in
            defer { state.pending = false }
            return state.pending
        }
    }

    private func waitForSignal() async {
        let waiter = Waiter()
        let key = ObjectIdentifier(waiter)
        let tookPending = state.withLock { state in
            if state.pending {
                state.pending = false
                return true
            }
            state.waiters[key] = waiter
            return false
        }
        if tookPending { return }
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                if !waiter.register(continuation) { continuation.resume() }
            }
        } onCancel: {
            waiter.finish()
        }
        state.withLock { _ = $0.waiters.removeValue(forKey: key) }
    }
}

extension PeriodicTask.Pause {
    /// Waits the interval, or less when `signal` fires (or fired during the round): a poller woken when its work commits.
    public static func wakeable(by signal: WakeUpSignal) -> Self {
        Self { _ = await signal.wait(timeout: $0) }
    }
}
