// Copyright (c) the Gatehouse authors
import GatehouseCore
import Logging
import PayOS
import PayOSSandbox
import Sodium
import StorageTestSupport
import Tenancy
import Testing

/// The one way to an owner's payOS keys: admitted under the owner's payOS cap first, then unsealed (audited) for the
/// one call; webhook verification keys come active first, then the previous one within its grace window.
@Suite struct TenantKeyAccessTests {
    @Test(arguments: TestDatabases.backends)
    func aCallGetsTheOwnersCredentialsUntilTheCapRefusesBeforeUnsealing(backend: TestBackend) async throws {
        try await PaymentsWorld.run(backend, payOSCap: RateLimitPolicy(requestsPerSecond: 0.001, burst: 1)) { world in
            let clientID = try await world.keyAccess.withPayOSCredentials(
                owner: world.owner.id, purpose: "test.call", audit: PaymentsWorld.audit, logger: world.logger
            ) { $0.clientId }
            #expect(clientID == PaymentsWorld.channel.clientId)
            #expect(try await world.count("audit_log", where: "action = 'vault.unseal'") == 1)

            let refusal = await #expect(throws: RateLimitError.self) {
                try await world.keyAccess.withPayOSCredentials(
                    owner: world.owner.id, purpose: "test.call", audit: PaymentsWorld.audit, logger: world.logger
                ) { _ in Issue.record("the call ran over the owner's payOS cap") }
            }
            #expect(refusal?.code == .payOSCallsLimited)
            #expect(try await world.count("audit_log", where: "action = 'vault.unseal'") == 1)
        }
    }

    @Test(arguments: TestDatabases.backends)
    func webhookKeysAreTheActiveOneThenThePreviousOneAndAreNotRateLimited(backend: TestBackend) async throws {
        try await PaymentsWorld.run(backend, payOSCap: RateLimitPolicy(requestsPerSecond: 0.001, burst: 1)) { world in
            _ = try await world.credentials.store(
                owner: world.owner.id, clientID: "rotated-client", apiKey: "rotated-api-key", checksumKey: "rotated-checksum-key",
                audit: PaymentsWorld.audit, logger: world.logger)
            for _ in 0..<3 {
                let keys = try await world.keyAccess.withWebhookVerificationKeys(owner: world.owner.id, audit: PaymentsWorld.audit, logger: world.logger) {
                    $0.map { $0.withUnsafeBytes { String(decoding: $0, as: UTF8.self) } }
                }
                #expect(keys == ["rotated-checksum-key", PaymentsWorld.channel.checksumKey])
            }
        }
    }
}
