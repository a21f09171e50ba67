// Copyright (c) the Gatehouse authors
import GatehouseApp
import GatehouseTestSupport
import HTTPTypes
@testable import PayOS
import PayOSSandbox
import Storage
import StorageTestSupport
import Testing
import Vault
import GatehouseCore
import Payments

extension GatewayAPITests {
    /// A database writer cannot keep a replaced checksum key verifying webhooks: the vault refuses a credential row whose
    /// state it did not write, and the webhook is answered with a 5xx (payOS retries it once an operator stores the
    /// credentials again) instead of being settled.
    @Suite struct TamperedVaultStateTests {
        @Test(arguments: TestDatabases.backends)
        func aWebhookSignedWithARetiredKeyRevivedInTheDatabaseIsRefused(backend: TestBackend) async throws {
            try await GatewayHarness.run(backend) { gw in
                let owner = gw.ownerA.id.rawValue
                let database = gw.components.database
                let payment = try await gw.bookAndCreatePayment(gw.ownerA)
                try await gw.sandbox.pay(String(payment.orderCode), clientId: gw.ownerA.channel.clientId)
                let oldKey = gw.ownerA.channel.checksumKey
                _ = try await gw.components.vault.storeCredentials(
                    owner: owner, clientID: gw.ownerA.channel.clientId, apiKey: gw.ownerA.channel.apiKey,
                    checksumKey: oldKey + "-rotated", audit: AuditContext(actor: "test"), logger: gw.logger)
                let blob: [UInt8] = try #require(
                    try await database.query(
                        "SELECT sealed FROM vault_credential WHERE owner_id = \(owner) AND kind = 'checksum_key' AND version = 1",
                        logger: gw.logger
                    ).first?.decode("sealed"))
                // The old key is retired (after a leak, say)…
                _ = try await gw.components.vault.expirePreviousKeys(owner: owner, audit: AuditContext(actor: "test"), logger: gw.logger)
                // …and someone with write access to the database puts it back with a grace window of ten years.
                let revived = try await database.execute(
                    """
                    UPDATE vault_credential SET state = 'previous', sealed = \(blob), usable_until = \(Int64(4_102_444_800_000))
                    WHERE owner_id = \(owner) AND kind = 'checksum_key' AND version = 1
                    """, logger: gw.logger)
                #expect(revived.affectedRows == 1)

                let signedWithOld = try WebhookTests.webhook(for: try await gw.link(payment, of: gw.ownerA), key: oldKey)
                let response = try await gw.post(WebhookTests.webhookPath(gw, gw.ownerA), signedWithOld)
                #expect(response.status == .internalServerError)
                #expect(response.errorCode == "CREDENTIALS_INTEGRITY")
                #expect(try await WebhookTests.inboxCount(gw) == 0)
                #expect(try await gw.storedPayment(payment, of: gw.ownerA)?.status == .pending)
                let failed = try await database.query(
                    "SELECT detail FROM audit_log WHERE action = \(Vault.AuditAction.unsealFailed) AND owner_id = \(owner)", logger: gw.logger)
                #expect(try failed.map { try $0.decode("detail", as: String.self) }.contains { $0.contains("stateTampered") })
            }
        }
    }
}
