// Copyright (c) the Gatehouse authors
import Logging
import NIOCore
import NIOPosix
import Synchronization

/// A connection whose every call blocks, so it is only ever used on the pool's thread pool.
protocol BlockingPoolConnection: AnyObject, Sendable {
    /// `false` once the connection hit a connection-level error: it must be closed, never leased again.
    var isReusable: Bool { get }
    /// Closes the connection. Blocking; called on the thread pool, exactly once.
    func close()
}

/// A bounded pool of blocking connections plus the thread pool that runs their calls.
///
/// - Bookkeeping is ``PoolStateMachine`` behind a `Mutex`; the lock is only held to update state, never
///   across I/O. Actions (resuming waiters, opening, closing) run after it is released.
/// - Opening and closing are blocking C calls, submitted straight to the thread pool with a completion
///   that feeds the state machine: no Swift task is spawned and nothing polls.
/// - Each waiter's acquire timeout is a timer on an event loop, cancelled when the waiter is served.
/// - The thread pool has one thread per connection plus one, so every leased connection can block at
///   the same time as an open or close without queueing behind the others.
final class ConnectionPool<Connection: BlockingPoolConnection>: Sendable {
    private struct Waiter: Sendable {
        let continuation: CheckedContinuation<Connection, any Error>
    }

    private struct State: ~Copyable {
        var machine: PoolStateMachine<Connection, Waiter>
        var timers: [Int: Scheduled<Void>] = [:]
        var nextWaiterID = 0
        /// Set once the thread pool has stopped after shutdown.
        var isClosed = false
        var closeWaiters: [CheckedContinuation<Void, Never>] = []
    }

    let threadPool: NIOThreadPool
    private let state: Mutex<State>
    private let acquireTimeout: Duration
    private let eventLoop: any EventLoop
    private let logger: Logger
    private let open: @Sendable () throws -> Connection

    /// - Parameters:
    ///   - maxConnections: Upper bound on connections that exist at once.
    ///   - acquireTimeout: How long a borrower waits for a connection before ``StorageError/Code/poolTimeout``.
    ///   - logger: For background events (a close that failed, shutdown).
    ///   - open: Opens one connection; blocking, runs on the thread pool.
    init(
        maxConnections: Int,
        acquireTimeout: Duration,
        logger: Logger,
        open: @escaping @Sendable () throws -> Connection
    ) {
        self.state = Mutex(State(machine: PoolStateMachine(maxConnections: maxConnections)))
        self.acquireTimeout = acquireTimeout
        self.logger = logger
        self.open = open
        self.threadPool = NIOThreadPool(numberOfThreads: maxConnections + 1)
        self.threadPool.start()
        self.eventLoop = MultiThreadedEventLoopGroup.singleton.any()
    }

    // MARK: Leasing

