// Copyright (c) the Gatehouse authors
import Logging
import Storage
import StorageTestSupport
import Synchronization
import Testing

@testable import Tenancy
import GatehouseCore

/// A wall clock the test moves by hand (Unix ms).
final class ManualWallClock: Sendable {
    private let millis: Atomic<Int64>
    init(_ start: Int64 = 1_800_000_000_000) { millis = Atomic(start) }
    var clock: WallClock { WallClock { [self] in millis.load(ordering: .relaxed) } }
    var now: Int64 { millis.load(ordering: .relaxed) }
    func advance(milliseconds: Int64) { millis.add(milliseconds, ordering: .relaxed) }
}

/// Stored per-owner limits and the instance registry, on both backends.
@Suite struct RateLimitStorageTests {
    let logger = TestDatabases.logger
    let defaults = TenantRateLimiter.Defaults(
        requests: RateLimitPolicy(requestsPerSecond: 100, burst: 200), payOS: RateLimitPolicy(requestsPerSecond: 50, burst: 100),
        perIP: RateLimitPolicy(requestsPerSecond: 50, burst: 100))

    @Test(arguments: TestDatabases.backends)
    func limitsAreStoredReplacedAndFoundByTheirChangeTime(backend: TestBackend) async throws {
        try await withTestDatabase(backend) { db in
            let clock = ManualWallClock()
            let owners = OwnerRepository(database: db)
            let repository = RateLimitRepository(database: db, clock: clock.clock)
            let alice = try await owners.create(name: "Alice", email: "alice@example.vn", logger: logger)
            let bob = try await owners.create(name: "Bob", email: "bob@example.vn", logger: logger)
            #expect(try await repository.get(owner: alice.id, logger: logger) == nil)

            let first = try await repository.set(owner: alice.id, requestsPerSecond: 5, burst: 10, logger: logger)
            #expect(first.updatedAt == clock.now)
            // A second write in the same millisecond still moves updated_at forward, so every reloader sees it.
            let second = try await repository.set(
                owner: alice.id, requestsPerSecond: 7, burst: 3, payOSRequestsPerSecond: 2, payOSBurst: 4, logger: logger)
            #expect(second.updatedAt == clock.now + 1)
            #expect(try await repository.get(owner: alice.id, logger: logger) == second)

            clock.advance(milliseconds: 10)
            let bobs = try await repository.set(owner: bob.id, requestsPerSecond: 1, burst: 1, logger: logger)
            #expect(try await repository.changed(since: 0, logger: logger) == [second, bobs])
            #expect(try await repository.changed(since: bobs.updatedAt, logger: logger) == [bobs])

            // Bad input is refused naming the field; nothing is stored.
            await #expect(throws: TenancyError.validation("burst must be an integer from 1 to 1000000")) {
                try await repository.set(owner: bob.id, requestsPerSecond: 1, burst: 0, logger: logger)
            }
            #expect(try await repository.get(owner: bob.id, logger: logger) == bobs)
            // An unknown owner is refused by the foreign key.
            await #expect(throws: (any Error).self) {
                try await repository.set(owner: OwnerID(9_999), requestsPerSecond: 1, burst: 1, logger: logger)
            }
        }
    }

    @Test(arguments: TestDatabases.backends)
    func theReloaderAppliesChangesMadeElsewhere(backend: TestBackend) async throws {
        try await withTestDatabase(backend) { db in
            let owners = OwnerRepository(database: db)
            let repository = RateLimitRepository(database: db)
            let owner = try await owners.create(name: "Alice", email: "alice@example.vn", logger: logger)
            let limiter = TenantRateLimiter(defaults: defaults)
            let reloader = RateLimitReloader(repository: repository, limiter: limiter, interval: .milliseconds(50), logger: logger)
            try await reloader.loadAll()
            #expect(limiter.effectiveLimit(owner: owner.id).isDefault)

            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await reloader.run() }
                defer { group.cancelAll() }
                // "Another instance" (the repository directly) changes the limit; this limiter picks it up by itself.
                try await repository.set(owner: owner.id, requestsPerSecond: 3, burst: 6, logger: logger)
                let deadline = ContinuousClock.now + .seconds(5)
                while limiter.effectiveLimit(owner: owner.id).isDefault, ContinuousClock.now < deadline {
                    try await Task.sleep(for: .milliseconds(10))
                }
                #expect(limiter.effectiveLimit(owner: owner.id).requests == RateLimitPolicy(requestsPerSecond: 3, burst: 6))
            }
        }
    }

    @Test(arguments: TestDatabases.backends)
    func liveInstancesAreCountedAndTheStaleOrWithdrawnAreNot(backend: TestBackend) async throws {
        try await withTestDatabase(backend) { db in
            let clock = ManualWallClock()
            let limiterA = TenantRateLimiter(defaults: defaults)
            let limiterB = TenantRateLimiter(defaults: defaults)
            let a = InstanceRegistry(database: db, limiter: limiterA, clock: clock.clock, heartbeatInterval: .seconds(2), logger: logger)
            let b = InstanceRegistry(database: db, limiter: limiterB, clock: clock.clock, heartbeatInterval: .seconds(2), logger: logger)
            #expect(a.instanceKey != b.instanceKey)
            #expect(try await a.beat() == 1)
            #expect(try await b.beat() == 2)
            #expect(try await a.beat() == 2)
            // Same millisecond again: still one row per instance.
            #expect(try await a.beat() == 2)
            #expect(limiterA.instances == 2)
            #expect(limiterB.instances == 2)

            // B stops beating: after three missed heartbeats (6 s) A counts only itself.
            clock.advance(milliseconds: 5_999)
            #expect(try await a.beat() == 2)
            clock.advance(milliseconds: 2)
            #expect(try await a.beat() == 1)
            #expect(limiterA.instances == 1)

            // B comes back and then leaves gracefully: A sees it go at its next heartbeat.
            #expect(try await b.beat() == 2)
            try await b.withdraw()
            #expect(try await a.beat() == 1)
            let rows = try await db.query("SELECT COUNT(*) AS n FROM gateway_instance", logger: logger)
            #expect(try rows.first?.decode("n", as: Int64.self) == 1)

            // An instance long gone (no withdrawal: killed) is removed by the next heartbeat that notices, twenty stale
            // periods after its last one; until then its row stays (and is not counted).
            let c = InstanceRegistry(database: db, limiter: TenantRateLimiter(defaults: defaults), clock: clock.clock, heartbeatInterval: .seconds(2), logger: logger)
            #expect(try await c.beat() == 2)
            clock.advance(milliseconds: 120_000)
            #expect(try await a.beat() == 1)
            #expect(try await db.query("SELECT COUNT(*) AS n FROM gateway_instance", logger: logger).first?.decode("n", as: Int64.self) == 2)
            clock.advance(milliseconds: 1)
            #expect(try await a.beat() == 1)
            let left = try await db.query("SELECT instance_key FROM gateway_instance", logger: logger).map { try $0.decode("instance_key", as: String.self) }
            #expect(left == [a.instanceKey])
        }
    }

    /// An instance's start-up beat (`announce`) runs beside its periodic one, and other instances beat at the same time:
    /// heartbeats and the removal of long-gone rows never deadlock (on MariaDB a `DELETE` walking the heartbeat index
    /// against an `UPDATE` of a heartbeat did, and failed the instance's start).
    @Test(arguments: TestDatabases.backends)
    func concurrentHeartbeatsNeverFail(backend: TestBackend) async throws {
        try await withTestDatabase(backend) { db in
            let registries = (0..<3).map { _ in
                InstanceRegistry(database: db, limiter: TenantRateLimiter(defaults: defaults), heartbeatInterval: .seconds(2), logger: logger)
            }
            // Two loops per instance (its periodic beat and its start-up one), six beats in flight at any moment: within
            // the pool, so what is tested is the statements against each other, not the wait for a connection.
            try await withThrowingTaskGroup(of: Void.self) { group in
                for registry in registries {
                    for _ in 0..<2 {
                        group.addTask { for _ in 0..<40 { _ = try await registry.beat() } }
                    }
                }
                try await group.waitForAll()
            }
            #expect(try await db.query("SELECT COUNT(*) AS n FROM gateway_instance", logger: logger).first?.decode("n", as: Int64.self) == 3)
        }
    }

    @Test(arguments: TestDatabases.backends)
    func aNewInstanceWaitsUntilTheOthersHaveCountedIt(backend: TestBackend) async throws {
        try await withTestDatabase(backend) { db in
            let limiterA = TenantRateLimiter(defaults: defaults)
            let limiterB = TenantRateLimiter(defaults: defaults)
            // A loaded machine delays heartbeats by seconds: generous staleness and wait bounds keep this test about
            // the ordering (B returns only after A counted it), not about how fast the machine is.
            let a = InstanceRegistry(
                database: db, limiter: limiterA, heartbeatInterval: .seconds(1), missedBeats: 60, announceTimeout: .seconds(300), logger: logger)
            let b = InstanceRegistry(
                database: db, limiter: limiterB, heartbeatInterval: .seconds(1), missedBeats: 60, announceTimeout: .seconds(300), logger: logger)
            #expect(try await a.announce() == 1)
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await a.run() }
                defer { group.cancelAll() }
                let started = ContinuousClock.now
                let live = try await b.announce()
                #expect(live == 2)
                // When B's announce returns, A (beating every second) has already counted B.
                #expect(ContinuousClock.now - started >= .seconds(1))
                #expect(limiterA.instances == 2)
            }
        }
    }
}
