// Copyright (c) the Gatehouse authors
import GatehouseCore
import Logging
import Payments
import PayOSSandbox
import Sodium
import Storage
import StorageTestSupport
import Synchronization
import Tenancy
import Testing
import Vault

/// Concurrent misses of one owner share one fill: one audited unseal, the other callers served from the cache it
/// filled, every use still accounted; a fill's waiters wake when it ends, however it ends.
@Suite(.timeLimit(.minutes(5))) struct KeyCacheFillTests {
    @Test(arguments: TestDatabases.backends)
    func twentyConcurrentFirstUsesAreOneUnsealAndTheUseRowsAddUp(backend: TestBackend) async throws {
        try await PaymentsWorld.run(backend) { world in
            let cache = try #require(world.keyAccess.cache)
            #expect(!cache.contains(owner: world.owner.id.rawValue))
            let unsealsBefore = try await world.count("audit_log", where: "action = 'vault.unseal'")
            try await withThrowingTaskGroup(of: String.self) { group in
                for _ in 0..<20 { group.addTask { try await KeyCacheTests.apiKey(world) } }
                for try await key in group { #expect(key == PaymentsWorld.channel.apiKey) }
            }
            #expect(try await world.count("audit_log", where: "action = 'vault.unseal'") - unsealsBefore == 1)
            #expect(cache.uses.pending == 19)
            try await cache.uses.flush(auditLog: AuditLog(clock: world.clock.wallClock), database: world.database, logger: world.logger)
            #expect(try await KeyCacheTests.accountedUses(world, purpose: "test.call") == 20)
            #expect(cache.statistics.hits + cache.statistics.misses == 20, "a waiter's second look is not counted")
        }
    }

    @Test(arguments: TestDatabases.backends)
    func concurrentFirstWebhookVerificationsAreOneUnseal(backend: TestBackend) async throws {
        try await PaymentsWorld.run(backend) { world in
            let cache = try #require(world.keyAccess.cache)
            let unsealsBefore = try await world.count("audit_log", where: "action = 'vault.unseal'")
            try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<20 {
                    group.addTask {
                        try await world.keyAccess.withWebhookVerificationKeys(owner: world.owner.id, audit: PaymentsWorld.audit, logger: world.logger) {
                            $0.count
                        }
                    }
                }
                for try await count in group { #expect(count == 1) }
            }
            #expect(try await world.count("audit_log", where: "action = 'vault.unseal'") - unsealsBefore == 1)
            #expect(cache.uses.pending == 19)
        }
    }

    @Test func theWaitersWakeWhenTheFillEndsAndTheNextMissLeadsAgain() async throws {
        let cache = TenantKeyCache(configuration: .init(capacity: 4), invalidations: nil)
        let ticket = try #require(await cache.fillTurn(owner: 1))
        let woken = Tally()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<5 {
                group.addTask {
                    #expect(await cache.fillTurn(owner: 1) == nil)
                    woken.count.add(1, ordering: .relaxed)
                }
            }
            while cache.fillWaiters(owner: 1) < 5 { await Task.yield() }
            #expect(woken.value == 0)
            // Another owner's fill is a separate turn.
            #expect(await cache.fillTurn(owner: 2) != nil)
            ticket.end()
            try await group.waitForAll()
        }
        #expect(woken.value == 5)
        ticket.end()  // idempotent
        #expect(cache.fillWaiters(owner: 1) == 0)
        #expect(await cache.fillTurn(owner: 1) != nil, "the next miss leads a new fill")
    }

    final class Tally: Sendable {
        let count = Atomic<Int>(0)
        var value: Int { count.load(ordering: .relaxed) }
    }
}
