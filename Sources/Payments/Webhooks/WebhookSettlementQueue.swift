// Copyright (c) the Gatehouse authors
public import GatehouseCore
import Synchronization

/// A verified webhook this instance holds the inbox lease of, waiting for a settlement worker.
public struct PendingWebhook: Sendable {
    public let key: WebhookInboxKey
    /// The body as received; it verified on arrival (the inbox only holds verified bodies).
    public let body: [UInt8]
    /// The attempt this lease started (1 for the first).
    public let attempt: Int
    /// The row's `next_attempt_at` while this instance holds it (Unix ms): the lease's end and its token.
    public let lease: Int64
    /// When the webhook was received (Unix ms), for the acknowledgement-to-settled figure.
    public let receivedAt: Int64
}

/// This instance's settlement work: webhooks acknowledged here (pushed as they are stored, so a worker starts at once
/// instead of at its next poll) and rows claimed from the inbox after another instance's lease ran out.
///
/// Many workers take from it concurrently; one key is never queued twice (a row claimed again while still waiting
/// here is skipped). ``whenIdle()`` lets callers (tests, shutdown) wait until everything taken has been settled.
public final class WebhookSettlementQueue: Sendable {
    private struct State {
        var items: [PendingWebhook] = []
        var head = 0
        /// Keys queued or being settled.
        var held: Set<WebhookInboxKey> = []
        var takers: [(id: UInt64, continuation: CheckedContinuation<PendingWebhook?, Never>)] = []
        var idleWaiters: [CheckedContinuation<Void, Never>] = []
        var nextTakerID: UInt64 = 0
        var closed = false

        var count: Int { items.count - head }

        mutating func popFirst() -> PendingWebhook? {
            guard head < items.count else { return nil }
            let item = items[head]
            head += 1
            if head > 1_024, head * 2 > items.count {
                items.removeFirst(head)
                head = 0
            }
            return item
        }

        mutating func takeIdleWaitersIfIdle() -> [CheckedContinuation<Void, Never>] {
            guard held.isEmpty else { return [] }
            defer { idleWaiters = [] }
            return idleWaiters
        }
    }

    private let state = Mutex(State())

    public init() {}

    /// Webhooks waiting for a worker.
    public var waiting: Int { state.withLock { $0.count } }

    /// When the webhook first in line was received (Unix ms); `nil` when none waits.
    public var oldestWaitingReceivedAt: Int64? {
        state.withLock { state in state.head < state.items.count ? state.items[state.head].receivedAt : nil }
    }

    /// Whether `key` is queued or being settled here.
    public func holds(_ key: WebhookInboxKey) -> Bool { state.withLock { $0.held.contains(key) } }

    /// Queues `item` for a worker; `false` (nothing queued) when its key is already held here.
    @discardableResult
    public func push(_ item: PendingWebhook) -> Bool {
        let taker = state.withLock { state -> CheckedContinuation<PendingWebhook?, Never>?? in
            guard state.held.insert(item.key).inserted else { return .none }
            if !state.takers.isEmpty { return .some(state.takers.removeFirst().continuation) }
            state.items.append(item)
            return .some(nil)
        }
        switch taker {
        case .none: return false
        case .some(let continuation?):
            continuation.resume(returning: item)
            return true
        case .some(nil): return true
        }
    }

    /// The next webhook to settle, waiting for one; `nil` once the queue is closed and empty, or the task is cancelled.
    /// The caller settles it and then calls ``finished(_:)``.
    public func next() async -> PendingWebhook? {
        if let item = state.withLock({ $0.popFirst() }) { return item }
        let id = state.withLock { state -> UInt64 in
            state.nextTakerID += 1
            return state.nextTakerID
        }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let immediate = state.withLock { state -> PendingWebhook?? in
                    if let item = state.popFirst() { return .some(item) }
                    if state.closed || Task.isCancelled { return .some(nil) }
                    state.takers.append((id, continuation))
                    return .none
                }
                if let immediate { continuation.resume(returning: immediate) }
            }
        } onCancel: {
            let continuation = state.withLock { state -> CheckedContinuation<PendingWebhook?, Never>? in
                guard let index = state.takers.firstIndex(where: { $0.id == id }) else { return nil }
                return state.takers.remove(at: index).continuation
            }
            continuation?.resume(returning: nil)
        }
    }

    /// Takes the next queued webhook without waiting (`nil` when none is queued).
    public func nextIfAny() -> PendingWebhook? { state.withLock { $0.popFirst() } }

    /// Marks `item`'s key settled or given back: it may be queued again, and idle waiters resume when nothing is held.
    public func finished(_ item: PendingWebhook) {
        let waiters = state.withLock { state in
            state.held.remove(item.key)
            return state.takeIdleWaitersIfIdle()
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Returns once nothing is queued or being settled here.
    public func whenIdle() async {
        await withCheckedContinuation { continuation in
            let idle = state.withLock { state in
                if state.held.isEmpty { return true }
                state.idleWaiters.append(continuation)
                return false
            }
            if idle { continuation.resume() }
        }
    }

    /// Wakes every waiting worker with `nil` once the queue is empty (graceful shutdown: queued work is still taken).
    public func close() {
        let takers = state.withLock { state in
            state.closed = true
            defer { state.takers = [] }
            return state.takers.map(\.continuation)
        }
        for taker in takers { taker.resume(returning: nil) }
    }
}

/// A moment shared by a struct service and its readers (Unix ms; 0 until set).
final class LastTime: Sendable {
    private let millis = Atomic<Int64>(0)

    func set(_ value: Int64) { millis.store(value, ordering: .relaxed) }
    var value: Int64 { millis.load(ordering: .relaxed) }
}
