// Copyright (c) the Gatehouse authors
import Foundation
import GatehouseApp
import GatehouseTestSupport
import Gateway
import HTTPTypes
@testable import PayOS
import PayOSSandbox
import Storage
import StorageTestSupport
import Tenancy
import Testing
import LogTestSupport
import Vault
import GatehouseCore
import Payments

extension GatewayAPITests {
    /// payOS's webhooks: verified per owner, absorbed when repeated, confirmed with payOS before they are trusted,
    /// and the reconciliation that settles payments whose webhook never came.
    @Suite struct WebhookTests {
        /// A webhook body for `link`'s latest transaction, signed with `key`.
        static func webhook(for link: SandboxPaymentLink, amount: Int64? = nil, reference: String? = nil, key: String) throws -> String {
            let transaction = link.transactions.last
            let data = PayOSWebhookData(
                accountNumber: transaction?.accountNumber ?? "VQRQ0001", amount: amount ?? transaction?.amount ?? link.amount,
                description: transaction?.description ?? "CSX Dat phong", reference: reference ?? transaction?.reference ?? "FT-FORGED-1",
                transactionDateTime: "2026-11-26 10:00:00", counterAccountBankId: "970436", counterAccountName: "NGUYEN VAN AN",
                orderCode: link.orderCode, paymentLinkId: link.id)
            return PayOSWebhookBody.signed(data, checksumKey: key).toJSONValue.compactText
        }

        static func webhookPath(_ gw: GatewayHarness, _ tenant: TestTenant) -> String {
            "/webhook/payos/\(gw.components.credentials.webhookKeys.key(for: tenant.owner))"
        }

        static func inboxCount(_ gw: GatewayHarness) async throws -> Int {
            try await gw.components.database.query("SELECT COUNT(*) AS n FROM webhook_inbox", logger: gw.logger).first?.decode("n") ?? -1
        }

        // MARK: Tests

        @Test func aWebhookThatFailsInsideLogsItsRouteNeverItsKey() async throws {
            let logs = LogCapture()
            try await GatewayHarness.run(.sqlite, logs: logs) { gw in
                let payment = try await gw.bookAndCreatePayment(gw.ownerA)
                try await gw.sandbox.pay(String(payment.orderCode), clientId: gw.ownerA.channel.clientId)
                let body = try Self.webhook(for: try await gw.link(payment, of: gw.ownerA), key: gw.ownerA.channel.checksumKey)
                // A storage failure after the webhook was verified: a 500 the operator must be able to trace.
                try await gw.components.database.execute("DROP TABLE webhook_inbox", logger: gw.logger)
                let failed = try await gw.post(Self.webhookPath(gw, gw.ownerA), body)
                #expect(failed.status == .internalServerError)
                let failure = try #require(logs.all.first { $0.message == "request failed" })
                #expect(failure.metadata["http.route"] == "/webhook/payos/{key}")
                logs.expectNoSecrets([gw.components.credentials.webhookKeys.key(for: gw.ownerA.owner)])
            }
        }

        @Test(arguments: TestDatabases.backends)
        func aSignedPaidWebhookSettlesThePaymentOnceAndARepeatIsAbsorbed(backend: TestBackend) async throws {
            try await GatewayHarness.run(backend) { gw in
                let payment = try await gw.bookAndCreatePayment(gw.ownerA)
                try await gw.sandbox.pay(String(payment.orderCode), clientId: gw.ownerA.channel.clientId)
                let body = try Self.webhook(for: try await gw.link(payment, of: gw.ownerA), key: gw.ownerA.channel.checksumKey)

                let first = try await gw.post(Self.webhookPath(gw, gw.ownerA), body)
                await gw.settled()
                #expect(first.status == .ok)
                #expect(first.json?["success"] == true)
                let stored = try #require(try await gw.storedPayment(payment, of: gw.ownerA))
                #expect(stored.status == .success)
                #expect(stored.settledBy == .webhook)
                #expect(stored.amountPaid == 500_000)
                let booking = try #require(try await gw.components.bookings.get(owner: gw.ownerA.id, id: stored.bookingID, logger: gw.logger))
                #expect(booking.status == .confirmed)
                #expect(booking.paymentStatus == .paid)

                // payOS delivers again (and on the shared route): absorbed, nothing changes.
                let again = try await gw.post(Self.webhookPath(gw, gw.ownerA), body)
                #expect(again.status == .ok)
                #expect(again.json?["message"] == "Webhook already processed")
                let shared = try await gw.post("/webhook/payos", body)
                #expect(shared.status == .ok)
                #expect(try await Self.inboxCount(gw) == 1)
                #expect(try await gw.storedPayment(payment, of: gw.ownerA)?.paidAt == stored.paidAt)
            }
        }

