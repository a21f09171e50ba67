// Copyright (c) the Gatehouse authors
import Foundation
import GatehouseCore
import Logging
import PayOS
import PayOSSandbox
import Payments
import Sodium
import Storage
import StorageTestSupport
import Tenancy
import Testing
import Vault

/// Owners' keys are unsealed (audited) once and then served from this instance's guarded cache: every use is still
/// accounted (unseal rows plus aggregated use rows), and a rotation, a suspension or the end of the time to live drops
/// the entry at once; least recently used owners are evicted at capacity and their slot reads zero once released.
@Suite struct KeyCacheTests {
    static let unlimited = RateLimitPolicy(requestsPerSecond: 1_000, burst: 1_000)

    static func apiKey(_ world: PaymentsWorld, purpose: String = "test.call") async throws -> String {
        try await world.keyAccess.withPayOSCredentials(owner: world.owner.id, purpose: purpose, audit: PaymentsWorld.audit, logger: world.logger) {
            $0.apiKey.withUnsafeBytes { String(decoding: $0, as: UTF8.self) }
        }
    }

    /// The uses recorded for `purpose`: its unseal rows plus the counts of its aggregated use rows.
    static func accountedUses(_ world: PaymentsWorld, purpose: String) async throws -> Int {
        let rows = try await world.database.query(
            "SELECT action, detail FROM audit_log WHERE action IN ('vault.unseal', 'vault.key_use')", logger: world.logger)
        var total = 0
        for row in rows {
            let detail: String = try row.decode("detail")
            let object = try #require(try JSONSerialization.jsonObject(with: Data(detail.utf8)) as? [String: Any])
            guard object["purpose"] as? String == purpose else { continue }
            total += (try row.decode("action", as: String.self)) == "vault.unseal" ? 1 : (object["count"] as? Int ?? -1_000_000)
        }
        return total
    }

