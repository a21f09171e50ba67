// Copyright (c) the Gatehouse authors

/// Runs work for one key at a time within this process, in arrival order; work for different keys runs freely.
///
/// For work that must not overlap per key but waits on the network (creating a booking's payment link at payOS):
/// a lock held across an `await` would block a thread, and a database lock would hold a connection for seconds.
/// Waiters suspend, and the holder hands over to the next one when it finishes (thrown or not).
public actor KeyedSerialGate<Key: Hashable & Sendable> {
    private var waiters: [Key: [CheckedContinuation<Void, Never>]] = [:]

    public init() {}

    /// Runs `body` once no other `body` for `key` runs in this process.
    public nonisolated func withTurn<T: Sendable>(for key: Key, _ body: () async throws -> T) async throws -> T {
        await acquire(key)
        do {
            let value = try await body()
            await release(key)
            return value
        } catch {
            await release(key)
            throw error
        }
    }

    /// The number of keys with work running or waiting (for tests: a finished gate holds nothing).
    public var activeKeys: Int { waiters.count }

    private func acquire(_ key: Key) async {
        if waiters[key] == nil {
            waiters[key] = []
            return
        }
        await withCheckedContinuation { waiters[key, default: []].append($0) }
    }

    private func release(_ key: Key) {
        guard var queue = waiters[key], !queue.isEmpty else {
            waiters[key] = nil
            return
        }
        let next = queue.removeFirst()
        waiters[key] = queue
        next.resume()
    }
}
