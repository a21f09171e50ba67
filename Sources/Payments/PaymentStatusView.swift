// Copyright (c) the Gatehouse authors
public import Logging
import Storage
import Synchronization
public import GatehouseCore

/// What the renter's page needs to know about a payment on every poll, and what authorises the poll.
public struct PaymentSnapshot: Sendable, Hashable {
    public let paymentID: PaymentID
    public let ownerID: OwnerID
    public let status: PaymentStatus
    /// The keyed hash of the renter token: lets a poll be authorised without a database round trip.
    public let renterTokenHash: [UInt8]
    /// Unix ms of the last change the view knows of.
    public let updatedAt: Int64
}

/// The in-process view of payment statuses that serves `refresh-status` without a database round trip.
///
/// Thousands of open renter pages poll their payment's status. Instead of one query per poll:
/// - a payment is read from the database once (on first poll after a start), then kept in memory;
/// - every status change made by this instance is published here at once (``publish(_:)``), waking long polls;
/// - changes made by *other* instances (or by hand) arrive through ``PaymentChangeFeed``, which reads the rows
///   changed since its last look once per interval — one query per instance per second, whatever the traffic —
///   so a renter long-polling on instance B sees a change made on instance A within about one interval.
///
/// The cache is bounded (least recently used entries are dropped beyond `capacity`). A poll answered from memory
/// takes one short lock and never suspends: no actor hop on the renter's hot path.
public final class PaymentStatusView: Sendable {
    private struct Entry {
        var snapshot: PaymentSnapshot
        var lastUsed: UInt64
    }

    private struct Waiter {
        let id: UInt64
        let continuation: CheckedContinuation<Void, Never>
    }

    private struct State {
        var entries: [PaymentID: Entry] = [:]
        var waiters: [PaymentID: [Waiter]] = [:]
        var tick: UInt64 = 0
        var nextWaiterID: UInt64 = 0
        var hits = 0
        var misses = 0

        /// Removes and returns the payment's waiters, to be resumed outside the lock.
        mutating func takeWaiters(_ id: PaymentID) -> [Waiter] { waiters.removeValue(forKey: id) ?? [] }

        mutating func store(_ snapshot: PaymentSnapshot, capacity: Int) {
            entries[snapshot.paymentID] = Entry(snapshot: snapshot, lastUsed: tick)
            guard entries.count > capacity else { return }
            // Evict the least recently used tenth in one pass, so eviction is amortised O(1) per insert.
            let victims = entries.sorted { $0.value.lastUsed < $1.value.lastUsed }.prefix(capacity / 10)
            for (id, _) in victims where waiters[id] == nil { entries[id] = nil }
        }
    }

    private let repository: PaymentRepository
    private let capacity: Int
    private let state = Mutex(State())
    /// orderCode → payment and owner (webhooks on the shared route name only the orderCode).
    public let orderCodes: PaymentOrderCodes

    /// - Parameter capacity: payments kept, for snapshots and for orderCodes each.
    public init(repository: PaymentRepository, capacity: Int = 100_000) {
        self.repository = repository
        self.capacity = max(16, capacity)
        self.orderCodes = PaymentOrderCodes(repository: repository, capacity: capacity)
    }

    /// The owner of the payment with this payOS orderCode: from memory after the first database read (or at once
    /// for a payment this instance created); `nil` when no payment has it. See ``PaymentOrderCodes``.
    public func owner(orderCode: Int64, logger: Logger) async throws -> OwnerID? {
        try await orderCodes.lookup(orderCode, logger: logger)?.owner
    }

    /// The payment and owner of this payOS orderCode, as ``owner(orderCode:logger:)``.
    public func payment(orderCode: Int64, logger: Logger) async throws -> (payment: PaymentID, owner: OwnerID)? {
        try await orderCodes.lookup(orderCode, logger: logger)
    }

    /// Counters for tests and metrics: how many polls were answered from memory, and how many read the database.
    public var hits: Int { state.withLock { $0.hits } }
    public var misses: Int { state.withLock { $0.misses } }

    /// The payment's snapshot if it is in memory (a hit), else `nil` without reading the database or counting a miss:
    /// for callers that answer from memory or hand the request on to one that calls ``snapshot(of:logger:)``.
    public func cachedSnapshot(of id: PaymentID) -> PaymentSnapshot? {
        state.withLock { state in
            state.tick &+= 1
            guard var entry = state.entries[id] else { return nil }
            state.hits += 1
            entry.lastUsed = state.tick
            state.entries[id] = entry
            return entry.snapshot
        }
    }

    /// The payment's snapshot: from memory when known, otherwise read once from the database.
    /// `nil` when no such payment exists.
    public func snapshot(of id: PaymentID, logger: Logger) async throws -> PaymentSnapshot? {
        if let cached = cachedSnapshot(of: id) { return cached }
        state.withLock { $0.misses += 1 }
        guard let loaded = try await repository.snapshot(id, logger: logger) else { return nil }
        return state.withLock { state in
            // Another task may have stored a newer snapshot while this one read the database.
            if let existing = state.entries[id], existing.snapshot.updatedAt >= loaded.updatedAt { return existing.snapshot }
            state.store(loaded, capacity: capacity)
            return loaded
        }
    }