    @Test(arguments: TestDatabases.backends)
    func aBurstOfUsesIsOneUnsealAndUseRowsThatAddUpAndTheChainVerifies(backend: TestBackend) async throws {
        try await PaymentsWorld.run(backend) { world in
            let cache = try #require(world.keyAccess.cache)
            let unsealsBefore = try await world.count("audit_log", where: "action = 'vault.unseal'")
            #expect(try await Self.apiKey(world) == PaymentsWorld.channel.apiKey)  // the fill
            try await withThrowingTaskGroup(of: String.self) { group in
                for _ in 0..<39 { group.addTask { try await Self.apiKey(world) } }
                for try await key in group { #expect(key == PaymentsWorld.channel.apiKey) }
            }
            #expect(try await world.count("audit_log", where: "action = 'vault.unseal'") - unsealsBefore == 1)
            #expect(cache.uses.pending == 39)
            try await cache.uses.flush(auditLog: AuditLog(clock: world.clock.wallClock), database: world.database, logger: world.logger)
            #expect(cache.uses.pending == 0)
            #expect(try await Self.accountedUses(world, purpose: "test.call") == 40)
            let verification = try await AuditLog(clock: world.clock.wallClock).verify(database: world.database, logger: world.logger)
            #expect(verification.firstBreak == nil)
        }
    }

    @Test(arguments: TestDatabases.backends)
    func oneFillServesBothThePayOSCallsAndTheWebhookChecksWithThePreviousKeyInItsGraceWindow(backend: TestBackend) async throws {
        try await PaymentsWorld.run(backend) { world in
            let cache = try #require(world.keyAccess.cache)
            _ = try await world.credentials.store(
                owner: world.owner.id, clientID: "rotated-client", apiKey: "rotated-api-key", checksumKey: "rotated-checksum-key",
                audit: PaymentsWorld.audit, logger: world.logger)
            #expect(!cache.contains(owner: world.owner.id.rawValue))
            let unsealsBefore = try await world.count("audit_log", where: "action = 'vault.unseal'")

            // The owner's first payOS call (creating a link) fills the entry...
            #expect(try await Self.apiKey(world, purpose: "payment.create") == "rotated-api-key")
            // ...so its first webhook check is a hit, with both keys of the grace window, active first.
            let keys = try await world.keyAccess.withWebhookVerificationKeys(owner: world.owner.id, audit: PaymentsWorld.audit, logger: world.logger) {
                $0.map { $0.withUnsafeBytes { String(decoding: $0, as: UTF8.self) } }
            }
            #expect(keys == ["rotated-checksum-key", PaymentsWorld.channel.checksumKey])
            #expect(try await world.count("audit_log", where: "action = 'vault.unseal'") - unsealsBefore == 1)
            #expect(cache.statistics.hits == 1 && cache.statistics.misses == 1)

            // The one unseal row says what it opened: the whole active set and both checksum keys.
            let row = try #require(try await world.database.query(
                "SELECT detail FROM audit_log WHERE action = 'vault.unseal' ORDER BY id DESC LIMIT 1", logger: world.logger).first)
            let detail = try #require(try JSONSerialization.jsonObject(with: Data(try row.decode("detail", as: String.self).utf8)) as? [String: Any])
            #expect(detail["purpose"] as? String == "payment.create")
            #expect(detail["kinds"] as? [String] == ["api_key", "checksum_key", "client_id"])
            #expect(detail["versions"] as? [String] == ["2", "1"])

            // And the reverse: after a drop, a webhook check fills the payOS half too.
            cache.invalidate(owner: world.owner.id.rawValue)
            _ = try await world.keyAccess.withWebhookVerificationKeys(owner: world.owner.id, audit: PaymentsWorld.audit, logger: world.logger) { $0.count }
            #expect(try await Self.apiKey(world) == "rotated-api-key")
            #expect(try await world.count("audit_log", where: "action = 'vault.unseal'") - unsealsBefore == 2)
        }
    }

    @Test(arguments: TestDatabases.backends)
    func aRotationOrASuspensionDropsTheEntryAtOnceAndTheTimeToLiveEndsIt(backend: TestBackend) async throws {
        try await PaymentsWorld.run(backend) { world in
            let cache = try #require(world.keyAccess.cache)
            #expect(try await Self.apiKey(world) == PaymentsWorld.channel.apiKey)
            let slot = try #require(cache.slotIndex(owner: world.owner.id.rawValue))

            _ = try await world.credentials.store(
                owner: world.owner.id, clientID: "rotated-client", apiKey: "rotated-api-key", checksumKey: "rotated-checksum-key",
                audit: PaymentsWorld.audit, logger: world.logger)
            #expect(!cache.contains(owner: world.owner.id.rawValue))
            #expect(cache.slotIsZero(slot), "the dropped entry's slot is wiped")
            #expect(try await Self.apiKey(world) == "rotated-api-key")
            let keys = try await world.keyAccess.withWebhookVerificationKeys(owner: world.owner.id, audit: PaymentsWorld.audit, logger: world.logger) {
                $0.map { $0.withUnsafeBytes { String(decoding: $0, as: UTF8.self) } }
            }
            #expect(keys == ["rotated-checksum-key", PaymentsWorld.channel.checksumKey])

            _ = try await OwnerRepository(database: world.database, clock: world.clock.wallClock).setStatus(world.owner.id, .suspended, logger: world.logger)
            #expect(!cache.contains(owner: world.owner.id.rawValue))

            let unseals = try await world.count("audit_log", where: "action = 'vault.unseal'")
            _ = try await Self.apiKey(world)
            _ = try await Self.apiKey(world)
            #expect(try await world.count("audit_log", where: "action = 'vault.unseal'") == unseals + 1)
            world.clock.advance(byMillis: 61_000)
            _ = try await Self.apiKey(world)
            #expect(try await world.count("audit_log", where: "action = 'vault.unseal'") == unseals + 2, "past its time to live the entry is unsealed again")
        }
    }

    @Test(arguments: TestDatabases.backends)
    func theGraceWindowsEndDropsThePreviousKey(backend: TestBackend) async throws {
        try await PaymentsWorld.run(backend) { world in
            _ = try await world.credentials.store(
                owner: world.owner.id, clientID: "rotated-client", apiKey: "rotated-api-key", checksumKey: "rotated-checksum-key",
                audit: PaymentsWorld.audit, logger: world.logger)
            func keys() async throws -> Int {
                try await world.keyAccess.withWebhookVerificationKeys(owner: world.owner.id, audit: PaymentsWorld.audit, logger: world.logger) { $0.count }
            }
            #expect(try await keys() == 2)
            _ = try await world.vault.expirePreviousKeys(owner: world.owner.id.rawValue, audit: PaymentsWorld.audit, logger: world.logger)
            #expect(try await keys() == 1, "the forced end of the grace window reached the cache at once")
        }
    }

    @Test(arguments: TestDatabases.backends)
    func theLeastRecentlyUsedOwnerIsEvictedAtCapacity(backend: TestBackend) async throws {
        try await PaymentsWorld.run(backend) { world in
            let cache = TenantKeyCache(configuration: .init(capacity: 2), invalidations: nil, clock: world.clock.wallClock)
            let access = TenantKeyAccess(vault: world.vault, rateLimiter: TenantRateLimiter(defaults: .init(requests: Self.unlimited, payOS: Self.unlimited, perIP: Self.unlimited)), cache: cache)
            let owners = OwnerRepository(database: world.database, clock: world.clock.wallClock)
            var ids = [world.owner.id]
            for n in 1...2 {
                let owner = try await owners.create(name: "Owner \(n)", email: "owner\(n)@example.vn", logger: world.logger)
                _ = try await world.credentials.store(
                    owner: owner.id, clientID: "client-\(n)", apiKey: "api-\(n)", checksumKey: "checksum-\(n)", audit: PaymentsWorld.audit, logger: world.logger)
                ids.append(owner.id)
            }
            func use(_ owner: OwnerID) async throws {
                try await access.withPayOSCredentials(owner: owner, purpose: "test.call", audit: PaymentsWorld.audit, logger: world.logger) { _ in }
            }
            try await use(ids[0])
            try await use(ids[1])
            try await use(ids[0])  // a hit: owner 0 is now the most recently used
            #expect(cache.statistics == .init(hits: 1, misses: 2, entries: 2))
            try await use(ids[2])
            #expect(cache.contains(owner: ids[0].rawValue) && cache.contains(owner: ids[2].rawValue))
            #expect(!cache.contains(owner: ids[1].rawValue))
            let slot = try #require(cache.slotIndex(owner: ids[0].rawValue))
            cache.invalidate(owner: ids[0].rawValue)
            #expect(cache.slotIsZero(slot))
        }
    }

    @Test(arguments: TestDatabases.backends)
    func aForgedWebhookAndAVerifiedDuplicateWriteNothing(backend: TestBackend) async throws {
        try await PaymentsWorld.run(backend) { world in
            let payment = try await world.createPayment().payment
            let transfer = try await world.sandbox.pay(String(payment.orderCode), clientId: PaymentsWorld.channel.clientId)
            let key = world.credentials.webhookKeys.key(for: world.owner)
            let body = world.webhookBody(for: payment, reference: transfer.reference)
            #expect(try await world.receiveAndSettle(body: body, webhookKey: key, audit: PaymentsWorld.audit, logger: world.logger).outcome == .accepted)

            let audit = try await world.count("audit_log"), inbox = try await world.count("webhook_inbox")
            let forged = world.webhookBody(for: payment, reference: "FT-FORGED", key: "not-the-owners-checksum-key")
            for _ in 0..<5 {
                await #expect(throws: WebhookService.Refusal.self) {
                    try await world.receiveAndSettle(body: forged, webhookKey: key, audit: PaymentsWorld.audit, logger: world.logger)
                }
            }
            #expect(try await world.receiveAndSettle(body: body, webhookKey: key, audit: PaymentsWorld.audit, logger: world.logger).outcome == .duplicate)
            #expect(try await world.count("audit_log") == audit)
            #expect(try await world.count("webhook_inbox") == inbox)
            #expect(try await world.count("webhook_rejection") == 0)
            #expect(world.webhooks.refusals.pending == 5)
            try await world.webhooks.refusals.flush(logger: world.logger)
            #expect(try await world.count("webhook_rejection", where: "owner_id = \(world.owner.id.rawValue) AND count = 5") == 1)
        }
    }
}
