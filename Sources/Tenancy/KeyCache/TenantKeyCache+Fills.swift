// Copyright (c) the Gatehouse authors
import Synchronization

/// One fill per owner and part at a time.
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
    /// Which half of an owner's entry a fill unseals.
    public enum Part: Sendable, Hashable {
        /// The payOS API and checksum keys (``payOSCredentials(owner:counted:)``).
        case payOS
        /// The webhook verification keys (``verificationKeys(owner:counted:)``).
        case verification
    }

    struct FillKey: Hashable {
        var owner: Int64
        var part: Part
    }

    /// A fill this caller leads. ``end()`` (once the set is stored, or the unseal failed; idempotent, also on release)
    /// wakes the callers waiting for it.
    public final class FillTicket: Sendable {
        let cache: TenantKeyCache
        let key: FillKey
        private let ended = Atomic<Bool>(false)

        init(cache: TenantKeyCache, key: FillKey) {
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

    /// Takes the turn to fill `owner`'s `part`: a ticket when no fill of it is running (unseal, store, then end the
    /// ticket); otherwise waits until the running fill ends and returns `nil` — look the cache up again then.
    public func fillTurn(owner: Int64, part: Part) async -> FillTicket? {
        let key = FillKey(owner: owner, part: part)
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

    /// Callers waiting for the running fill of `owner`'s `part` (tests wait on it).
    public func fillWaiters(owner: Int64, part: Part) -> Int {
        fills.withLock { $0[FillKey(owner: owner, part: part)]?.count ?? 0 }
    }
}
