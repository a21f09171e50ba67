// Copyright (c) the Gatehouse authors
import Synchronization

/// One fill per owner at a time (a fill unseals both halves of the owner's entry at once).
///
/// **Why.** A miss is an audited unseal (one audit row on the chain's lock). When an owner's first requests arrive
/// together — a burst of webhooks, a restart under load — each concurrent miss used to unseal on its own. Now the first
/// miss leads the fill and the others wait for it, then read the cache: one unseal, one audit row; their uses are
/// counted in ``TenantKeyCache/uses`` like any hit.
///
/// **Not cached, not shared.** The leader reads ``TenantKeyCache/generation`` after taking its turn, so a fill racing
/// an invalidation is still not cached; the waiters then find no entry and each unseal for their own call (as they would
/// after a failed fill): waiting never hands anyone keys that are not in the cache.
extension TenantKeyCache {
    /// A fill this caller leads. ``end()`` (once the set is stored, or the unseal failed; idempotent, also on release)
    /// wakes the callers waiting for it.
    public final class FillTicket: Sendable {
        let cache: TenantKeyCache
        let key: Int64
        private let ended = Atomic<Bool>(false)

        init(cache: TenantKeyCache, key: Int64) {
            self.cache = cache
            self.key = key
        }

        public func end() {
            guard !ended.exchange(true, ordering: .acquiringAndReleasing) else { return }
            let waiting = cache.fills.withLock { $0.removeValue(forKey: key) } ?? []
            for continuation in waiting { continuation.resume() }
        }

        deinit { end() }
    }

    /// Takes the turn to fill `owner`'s entry: a ticket when no fill of it is running (unseal, store, then end the
    /// ticket); otherwise waits until the running fill ends and returns `nil` — look the cache up again then.
    public func fillTurn(owner: Int64) async -> FillTicket? {
        let key = owner
        let leads = fills.withLock { fills -> Bool in
            guard fills[key] == nil else { return false }
            fills[key] = []
            return true
        }
        if leads { return FillTicket(cache: self, key: key) }
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let ended = fills.withLock { fills -> Bool in
                guard fills[key] != nil else { return true }
                fills[key]?.append(continuation)
                return false
            }
            if ended { continuation.resume() }
        }
        return nil
    }

    /// Callers waiting for the running fill of `owner`'s entry (tests wait on it).
    public func fillWaiters(owner: Int64) -> Int {
        fills.withLock { $0[owner]?.count ?? 0 }
    }
}
