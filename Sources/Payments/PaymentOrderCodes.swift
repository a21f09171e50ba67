// Copyright (c) the Gatehouse authors
public import GatehouseCore
public import Logging
import Storage
import Synchronization

/// Which payment, and so which owner, a payOS orderCode belongs to, held in memory: the seed's shared
/// `/webhook/payos` route names only the orderCode, and looking it up on every webhook was a database read before the
/// signature could even be checked.
///
/// An orderCode is unique across Gatehouse and never changes payment or owner once its payment exists (payments are
/// never deleted, `payment.order_code` and `payment.owner_id` are never updated), so an entry never goes stale and
/// needs no invalidation. Entries come from the payments this instance creates (``remember(_:)``) and from the first
/// database read of any other (a payment created on another instance).
///
/// **Bounds.** At most `capacity` entries; beyond it the least recently used tenth is dropped in one pass. An unknown
/// orderCode is never stored (a flood of made-up orderCodes leaves nothing behind; it is the webhook route's rate
/// limits that cut such a flood off).
public final class PaymentOrderCodes: Sendable {
    /// What lookups found, for tests and diagnostics.
    public struct Statistics: Sendable, Hashable {
        public var hits: Int
        public var misses: Int
        public var entries: Int
    }

    private struct Entry {
        var payment: PaymentID
        var owner: OwnerID
        var lastUsed: UInt64
    }

    private struct State {
        var entries: [Int64: Entry] = [:]
        var tick: UInt64 = 0
        var hits = 0
        var misses = 0

        mutating func store(_ orderCode: Int64, payment: PaymentID, owner: OwnerID, capacity: Int) {
            tick &+= 1
            entries[orderCode] = Entry(payment: payment, owner: owner, lastUsed: tick)
            guard entries.count > capacity else { return }
            let victims = entries.sorted { $0.value.lastUsed < $1.value.lastUsed }.prefix(max(1, capacity / 10))
            for (code, _) in victims { entries[code] = nil }
        }
    }

    private let repository: PaymentRepository
    public let capacity: Int
    private let state = Mutex(State())

    /// - Parameter capacity: orderCodes kept (default 100,000, as many as the status view's snapshots).
    public init(repository: PaymentRepository, capacity: Int = 100_000) {
        self.repository = repository
        self.capacity = max(16, capacity)
    }

    /// The payment and owner of `orderCode`: from memory when held, otherwise read from the database (one indexed
    /// read of two columns) and held from then on. `nil` when no payment has this orderCode (nothing is held then).
    public func lookup(_ orderCode: Int64, logger: Logger) async throws -> (payment: PaymentID, owner: OwnerID)? {
        let cached: (PaymentID, OwnerID)? = state.withLock { state in
            state.tick &+= 1
            guard var entry = state.entries[orderCode] else {
                state.misses += 1
                return nil
            }
            state.hits += 1
            entry.lastUsed = state.tick
            state.entries[orderCode] = entry
            return (entry.payment, entry.owner)
        }
        if let cached { return cached }
        guard let found = try await repository.paymentAndOwner(orderCode: orderCode, logger: logger) else { return nil }
        state.withLock { $0.store(orderCode, payment: found.payment, owner: found.owner, capacity: capacity) }
        return found
    }

    /// Holds a payment this instance just created (call after its transaction committed), so the first webhook
    /// for it needs no read.
    public func remember(_ payment: Payment) {
        state.withLock { $0.store(payment.orderCode, payment: payment.id, owner: payment.ownerID, capacity: capacity) }
    }

    public var statistics: Statistics {
        state.withLock { Statistics(hits: $0.hits, misses: $0.misses, entries: $0.entries.count) }
    }
}

extension PaymentRepository {
    /// The id and owner of the payment with this orderCode (unique across Gatehouse), or `nil`.
    public func paymentAndOwner(orderCode: Int64, logger: Logger) async throws -> (payment: PaymentID, owner: OwnerID)? {
        guard let row = try await database.query(
            "SELECT id, owner_id FROM payment WHERE order_code = \(orderCode)", logger: logger
        ).first else { return nil }
        return (try row.decode("id"), try row.decode("owner_id"))
    }
}
