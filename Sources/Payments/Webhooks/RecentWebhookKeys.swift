// Copyright (c) the Gatehouse authors
import Synchronization

/// Inbox keys this instance has seen stored (inserted here, or found already there): payOS's repeat deliveries of
/// them are answered "duplicate" from memory, without the database. A key is added only after its row is known to
/// exist, and inbox rows are never deleted, so an answer from here is always right; a key not here (another
/// instance's, or forgotten) costs the usual `INSERT IGNORE`. Bounded: the oldest keys are forgotten first.
final class RecentWebhookKeys: Sendable {
    private struct State {
        var keys: Set<WebhookInboxKey> = []
        var order: [WebhookInboxKey] = []
        var head = 0
    }

    let capacity: Int
    private let state = Mutex(State())

    init(capacity: Int = 50_000) {
        self.capacity = max(1, capacity)
    }

    func contains(_ key: WebhookInboxKey) -> Bool { state.withLock { $0.keys.contains(key) } }

    func insert(_ key: WebhookInboxKey) {
        state.withLock { state in
            guard state.keys.insert(key).inserted else { return }
            state.order.append(key)
            if state.keys.count > capacity {
                state.keys.remove(state.order[state.head])
                state.head += 1
                if state.head >= capacity {
                    state.order.removeFirst(state.head)
                    state.head = 0
                }
            }
        }
    }

    var count: Int { state.withLock { $0.keys.count } }
}
