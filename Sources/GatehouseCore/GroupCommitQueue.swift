// Copyright (c) the Gatehouse authors
import Synchronization

/// Group commit: concurrent callers each submit one item and suspend; one drain loop takes everything queued (at most
/// `maxBatch` items), hands the batch to one `commit` call (one statement, one transaction) and resumes every caller
/// with its own output. While a batch is in flight the next one accumulates, so batches grow with the load and a lone
/// caller waits for nobody.
///
/// A failed `commit` fails every caller of its batch with its error; the next batch starts afresh. The drain runs in a
/// task of its own, so cancelling one caller never aborts a commit carrying other callers' items; a queued caller is
/// not cancellable (it waits for its batch's outcome). Callers of one queue must pass equivalent `commit` closures:
/// the one of the caller that started the drain commits the batches until the queue is empty.
public final class GroupCommitQueue<Item: Sendable, Output: Sendable>: Sendable {
    /// What the queue is doing, for tests and diagnostics.
    public struct Snapshot: Sendable, Hashable {
        /// Items waiting for the next batch.
        public var queued: Int
        /// Items in the batch being committed now.
        public var inFlight: Int
        /// Batches started so far.
        public var batches: Int
    }

    private struct Waiter: Sendable {
        var item: Item
        var continuation: CheckedContinuation<Output, any Error>
    }

    private struct State: Sendable {
        var queue: [Waiter] = []
        var draining = false
        var inFlight = 0
        var batches = 0
    }

    public let maxBatch: Int
    private let state = Mutex(State())

    public init(maxBatch: Int) {
        self.maxBatch = max(1, maxBatch)
    }

    public var snapshot: Snapshot {
        state.withLock { Snapshot(queued: $0.queue.count, inFlight: $0.inFlight, batches: $0.batches) }
    }

    /// Queues `item` and returns its output once its batch was committed.
    /// - Parameter commit: commits a batch, returning one output per item, in order.
    /// - Throws: the error of the batch's `commit`.
    public func submit(_ item: Item, commit: @escaping @Sendable ([Item]) async throws -> [Output]) async throws -> Output {
        try await withCheckedThrowingContinuation { continuation in
            let startDrain = state.withLock { state in
                state.queue.append(Waiter(item: item, continuation: continuation))
                if state.draining { return false }
                state.draining = true
                return true
            }
            if startDrain { Task { await self.drain(commit) } }
        }
    }

    private func drain(_ commit: @Sendable ([Item]) async throws -> [Output]) async {
        while true {
            let batch = state.withLock { state -> [Waiter] in
                let count = min(state.queue.count, maxBatch)
                guard count > 0 else {
                    state.draining = false
                    state.inFlight = 0
                    return []
                }
                defer { state.queue.removeFirst(count) }
                state.inFlight = count
                state.batches += 1
                return Array(state.queue.prefix(count))
            }
            guard !batch.isEmpty else { return }
            do {
                let outputs = try await commit(batch.map(\.item))
                precondition(outputs.count == batch.count, "one output per item of a committed batch")
                for (waiter, output) in zip(batch, outputs) { waiter.continuation.resume(returning: output) }
            } catch {
                for waiter in batch { waiter.continuation.resume(throwing: error) }
            }
        }
    }
}
