// Copyright (c) the Gatehouse authors
import Storage
import Synchronization

/// One shared `Value` per database object in this process: the audit group committer and the key invalidation feed
/// are each shared by everything that uses the same database.
///
/// Databases are held weakly, so a database that is gone frees its entry; an entry is checked by identity, so a new
/// database that reuses a freed address gets a fresh value. A database that is not a class instance has no identity
/// to share by: ``value(for:make:)`` answers `nil` and the caller decides what to do without sharing.
final class PerDatabase<Value: Sendable>: Sendable {
    /// A weak reference used only for its identity (compared with `===`, never called through), hence
    /// `@unchecked Sendable`: nothing is ever read from or done to the referenced object.
    private struct WeakIdentity: @unchecked Sendable {
        weak var object: AnyObject?
    }

    private struct Entry: Sendable {
        var database: WeakIdentity
        var value: Value
    }

    private let entries = Mutex<[ObjectIdentifier: Entry]>([:])

    init() {}

    /// The value shared for `database`, made by `make` the first time; `nil` when `database` is not a class instance.
    func value(for database: any SQLDatabase, make: () -> Value) -> Value? {
        guard type(of: database) is AnyObject.Type else { return nil }
        let identity = WeakIdentity(object: database as AnyObject)
        guard let key = identity.object.map(ObjectIdentifier.init) else { return nil }
        return entries.withLock { entries in
            if let entry = entries[key], entry.database.object === identity.object { return entry.value }
            entries = entries.filter { $0.value.database.object != nil }
            let value = make()
            entries[key] = Entry(database: identity, value: value)
            return value
        }
    }
}
