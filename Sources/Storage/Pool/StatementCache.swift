// Copyright (c) the Gatehouse authors

/// A small least-recently-used cache of prepared statements, keyed by SQL text, owned by one connection.
///
/// Gatehouse runs a few dozen distinct statements, so preparing each once per connection saves a parse
/// (SQLite) or a network round trip (MariaDB) on every later execution. The owner frees what the cache
/// evicts or removes; the cache never frees anything itself.
struct StatementCache<Statement> {
    private var entries: [String: (statement: Statement, lastUse: UInt64)] = [:]
    private var clock: UInt64 = 0
    let capacity: Int

    init(capacity: Int) {
        self.capacity = max(0, capacity)
    }

    var count: Int { entries.count }

    /// The cached statement for `sql`, marked as just used.
    mutating func lookup(_ sql: String) -> Statement? {
        guard let entry = entries[sql] else { return nil }
        clock += 1
        entries[sql] = (entry.statement, clock)
        return entry.statement
    }

    /// Caches a statement; returns what no longer fits (the least recently used entries), for the owner
    /// to free. With capacity 0 the statement itself is returned.
    mutating func insert(_ sql: String, _ statement: Statement) -> [Statement] {
        guard capacity > 0 else { return [statement] }
        var evicted: [Statement] = []
        if let previous = entries[sql] { evicted.append(previous.statement) }
        clock += 1
        entries[sql] = (statement, clock)
        while entries.count > capacity, let oldest = entries.min(by: { $0.value.lastUse < $1.value.lastUse }) {
            entries[oldest.key] = nil
            evicted.append(oldest.value.statement)
        }
        return evicted
    }

    /// Forgets one statement and returns it, for the owner to free.
    mutating func remove(_ sql: String) -> Statement? {
        entries.removeValue(forKey: sql)?.statement
    }

    /// Forgets every statement, handing each to `free`.
    mutating func removeAll(_ free: (Statement) -> Void) {
        for entry in entries.values { free(entry.statement) }
        entries.removeAll()
    }
}