    /// Records a change this instance committed (call after the transaction commits) and wakes its long polls.
    public func publish(_ change: PaymentStatusChange) {
        let woken: [Waiter] = state.withLock { state in
            if var entry = state.entries[change.paymentID] {
                guard change.at >= entry.snapshot.updatedAt else { return [] }
                entry.snapshot = PaymentSnapshot(
                    paymentID: change.paymentID, ownerID: entry.snapshot.ownerID, status: change.to,
                    renterTokenHash: entry.snapshot.renterTokenHash, updatedAt: change.at)
                state.entries[change.paymentID] = entry
            }
            return state.takeWaiters(change.paymentID)
        }
        for waiter in woken { waiter.continuation.resume() }
    }

    /// Applies rows read by the change feed: only payments already in memory are updated (others load on demand).
    public func refresh(with snapshots: [PaymentSnapshot]) {
        let woken: [Waiter] = state.withLock { state in
            var woken: [Waiter] = []
            for snapshot in snapshots {
                guard var entry = state.entries[snapshot.paymentID] else { continue }
                guard snapshot.updatedAt > entry.snapshot.updatedAt || snapshot.status != entry.snapshot.status else { continue }
                entry.snapshot = snapshot
                state.entries[snapshot.paymentID] = entry
                woken += state.takeWaiters(snapshot.paymentID)
            }
            return woken
        }
        for waiter in woken { waiter.continuation.resume() }
    }

    /// Waits until the payment's status differs from `seen`, or `timeout` passes; returns the current snapshot.
    public func waitForChange(
        of id: PaymentID, from seen: PaymentStatus, timeout: Duration, logger: Logger
    ) async throws -> PaymentSnapshot? {
        let deadline = ContinuousClock.now + timeout
        while true {
            guard let current = try await snapshot(of: id, logger: logger) else { return nil }
            if current.status != seen || ContinuousClock.now >= deadline || Task.isCancelled { return current }
            await nextSignal(for: id, unless: seen, until: deadline)
        }
    }

    /// Suspends until the payment is published/refreshed or the deadline passes. Registers under the lock only
    /// while the payment still shows `seen`, so a change that lands between the caller's look and here is not missed.
    private func nextSignal(for id: PaymentID, unless seen: PaymentStatus, until deadline: ContinuousClock.Instant) async {
        let waiterID = state.withLock { state in
            state.nextWaiterID &+= 1
            return state.nextWaiterID
        }
        let timer = Task { [weak self] in
            try? await Task.sleep(until: deadline, clock: .continuous)
            self?.resume(id, waiterID: waiterID)
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let registered = state.withLock { state in
                    // Checked under the lock the timer's and the cancellation's `resume` take, so neither can slip
                    // in between and leave this waiter parked.
                    if let entry = state.entries[id], entry.snapshot.status != seen { return false }
                    if ContinuousClock.now >= deadline || Task.isCancelled { return false }
                    state.waiters[id, default: []].append(Waiter(id: waiterID, continuation: continuation))
                    return true
                }
                if !registered { continuation.resume() }
            }
        } onCancel: {
            self.resume(id, waiterID: waiterID)
        }
        timer.cancel()
    }

    private func resume(_ id: PaymentID, waiterID: UInt64) {
        let waiter: Waiter? = state.withLock { state in
            guard var list = state.waiters[id], let index = list.firstIndex(where: { $0.id == waiterID }) else { return nil }
            let waiter = list.remove(at: index)
            state.waiters[id] = list.isEmpty ? nil : list
            return waiter
        }
        waiter?.continuation.resume()
    }

    /// Number of payments held in memory.
    public var count: Int { state.withLock { $0.entries.count } }

    /// The payment's snapshot if it is in memory; never reads the database and counts neither a hit nor a miss
    /// (for the rate limiter, which looks before the route does).
    public func peek(_ id: PaymentID) -> PaymentSnapshot? { state.withLock { $0.entries[id]?.snapshot } }
}

extension PaymentRepository {
    /// The snapshot of one payment, read from the database.
    public func snapshot(_ id: PaymentID, logger: Logger) async throws -> PaymentSnapshot? {
        try await database.query(
            "SELECT id, owner_id, status, renter_token_hash, updated_at FROM payment WHERE id = \(id)", logger: logger
        ).first.map(Self.decodeSnapshot)
    }

    /// Snapshots of payments changed at or after `since` (Unix ms), oldest change first, at most `limit`.
    public func snapshots(changedSince since: Int64, limit: Int, logger: Logger) async throws -> [PaymentSnapshot] {
        try await database.query(
            """
            SELECT id, owner_id, status, renter_token_hash, updated_at FROM payment
            WHERE updated_at >= \(since) ORDER BY updated_at LIMIT \(limit)
            """,
            logger: logger
        ).map(Self.decodeSnapshot)
    }

    static func decodeSnapshot(_ row: SQLRow) throws -> PaymentSnapshot {
        PaymentSnapshot(
            paymentID: try row.decode("id"), ownerID: try row.decode("owner_id"),
            status: PaymentStatus(rawValue: try row.decode("status")) ?? .failed,
            renterTokenHash: try row.decode("renter_token_hash"), updatedAt: try row.decode("updated_at"))
    }
}