        /// An `orderCode` sent as a numeric string settles (payOS's Python SDK accepts it); any other string is a 400
        /// with the stable validation code, and nothing is stored.
        @Test(arguments: TestDatabases.backends)
        func anOrderCodeAsANumericStringSettlesAndANonNumericOneIs400(backend: TestBackend) async throws {
            try await GatewayHarness.run(backend) { gw in
                let payment = try await gw.bookAndCreatePayment(gw.ownerA)
                try await gw.sandbox.pay(String(payment.orderCode), clientId: gw.ownerA.channel.clientId)
                let signed = try Self.webhook(for: try await gw.link(payment, of: gw.ownerA), key: gw.ownerA.channel.checksumKey)
                let number = "\"orderCode\":\(payment.orderCode)"
                #expect(signed.contains(number))
                let letters = signed.replacingOccurrences(of: number, with: "\"orderCode\":\"x\(payment.orderCode)\"")
                let refused = try await gw.post(Self.webhookPath(gw, gw.ownerA), letters)
                #expect(refused.status == .badRequest)
                #expect(refused.errorCode == "VALIDATION_ERROR")
                #expect(try await Self.inboxCount(gw) == 0)

                let digits = signed.replacingOccurrences(of: number, with: "\"orderCode\":\"\(payment.orderCode)\"")
                let settled = try await gw.post(Self.webhookPath(gw, gw.ownerA), digits)
                await gw.settled()
                #expect(settled.status == .ok)
                #expect(settled.json?["order_code"] == .string(String(payment.orderCode)))
                #expect(try await gw.storedPayment(payment, of: gw.ownerA)?.status == .success)
            }
        }

        @Test(arguments: TestDatabases.backends)
        func aWebhookWithABadSignatureIsRefusedAndStoresNothing(backend: TestBackend) async throws {
            try await GatewayHarness.run(backend) { gw in
                let payment = try await gw.bookAndCreatePayment(gw.ownerA)
                try await gw.sandbox.pay(String(payment.orderCode), clientId: gw.ownerA.channel.clientId)
                let link = try await gw.link(payment, of: gw.ownerA)
                // Signed with another owner's key, or tampered after signing.
                let otherKey = try Self.webhook(for: link, key: gw.ownerB.channel.checksumKey)
                let tampered = try Self.webhook(for: link, key: gw.ownerA.channel.checksumKey).replacingOccurrences(of: "500000", with: "900000")
                for body in [otherKey, tampered] {
                    let response = try await gw.post(Self.webhookPath(gw, gw.ownerA), body)
                    #expect(response.status == .badRequest)
                    #expect(response.errorCode == "INVALID_SIGNATURE")
                }
                // Owner A's correctly signed webhook sent to owner B's URL: B's keys do not verify it.
                let crossTenant = try await gw.post(
                    Self.webhookPath(gw, gw.ownerB), try Self.webhook(for: link, key: gw.ownerA.channel.checksumKey))
                #expect(crossTenant.errorCode == "INVALID_SIGNATURE")
                #expect(try await Self.inboxCount(gw) == 0)
                #expect(try await gw.storedPayment(payment, of: gw.ownerA)?.status == .pending)
                let refused = try await gw.components.database.query(
                    "SELECT owner_id FROM audit_log WHERE action = 'webhook.invalid_signature'", logger: gw.logger)
                #expect(refused.isEmpty, "a refused webhook writes no audit row")
                #expect(gw.components.webhooks.refusals.pending == 3)

                #expect(try await gw.post("/webhook/payos/unknown-key", otherKey).status == .notFound)
                #expect(try await gw.post(Self.webhookPath(gw, gw.ownerA), "{not json").errorCode == "VALIDATION_ERROR")
                let huge = try await gw.post(Self.webhookPath(gw, gw.ownerA), String(repeating: "x", count: 70_000))
                #expect(huge.status == .contentTooLarge)
            }
        }

        /// A signed webhook is not enough: payOS must show the link as paid (a replayed or forged-but-signed body cannot).
        @Test(arguments: TestDatabases.backends)
        func aSignedPaidWebhookForALinkPayOSDoesNotShowAsPaidChangesNothing(backend: TestBackend) async throws {
            try await GatewayHarness.run(backend) { gw in
                let payment = try await gw.bookAndCreatePayment(gw.ownerA)
                let link = try await gw.link(payment, of: gw.ownerA)
                let forged = try Self.webhook(for: link, amount: 500_000, reference: "FT-REPLAYED", key: gw.ownerA.channel.checksumKey)
                let response = try await gw.post(Self.webhookPath(gw, gw.ownerA), forged)
                #expect(response.status == .ok)
                #expect(try await gw.storedPayment(payment, of: gw.ownerA)?.status == .pending)
            }
        }

