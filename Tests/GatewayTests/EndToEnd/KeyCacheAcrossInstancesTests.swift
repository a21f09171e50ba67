// Copyright (c) the Gatehouse authors
import GatehouseApp
import GatehouseCore
import GatehouseTestSupport
import Logging
import PayOS
import PayOSSandbox
import StorageTestSupport
import Sodium
import Tenancy
import Testing
import Vault

extension GatewayAPITests {
    /// Two instances on one MariaDB, each with its own key cache and invalidation poller: a change committed on A —
    /// credentials rotated, the previous checksum key's grace ended, the owner suspended, the master key rotated —
    /// drops B's cached entry within 2 s, and B's next use has the new keys.
    @Suite struct KeyCacheAcrossInstancesTests {
        static let bound: Duration = .seconds(2)
        static let audit = AuditContext(actor: "test:key-cache")

        static func apiKey(_ components: GatehouseComponents, _ owner: OwnerID) async throws -> String {
            try await components.keyAccess.withPayOSCredentials(owner: owner, purpose: "test.call", audit: audit, logger: components.vaultLogger) {
                $0.apiKey.withUnsafeBytes { String(decoding: $0, as: UTF8.self) }
            }
        }

        static func verificationKeys(_ components: GatehouseComponents, _ owner: OwnerID) async throws -> Int {
            try await components.keyAccess.withWebhookVerificationKeys(owner: owner, audit: audit, logger: components.vaultLogger) { $0.count }
        }

        /// Waits until B's cache no longer holds `owner`, failing after ``bound``.
        static func waitForDrop(_ fleet: ScaleOutTests.Fleet, _ what: String) async throws {
            let cache = try #require(fleet.b.components.keyAccess.cache)
            try await ScaleOutTests.waitUntil(what, timeout: bound) { !cache.contains(owner: fleet.owner.owner.id.rawValue) }
        }

        @Test(.mariaDBAvailable)
        func aChangeOnOneInstanceDropsTheOtherInstancesCachedKeysWithinTwoSeconds() async throws {
            try await ScaleOutTests.withTwoInstances { fleet in
                let owner = fleet.owner.owner.id
                let channel = fleet.owner.channel
                let b = fleet.b.components
                let cache = try #require(b.keyAccess.cache)

                // B fills its cache.
                #expect(try await Self.apiKey(b, owner) == channel.apiKey)
                #expect(try await Self.verificationKeys(b, owner) == 1)
                #expect(cache.contains(owner: owner.rawValue))

                // Rotated on A: B stops using the old API key; during the grace window both checksum keys verify.
                _ = try await fleet.a.components.vault.storeCredentials(
                    owner: owner.rawValue, clientID: channel.clientId, apiKey: "rotated-api-key", checksumKey: "rotated-checksum-key",
                    audit: Self.audit, logger: fleet.logger)
                try await Self.waitForDrop(fleet, "B dropped the rotated keys")
                #expect(try await Self.apiKey(b, owner) == "rotated-api-key")
                #expect(try await Self.verificationKeys(b, owner) == 2)

                // The grace window ended on A: the previous key stops verifying on B.
                _ = try await fleet.a.components.vault.expirePreviousKeys(owner: owner.rawValue, audit: Self.audit, logger: fleet.logger)
                try await Self.waitForDrop(fleet, "B dropped the expired previous key")
                #expect(try await Self.verificationKeys(b, owner) == 1)

                // Suspended on A.
                #expect(try await Self.apiKey(b, owner) == "rotated-api-key")
                _ = try await fleet.a.components.owners.setStatus(owner, .suspended, logger: fleet.logger)
                try await Self.waitForDrop(fleet, "B dropped the suspended owner's keys")
                _ = try await fleet.a.components.owners.setStatus(owner, .active, logger: fleet.logger)

                // The master key rotated on A (a run with nothing to rewrap still finishes and invalidates every entry).
                #expect(try await Self.apiKey(b, owner) == "rotated-api-key")
                try await ScaleOutTests.waitUntil("B refilled", timeout: Self.bound) { cache.contains(owner: owner.rawValue) }
                _ = try await fleet.a.components.vault.rotateMasterKey(audit: Self.audit, logger: fleet.logger)
                try await Self.waitForDrop(fleet, "B dropped every key after the master key rotation")
            }
        }
    }
}

extension GatehouseComponents {
    /// A logger for direct calls in tests.
    fileprivate var vaultLogger: Logger { Logger(label: "test.key-cache") }
}
