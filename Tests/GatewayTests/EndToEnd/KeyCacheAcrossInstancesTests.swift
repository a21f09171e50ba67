// Copyright (c) the Gatehouse authors
import GatehouseApp
import GatehouseCore
import GatehouseTestSupport
import HTTPTypes
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
    /// drops B's cached entry within 2 s, and B's next use has the new keys: observed at payOS, where the sandbox records
    /// which API key each call carried (its fingerprint).
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

        /// Creates a booking and its payment link through `instance` (201, so payOS accepted the call's API key) and
        /// returns payOS's record of the link creation.
        static func createLink(_ fleet: ScaleOutTests.Fleet, through instance: ScaleOutTests.Instance, day: Int) async throws -> SandboxAPICall {
            let owner = fleet.owner
            let before = await fleet.sandbox.apiCalls(clientId: owner.channel.clientId).count
            let start = "2031-02-\(10 + day)T07:00:00Z", end = "2031-02-\(10 + day)T09:00:00Z"
            let booking = try await instance.request(
                .post, "/api/bookings", headers: owner.bearer, body: GatewayHarness.bookingBody(start: .string(start), end: .string(end)))
            try #require(booking.status == .created, "\(booking.body)")
            let bookingID = try #require(booking.json?["id"]?.int64Value)
            let created = try await instance.request(.post, "/payment/process_payment", headers: owner.bearer, body: #"{"booking_id": \#(bookingID)}"#)
            try #require(created.status == .created, "instance \(instance.name) could not create a link: \(created.body)")
            let calls = await fleet.sandbox.apiCalls(clientId: owner.channel.clientId).dropFirst(before)
            return try #require(calls.last { $0.method == "POST" && $0.fault == nil }, "no link creation reached payOS")
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

                // B fills its cache; its call reaches payOS with the owner's API key.
                #expect(try await Self.createLink(fleet, through: fleet.b, day: 1).apiKeyFingerprint == SandboxAPICall.fingerprint(apiKey: channel.apiKey))
                #expect(try await Self.verificationKeys(b, owner) == 1)
                #expect(cache.contains(owner: owner.rawValue))

                // Rotated at payOS (the old API key is refused there from now on) and stored on A: B's next call to
                // payOS carries the new key; during the grace window both checksum keys verify.
                let rotated = SandboxChannel(
                    clientId: channel.clientId, apiKey: "rotated-api-key-5d1e9b2a", checksumKey: "rotated-checksum-key-8c3f0e71")
                try await fleet.sandbox.addChannel(rotated, replace: true)
                _ = try await fleet.a.components.vault.storeCredentials(
                    owner: owner.rawValue, clientID: channel.clientId, apiKey: rotated.apiKey, checksumKey: rotated.checksumKey,
                    audit: Self.audit, logger: fleet.logger)
                try await Self.waitForDrop(fleet, "B dropped the rotated keys")
                let afterRotation = await fleet.sandbox.apiCalls(clientId: channel.clientId).count
                #expect(try await Self.createLink(fleet, through: fleet.b, day: 2).apiKeyFingerprint == SandboxAPICall.fingerprint(apiKey: rotated.apiKey))
                let sinceRotation = await fleet.sandbox.apiCalls(clientId: channel.clientId).dropFirst(afterRotation).map(\.apiKeyFingerprint)
                #expect(Set(sinceRotation) == [SandboxAPICall.fingerprint(apiKey: rotated.apiKey)])
                #expect(try await Self.verificationKeys(b, owner) == 2)

                // The grace window ended on A: the previous key stops verifying on B.
                _ = try await fleet.a.components.vault.expirePreviousKeys(owner: owner.rawValue, audit: Self.audit, logger: fleet.logger)
                try await Self.waitForDrop(fleet, "B dropped the expired previous key")
                #expect(try await Self.verificationKeys(b, owner) == 1)

                // Suspended on A.
                #expect(try await Self.apiKey(b, owner) == rotated.apiKey)
                _ = try await fleet.a.components.owners.setStatus(owner, .suspended, logger: fleet.logger)
                try await Self.waitForDrop(fleet, "B dropped the suspended owner's keys")
                _ = try await fleet.a.components.owners.setStatus(owner, .active, logger: fleet.logger)

                // The master key rotated on A (a run with nothing to rewrap still finishes and invalidates every entry).
                #expect(try await Self.apiKey(b, owner) == rotated.apiKey)
                try await ScaleOutTests.waitUntil("B refilled", timeout: Self.bound) { cache.contains(owner: owner.rawValue) }
                _ = try await fleet.a.components.vault.rotateMasterKey(audit: Self.audit, logger: fleet.logger)
                try await Self.waitForDrop(fleet, "B dropped every key after the master key rotation")
                // B unseals the keys again (rewrapped under the new master key) and payOS sees the current API key.
                #expect(try await Self.createLink(fleet, through: fleet.b, day: 3).apiKeyFingerprint == SandboxAPICall.fingerprint(apiKey: rotated.apiKey))
                #expect(cache.contains(owner: owner.rawValue))
            }
        }
    }
}

extension GatehouseComponents {
    /// A logger for direct calls in tests.
    fileprivate var vaultLogger: Logger { Logger(label: "test.key-cache") }
}
