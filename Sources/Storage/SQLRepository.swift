// Copyright (c) the Gatehouse authors
public import GatehouseCore

/// What a repository holds: the database it reads and writes, and the clock its timestamps come from.
public struct RepositoryStorage: Sendable {
    public let database: any SQLDatabase
    public let clock: WallClock

    public init(database: any SQLDatabase, clock: WallClock = .system) {
        self.database = database
        self.clock = clock
    }
}

/// A repository over one ``RepositoryStorage``, built the same way everywhere: `init(database:clock:)`.
public protocol SQLRepository: Sendable {
    var storage: RepositoryStorage { get }
    init(storage: RepositoryStorage)
}

extension SQLRepository {
    public init(database: any SQLDatabase, clock: WallClock = .system) {
        self.init(storage: RepositoryStorage(database: database, clock: clock))
    }

    public var database: any SQLDatabase { storage.database }
    public var clock: WallClock { storage.clock }
}
