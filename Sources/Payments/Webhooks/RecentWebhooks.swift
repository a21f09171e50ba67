// Copyright (c) the Gatehouse authors
import Sodium
import Synchronization
import GatehouseCore

/// A bounded map that forgets its oldest entries first (by first insertion): the webhook service's memory of webhooks
/// it knows are stored, so that payOS's repeat deliveries are answered without the database.
final class RecentMemory<Key: Hashable & Sendable, Value: Sendable>: Sendable {
    private struct State {
        var values: [Key: Value] = [:]
        var order: [Key] = []
        var head = 0
    }

    let capacity: Int
    private let state: Mutex<State>

    init(capacity: Int) {
        self.capacity = max(1, capacity)
        self.state = Mutex(State())
    }

    func value(for key: Key) -> Value? { state.withLock { $0.values[key] } }

    func contains(_ key: Key) -> Bool { state.withLock { $0.values[key] != nil } }

    /// Holds `value` for `key` (a key already held keeps its place and takes the new value).
    func insert(_ key: Key, _ value: Value) {
        state.withLock { state in
            guard state.values.updateValue(value, forKey: key) == nil else { return }
            state.order.append(key)
            if state.values.count > capacity {
                state.values[state.order[state.head]] = nil
                state.head += 1
                if state.head >= capacity {
                    state.order.removeFirst(state.head)
                    state.head = 0
                }
            }
        }
    }

    var count: Int { state.withLock { $0.values.count } }
}

extension RecentMemory where Value == Void {
    func insert(_ key: Key) { insert(key, ()) }
}

/// Inbox keys this instance has seen stored (inserted here, or found already there): payOS's repeat deliveries of
/// them are answered "duplicate" from memory, without the database. A key is added only after its row is known to
/// exist, and inbox rows are never deleted, so an answer from here is always right; a key not here (another
/// instance's, or forgotten) costs the usual `INSERT IGNORE`.
typealias RecentWebhookKeys = RecentMemory<WebhookInboxKey, Void>

/// Webhook bodies this instance verified and knows stored, by a digest of the URL's webhook key and the exact bytes:
/// payOS repeats a delivery byte for byte, and such a repeat is answered "duplicate" from here without parsing the
/// body, resolving the key or computing a signature — what verifying it again would conclude.
///
/// Sound because the digest (BLAKE2b-256) names the exact bytes: a body not verified here, or the same body on another
/// webhook URL, has another digest and takes the full path. An entry holds only while its owner's keys are what
/// verified it: it records the key cache's ``TenantKeyCache/generation`` read before verification, and a changed
/// generation (any credential rotation, suspension or master-key rotation, here or on another instance within its poll;
/// a lost poll) sends the body down the full path again. Bodies verified with a previous key during its grace window
/// are not held, as that key stops verifying when the window ends without an invalidation.
struct VerifiedWebhookBodies: Sendable {
    /// The digest of a webhook key and body.
    struct Digest: Hashable, Sendable {
        let words: (UInt64, UInt64, UInt64, UInt64)

        init(webhookKey: String?, body: [UInt8]) {
            // The key's length first, so no key and body pair reads as another.
            let key = Array((webhookKey ?? "").utf8)
            var message = [UInt8(webhookKey == nil ? 0 : 1), UInt8(truncatingIfNeeded: key.count >> 8), UInt8(truncatingIfNeeded: key.count)]
            message.reserveCapacity(message.count + key.count + body.count)
            message += key
            message += body
            let hash = BLAKE2b.hash(message, outputLength: 32)
            func word(_ n: Int) -> UInt64 { hash[(n * 8)..<(n * 8 + 8)].reduce(0) { $0 << 8 | UInt64($1) } }
            words = (word(0), word(1), word(2), word(3))
        }

        static func == (lhs: Digest, rhs: Digest) -> Bool { lhs.words == rhs.words }

        func hash(into hasher: inout Hasher) {
            hasher.combine(words.0)
            hasher.combine(words.1)
            hasher.combine(words.2)
            hasher.combine(words.3)
        }
    }

    /// What the answer to a repeat needs.
    struct Entry: Sendable {
        let owner: OwnerID
        let orderCode: Int64
        let isPaid: Bool
        /// The key cache's generation read before the body was verified.
        let generation: UInt64
    }

    let memory: RecentMemory<Digest, Entry>

    init(capacity: Int = 50_000) {
        memory = RecentMemory(capacity: capacity)
    }

    /// The entry for `digest` if it still holds under the key cache's current `generation`.
    func entry(_ digest: Digest, generation: UInt64) -> Entry? {
        guard let entry = memory.value(for: digest), entry.generation == generation else { return nil }
        return entry
    }

    func insert(_ digest: Digest, _ entry: Entry) { memory.insert(digest, entry) }
}
