// Copyright (c) the Gatehouse authors
public import GatehouseCore
import Synchronization

/// This instance's map from webhook key ids (``WebhookKeys``) to owner ids, so `/webhook/payos/{key}` finds its owner
/// without a database read after the first.
///
/// **What is held.** Stored key id → owner id, nothing else: no tag, no key, no owner row (whose status or name
/// could go stale). The tag of a presented key is checked against the id in constant time on every request before
/// this map is consulted (``WebhookKeys/ownerID(presentedKey:in:logger:)``), so an entry never lets a key with a
/// wrong tag through. A legacy key (32 characters, no tag) is its own id: it is held as the database holds it.
///
/// **Why no invalidation feed.** The mapping cannot change: `owner.webhook_key` is written once, when the owner is
/// created (nothing in Gatehouse updates it), and owners are never deleted; suspension does not stop an owner's
/// webhooks from being received. ``forget(owner:)`` and ``forgetAll()`` exist for the code that would change it.
///
/// **Filling.** ``WebhookKeys/preload(from:logger:)`` loads the newest owners' ids at start-up in one read (up to
/// `capacity`); an id not held is read on first use.
///
/// **Bounds.** At most `capacity` entries; beyond it the least recently used tenth is dropped in one pass (amortised
/// O(1) per fill). Unknown ids are never stored: only a key whose tag verifies reaches the database (so a flood of
/// made-up keys costs no read), and a miss leaves nothing behind.
public final class WebhookKeyDirectory: Sendable {
    /// What lookups found, for tests and diagnostics.
    public struct Statistics: Sendable, Hashable {
        public var hits: Int
        public var misses: Int
        public var entries: Int
    }

    private struct Entry {
        var owner: OwnerID
        var lastUsed: UInt64
    }

    private struct State {
        var entries: [String: Entry] = [:]
        var tick: UInt64 = 0
        /// Bumped by every forget: a fill that read the database before one is not stored.
        var generation: UInt64 = 0
        var hits = 0
        var misses = 0
    }

    public let capacity: Int
    private let state = Mutex(State())

    /// - Parameter capacity: ids kept (default 10,000, the key cache's default number of owners).
    public init(capacity: Int = 10_000) {
        self.capacity = max(16, capacity)
    }

    /// The owner of stored key id `id`, when held (counted as a hit or a miss).
    public func owner(id: String) -> OwnerID? {
        state.withLock { state in
            state.tick &+= 1
            guard var entry = state.entries[id] else {
                state.misses += 1
                return nil
            }
            state.hits += 1
            entry.lastUsed = state.tick
            state.entries[id] = entry
            return entry.owner
        }
    }

    /// Read before the database lookup; pass to ``store(id:owner:generation:)``.
    public var generation: UInt64 { state.withLock { $0.generation } }

    /// Holds `id → owner` (read from the database), unless a forget happened since `generation`.
    public func store(id: String, owner: OwnerID, generation: UInt64) {
        state.withLock { state in
            guard state.generation == generation else { return }
            state.tick &+= 1
            state.entries[id] = Entry(owner: owner, lastUsed: state.tick)
            guard state.entries.count > capacity else { return }
            let victims = state.entries.sorted { $0.value.lastUsed < $1.value.lastUsed }.prefix(max(1, capacity / 10))
            for (id, _) in victims { state.entries[id] = nil }
        }
    }

    /// Holds many ids at once (a preload), unless a forget happened since `generation`. Ids already held keep their
    /// recency; new ones are older than any lookup so far, and beyond ``capacity`` the rest of `pairs` is not stored.
    public func store(_ pairs: [(keyID: String, owner: OwnerID)], generation: UInt64) {
        state.withLock { state in
            guard state.generation == generation else { return }
            for (id, owner) in pairs where state.entries[id] == nil {
                guard state.entries.count < capacity else { return }
                state.entries[id] = Entry(owner: owner, lastUsed: 0)
            }
        }
    }

    /// Drops `owner`'s ids (for a change of the owner's webhook key).
    public func forget(owner: OwnerID) {
        state.withLock { state in
            state.generation &+= 1
            state.entries = state.entries.filter { $0.value.owner != owner }
        }
    }

    /// Drops every id.
    public func forgetAll() {
        state.withLock { state in
            state.generation &+= 1
            state.entries = [:]
        }
    }

    public var statistics: Statistics {
        state.withLock { Statistics(hits: $0.hits, misses: $0.misses, entries: $0.entries.count) }
    }
}