        @Test(arguments: TestDatabases.backends)
        func payOSConfirmationProbeIsAcknowledgedAndRecordedOnly(backend: TestBackend) async throws {
            try await GatewayHarness.run(backend) { gw in
                let probe = PayOSWebhookBody.signed(PayOSWebhookData.confirmationSample, checksumKey: gw.ownerA.channel.checksumKey)
                let response = try await gw.post(Self.webhookPath(gw, gw.ownerA), probe.toJSONValue.compactText)
                #expect(response.status == .ok)
                let rows = try await gw.components.database.query("SELECT outcome FROM webhook_inbox", logger: gw.logger)
                #expect(try rows.map { try $0.decode("outcome", as: String.self) } == ["unknown_order"])
            }
        }

        /// After a credential rotation the previous checksum key still verifies webhooks during its grace window.
        @Test(arguments: TestDatabases.backends)
        func thePreviousChecksumKeyVerifiesDuringItsGraceWindow(backend: TestBackend) async throws {
            try await GatewayHarness.run(backend) { gw in
                let payment = try await gw.bookAndCreatePayment(gw.ownerA)
                try await gw.sandbox.pay(String(payment.orderCode), clientId: gw.ownerA.channel.clientId)
                let oldKey = gw.ownerA.channel.checksumKey
                // The owner rotates its checksum key at payOS and stores the new set.
                let channel = gw.ownerA.channel
                try await gw.sandbox.addChannel(
                    SandboxChannel(
                        clientId: channel.clientId, apiKey: channel.apiKey, checksumKey: oldKey + "-rotated", accountName: "NHA TRO HOA SEN"),
                    replace: true)
                _ = try await gw.components.vault.storeCredentials(
                    owner: gw.ownerA.id.rawValue, clientID: gw.ownerA.channel.clientId, apiKey: gw.ownerA.channel.apiKey,
                    checksumKey: oldKey + "-rotated", audit: AuditContext(actor: "test"), logger: gw.logger)
                let signedWithOld = try Self.webhook(for: try await gw.link(payment, of: gw.ownerA), key: oldKey)
                let response = try await gw.post(Self.webhookPath(gw, gw.ownerA), signedWithOld)
                #expect(response.status == .ok)
                // The grace window ends: the old key no longer verifies.
                _ = try await gw.components.vault.expirePreviousKeys(owner: gw.ownerA.id.rawValue, audit: AuditContext(actor: "test"), logger: gw.logger)
                let late = try Self.webhook(for: try await gw.link(payment, of: gw.ownerA), reference: "FT-LATE", key: oldKey)
                #expect(try await gw.post(Self.webhookPath(gw, gw.ownerA), late).errorCode == "INVALID_SIGNATURE")
            }
        }

        /// The webhook never comes: reconciliation asks payOS and settles the payment.
        @Test(arguments: TestDatabases.backends)
        func reconciliationSettlesAPaidPaymentWhoseWebhookNeverCame(backend: TestBackend) async throws {
            try await GatewayHarness.run(backend) { gw in
                let paid = try await gw.bookAndCreatePayment(gw.ownerA)
                let unpaid = try await gw.bookAndCreatePayment(gw.ownerA)
                try await gw.sandbox.pay(String(paid.orderCode), clientId: gw.ownerA.channel.clientId)
                // A clock a minute ahead makes both payments due for their first check.
                let later = WallClock { WallClock.system.now() + 60_000 }
                let reconciliation = ReconciliationService(payments: gw.components.payments, repository: gw.components.paymentRepository, clock: later, logger: gw.logger)
                #expect(try await reconciliation.reconcileDue() == 2)
                let settled = try #require(try await gw.storedPayment(paid, of: gw.ownerA))
                #expect(settled.status == .success)
                #expect(settled.settledBy == .reconciliation)
                #expect(try await gw.storedPayment(unpaid, of: gw.ownerA)?.status == .pending)
                // The unpaid one is scheduled again, not checked in a loop.
                #expect(try await reconciliation.reconcileDue() == 0)
            }
        }
    }
}

extension PayOSWebhookBody {
    /// The body as a JSON value, for sending.
    fileprivate var toJSONValue: JSONValue { .object(toJSON()) }
}
