// Copyright (c) the Gatehouse authors

/// The connection pool's bookkeeping as a value type with no I/O, so every rule can be unit-tested.
///
/// Each event (a lease request, a release, a finished open or close, a timeout, a cancellation, shutdown)
/// mutates the state and returns ``Actions`` that the owner performs *outside* its lock: hand a
/// connection to a waiter, fail a waiter, open or close connections.
///
/// Rules:
/// - at most `maxConnections` connections exist (idle + leased + being opened);
/// - waiters are served strictly in arrival order (FIFO); an idle connection never coexists with a waiter;
/// - a connection is opened only for a waiter that no opening connection will serve;
/// - a connection that is not reusable (a connection-level error) is closed, never leased again;
/// - shutdown fails every waiter, closes idle connections at once and leased ones when they come back,
///   and reports completion exactly once, when nothing is leased, opening or closing.
struct PoolStateMachine<Connection, Waiter> {
    /// What the owner must do after an event.
    struct Actions {
        /// Give these connections to these waiters (already counted as leased).
        var lease: [(id: Int, waiter: Waiter, connection: Connection)] = []
        /// Fail these waiters.
        var fail: [(id: Int, waiter: Waiter, error: any Error)] = []
        /// Close these connections, then report each with ``PoolStateMachine/closed()``.
        var close: [Connection] = []
        /// Open this many connections, then report each with `opened(_:)` or `openFailed(_:)`.
        var open = 0
        /// Shutdown has finished: nothing is leased, opening or closing any more.
        var shutdownComplete = false

        /// The ids of every waiter this action resolves.
        var resolvedWaiterIDs: [Int] { lease.map(\.id) + fail.map(\.id) }
    }

    enum Lifecycle: Equatable {
        case running
        case shuttingDown
        case shutDown
    }

    let maxConnections: Int
    /// Idle connections, most recently used last (reused first: it is the warmest and the least likely
    /// to have been closed by a server-side idle timeout).
    private(set) var idle: [Connection] = []
    private(set) var leasedCount = 0
    private(set) var openingCount = 0
    private(set) var closingCount = 0
    private var waiters: [(id: Int, waiter: Waiter)] = []
    private(set) var lifecycle = Lifecycle.running

    init(maxConnections: Int) {
        precondition(maxConnections > 0, "a pool needs at least one connection")
        self.maxConnections = maxConnections
    }

    var waiterCount: Int { waiters.count }
    func isWaiting(id: Int) -> Bool { waiters.contains { $0.id == id } }

    /// Connections that exist or are being created.
    private var connectionCount: Int { idle.count + leasedCount + openingCount }

    // MARK: Events

    /// The fast path: takes an idle connection if one is free and nobody is waiting.
    mutating func leaseIdle() -> Connection? {
        guard lifecycle == .running, waiters.isEmpty, let connection = idle.popLast() else { return nil }
        leasedCount += 1
        return connection
    }

    /// A borrower waits for a connection: served at once from the idle list, or queued (opening a new
    /// connection when below the limit).
    mutating func enqueue(id: Int, waiter: Waiter) -> Actions {
        var actions = Actions()
        guard lifecycle == .running else {
            actions.fail.append((id, waiter, StorageError(code: .poolShutdown)))
            return actions
        }
        if waiters.isEmpty, let connection = idle.popLast() {
            leasedCount += 1
            actions.lease.append((id, waiter, connection))
            return actions
        }
        waiters.append((id, waiter))
        openIfNeeded(&actions)
        return actions
    }

    /// A borrower gives a connection back.
    mutating func release(_ connection: Connection, reusable: Bool) -> Actions {
        precondition(leasedCount > 0, "release without a lease")
        leasedCount -= 1
        var actions = Actions()
        if reusable {
            offer(connection, &actions)
        } else {
            closingCount += 1
            actions.close.append(connection)
            openIfNeeded(&actions)
        }
        checkShutdownComplete(&actions)
        return actions
    }

    /// A connection finished opening.
    mutating func opened(_ connection: Connection) -> Actions {
        precondition(openingCount > 0, "opened without an open")
        openingCount -= 1
        var actions = Actions()
        offer(connection, &actions)
        checkShutdownComplete(&actions)
        return actions
    }

    /// A connection could not be opened: the oldest waiter gets the error (the server is probably down
    /// or refusing us; failing fast beats waiting out the acquire timeout).
    mutating func openFailed(_ error: any Error) -> Actions {
        precondition(openingCount > 0, "openFailed without an open")
        openingCount -= 1
        var actions = Actions()
        if lifecycle == .running, !waiters.isEmpty, waiters.count > openingCount {
            let first = waiters.removeFirst()
            actions.fail.append((first.id, first.waiter, error))
        }
        openIfNeeded(&actions)
        checkShutdownComplete(&actions)
        return actions
    }

    /// A connection finished closing.
    mutating func closed() -> Actions {
        precondition(closingCount > 0, "closed without a close")
        closingCount -= 1
        var actions = Actions()
        checkShutdownComplete(&actions)
        return actions
    }

    /// A waiter's acquire timeout fired. A no-op when it was already served.
    mutating func timeout(id: Int) -> Actions {
        removeWaiter(id: id, error: StorageError(code: .poolTimeout, message: "no database connection became free in time"))
    }

    /// A waiter's task was cancelled. A no-op when it was already served.
    mutating func cancel(id: Int) -> Actions {
        removeWaiter(id: id, error: CancellationError())
    }

    /// Starts shutting down. Calling it again has no further effect.
    mutating func shutdown() -> Actions {
        var actions = Actions()
        guard lifecycle == .running else { return actions }
        lifecycle = .shuttingDown
        for entry in waiters {
            actions.fail.append((entry.id, entry.waiter, StorageError(code: .poolShutdown)))
        }
        waiters.removeAll()
        closingCount += idle.count
        actions.close.append(contentsOf: idle)
        idle.removeAll()
        checkShutdownComplete(&actions)
        return actions
    }

    // MARK: Helpers

    /// A usable connection became available: the oldest waiter gets it, else it goes idle
    /// (or is closed during shutdown).
    private mutating func offer(_ connection: Connection, _ actions: inout Actions) {
        guard lifecycle == .running else {
            closingCount += 1
            actions.close.append(connection)
            return
        }
        if waiters.isEmpty {
            idle.append(connection)
        } else {
            let first = waiters.removeFirst()
            leasedCount += 1
            actions.lease.append((first.id, first.waiter, connection))
        }
    }

    private mutating func openIfNeeded(_ actions: inout Actions) {
        guard lifecycle == .running else { return }
        while waiters.count > openingCount, connectionCount < maxConnections {
            openingCount += 1
            actions.open += 1
        }
    }

    private mutating func removeWaiter(id: Int, error: any Error) -> Actions {
        var actions = Actions()
        guard let index = waiters.firstIndex(where: { $0.id == id }) else { return actions }
        let entry = waiters.remove(at: index)
        actions.fail.append((entry.id, entry.waiter, error))
        return actions
    }

    private mutating func checkShutdownComplete(_ actions: inout Actions) {
        guard lifecycle == .shuttingDown, leasedCount == 0, openingCount == 0, closingCount == 0 else { return }
        lifecycle = .shutDown
        actions.shutdownComplete = true
    }
}

extension PoolStateMachine: Sendable where Connection: Sendable, Waiter: Sendable {}
extension PoolStateMachine.Actions: Sendable where Connection: Sendable, Waiter: Sendable {}