    /// Borrows a connection: an idle one at once, or waits (FIFO) until one is released or opened.
    ///
    /// - Throws: ``StorageError/Code/poolTimeout`` after the acquire timeout, ``StorageError/Code/poolShutdown``
    ///   once shutting down, the open error when a new connection could not be made, `CancellationError`.
    func lease() async throws -> Connection {
        if let connection = state.withLock({ $0.machine.leaseIdle() }) { return connection }
        try Task.checkCancellation()

        let id = state.withLock { state in
            defer { state.nextWaiterID += 1 }
            return state.nextWaiterID
        }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Connection, any Error>) in
                handle { $0.enqueue(id: id, waiter: Waiter(continuation: continuation)) }
                armTimeout(id: id)
                // The cancellation handler may have run before the waiter existed.
                if Task.isCancelled { handle { $0.cancel(id: id) } }
            }
        } onCancel: {
            self.handle { $0.cancel(id: id) }
        }
    }

    /// Gives a connection back. Reusable connections serve the next waiter or go idle; others are closed.
    func release(_ connection: Connection) {
        let reusable = connection.isReusable
        handle { $0.release(connection, reusable: reusable) }
    }

    /// A snapshot of the pool's counters.
    var statistics: SQLPoolStatistics {
        state.withLock { state in
            SQLPoolStatistics(
                idle: state.machine.idle.count,
                leased: state.machine.leasedCount,
                opening: state.machine.openingCount,
                waiting: state.machine.waiterCount,
                maxConnections: state.machine.maxConnections
            )
        }
    }

    // MARK: Shutdown

    /// Starts shutting down without waiting (used from cancellation handlers).
    func startShutdown() {
        handle { $0.shutdown() }
    }

    /// Shuts down and waits until every connection is closed and the thread pool has stopped.
    func shutdown() async {
        startShutdown()
        await waitUntilClosed()
    }

    /// Waits until shutdown (started by someone else) has closed everything.
    func waitUntilClosed() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let closed = state.withLock { state in
                if state.isClosed { return true }
                state.closeWaiters.append(continuation)
                return false
            }
            if closed { continuation.resume() }
        }
    }

    /// Runs blocking work on the pool's threads even when the calling task is cancelled: for clean-up
    /// (rollback, commit) that must not be skipped halfway through a transaction.
    func runUncancellable<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            threadPool.submit { workState in
                guard case .active = workState else {
                    continuation.resume(throwing: StorageError(code: .poolShutdown))
                    return
                }
                continuation.resume(with: Result(catching: body))
            }
        }
    }

    /// Runs blocking work on the pool's threads; skipped with `CancellationError` if the task is cancelled
    /// before it starts.
    func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await threadPool.runIfActive(body)
    }

    // MARK: State machine plumbing

    private func armTimeout(id: Int) {
        let stillWaiting = state.withLock { $0.machine.isWaiting(id: id) }
        guard stillWaiting else { return }
        let timer = eventLoop.scheduleTask(in: .nanoseconds(Int64(acquireTimeout.nanosecondsClamped))) { [self] in
            handle { $0.timeout(id: id) }
        }
        let attached = state.withLock { state in
            guard state.machine.isWaiting(id: id) else { return false }
            state.timers[id] = timer
            return true
        }
        if !attached { timer.cancel() }
    }

    /// Applies one event under the lock, then performs its actions outside it.
    private func handle(_ event: @Sendable (inout PoolStateMachine<Connection, Waiter>) -> PoolStateMachine<Connection, Waiter>.Actions) {
        let (actions, timers) = state.withLock { state in
            let actions = event(&state.machine)
            let timers = actions.resolvedWaiterIDs.compactMap { state.timers.removeValue(forKey: $0) }
            return (actions, timers)
        }
        for timer in timers { timer.cancel() }
        perform(actions)
    }

    private func perform(_ actions: PoolStateMachine<Connection, Waiter>.Actions) {
        for entry in actions.lease { entry.waiter.continuation.resume(returning: entry.connection) }
        for entry in actions.fail { entry.waiter.continuation.resume(throwing: entry.error) }
        for _ in 0..<actions.open { submitOpen() }
        for connection in actions.close { submitClose(connection) }
        if actions.shutdownComplete { stopThreadPool() }
    }

    private func submitOpen() {
        let open = self.open
        threadPool.submit { [self] workState in
            guard case .active = workState else {
                handle { $0.openFailed(StorageError(code: .poolShutdown)) }
                return
            }
            do {
                let connection = try open()
                handle { $0.opened(connection) }
            } catch {
                logger.debug("database connection could not be opened", metadata: ["error": "\(error)"])
                handle { $0.openFailed(error) }
            }
        }
    }

    private func submitClose(_ connection: Connection) {
        threadPool.submit { [self] _ in
            // Runs even when the thread pool is stopping (.cancelled): the handle must be freed either way.
            connection.close()
            handle { $0.closed() }
        }
    }

    private func stopThreadPool() {
        logger.debug("database pool closed every connection")
        threadPool.shutdownGracefully { [self] _ in
            let waiters = state.withLock { state in
                state.isClosed = true
                defer { state.closeWaiters.removeAll() }
                return state.closeWaiters
            }
            for waiter in waiters { waiter.resume() }
        }
    }
}

extension Duration {
    /// Nanoseconds, clamped to `Int64` (durations here are timeouts of seconds to minutes).
    var nanosecondsClamped: Int64 {
        let (seconds, attoseconds) = components
        let nanoseconds = Double(seconds) * 1e9 + Double(attoseconds) / 1e9
        return Int64(exactly: nanoseconds.rounded()) ?? (nanoseconds < 0 ? .min : .max)
    }

    /// Whole milliseconds, clamped to `Int32` (for C APIs).
    var millisecondsClamped: Int32 {
        Int32(clamping: nanosecondsClamped / 1_000_000)
    }

    /// Whole seconds, at least 1, clamped to `UInt32` (for C APIs that take seconds).
    var secondsAtLeastOne: UInt32 {
        UInt32(clamping: max(1, (nanosecondsClamped + 999_999_999) / 1_000_000_000))
    }
}
