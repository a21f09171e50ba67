// Copyright (c) the Gatehouse authors
import Sodium
import Synchronization

/// Remembers, per stored keyed hash, the renter token that was last verified against it, so a renter's next poll is
/// checked without the keyed hash.
///
/// Why: the keyed hash reads the token pepper from guarded memory, and every read of guarded memory is two `mprotect`
/// calls (with a TLB shoot-down on every core): on the renter's poll, answered from memory otherwise, that was ~6 % of
/// the process's CPU. A page polls its payment every few seconds with the same token, so the check is made once per
/// payment and token and then recognised.
///
/// What is kept is not the token but an unkeyed BLAKE2b digest of it, salted with bytes drawn at start-up: a token has
/// 160 random bits, so the digest confirms only the token that produced it, and never outlives the process. Only
/// successful checks are remembered: a wrong token always takes the full keyed check, so the answer and its cost for
/// a guesser are what they were. Bounded: beyond `capacity` entries an arbitrary eighth is dropped (those payments'
/// next polls take the keyed check again).
final class VerifiedTokenMemo: Sendable {
    private let salt: [UInt8] = SecureRandom.bytes(count: 32)
    private let capacity: Int
    private let entries = Mutex<[[UInt8]: [UInt8]]>([:])

    init(capacity: Int = 50_000) {
        self.capacity = max(8, capacity)
    }

    /// The salted digest of a presented token.
    func digest(_ token: String) -> [UInt8] {
        BLAKE2b.hash(salt + Array(token.utf8))
    }

    /// Whether `digest` is that of the token last verified against `storedHash` (constant time).
    func recognises(_ digest: [UInt8], storedHash: [UInt8]) -> Bool {
        guard let known = entries.withLock({ $0[storedHash] }) else { return false }
        return ConstantTime.equals(known, digest)
    }

    /// Records a token (by its digest) that the keyed check accepted for `storedHash`.
    func remember(_ digest: [UInt8], storedHash: [UInt8]) {
        entries.withLock { entries in
            if entries[storedHash] == nil, entries.count >= capacity {
                for key in Array(entries.keys.prefix(max(1, capacity / 8))) { entries[key] = nil }
            }
            entries[storedHash] = digest
        }
    }

    var count: Int { entries.withLock { $0.count } }
}
