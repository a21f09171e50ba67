// Copyright (c) the Gatehouse authors
import GatehouseCore
import Logging
import PayOS
import Payments
import PayOSSandbox
import Tenancy
import Storage
import StorageTestSupport
import Testing

/// Webhooks read as payOS's SDKs read them, on both backends: fields payOS adds (to webhooks and to API answers) are
/// signed, stored and otherwise ignored; an `orderCode` sent as a numeric string settles; and without confirmation a
/// signed webhook whose `code` is not `00` pays nothing.
@Suite struct WebhookToleranceTests {
    /// Fields payOS does not document today, as the sandbox adds them.
    static let extraFields: JSONObject = ["feeAmount": 1100, "refunds": [], "payerNote": .null, "currency2": "VND"]

    static func receive(_ world: PaymentsWorld, _ body: [UInt8]) async throws -> WebhookService.Outcome {
        try await world.receiveAndSettle(
            body: body, webhookKey: world.credentials.webhookKeys.key(for: world.owner), audit: PaymentsWorld.audit, logger: world.logger
        ).outcome
    }

    /// `body` with `data` changed by `change`, re-signed over every key of the new `data` when `resign` is set.
    static func editing(_ body: [UInt8], resign: Bool, _ change: (inout JSONObject) -> Void) throws -> [UInt8] {
        var object = try #require(try JSONValue(parsing: body).objectValue)
        var data = try #require(object["data"]?.objectValue)
        change(&data)
        object["data"] = .object(data)
        if resign { object["signature"] = .string(PayOSSignature.body(data, checksumKey: PaymentsWorld.channel.checksumKey)) }
        return JSONValue.object(object).compactBytes
    }

    @Test(arguments: TestDatabases.backends)
    func withExtraFieldsFromTheSandboxPaymentsAreCreatedAndSettledByWebhook(backend: TestBackend) async throws {
        try await PaymentsWorld.run(backend) { world in
            var channel = PaymentsWorld.channel
            channel.extraFields = Self.extraFields
            try await world.sandbox.addChannel(channel, replace: true)
            // The create answer carries the extra fields, signed with the rest.
            let payment = try await world.createPayment().payment
            try await world.sandbox.pay(String(payment.orderCode), clientId: channel.clientId)
            let delivery = try #require(await world.sandbox.deliveries(clientId: channel.clientId).last)
            let sent = try #require(try JSONValue(parsing: delivery.body).objectValue)
            #expect(sent["data"]?["feeAmount"] == 1100 && sent["feeAmount"] == 1100)

            // Verified over all keys, confirmed with payOS (whose GET answer carries them too), settled.
            #expect(try await Self.receive(world, Array(delivery.body.utf8)) == .accepted)
            let settled = try await world.stored(payment)
            #expect(settled.status == .success)
            #expect(settled.settledBy == .webhook)
            // The stored body is the body as received, unknown keys included.
            let rows = try await world.database.query("SELECT body FROM webhook_inbox", logger: world.logger)
            let stored = try rows.map { try $0.decode("body", as: String.self) }
            #expect(stored == [delivery.body])
            #expect(stored.first?.contains("\"payerNote\":null") == true)
        }
    }

    @Test(arguments: TestDatabases.backends)
    func anOrderCodeSentAsANumericStringSettlesAndAnyOtherStringIsRefused(backend: TestBackend) async throws {
        try await PaymentsWorld.run(backend) { world in
            let payment = try await world.createPayment().payment
            let transfer = try await world.sandbox.pay(String(payment.orderCode), clientId: PaymentsWorld.channel.clientId)
            let signed = world.webhookBody(for: payment, reference: transfer.reference)

            let letters = try Self.editing(signed, resign: true) { $0["orderCode"] = .string("A\(payment.orderCode)") }
            let refusal = await #expect(throws: WebhookService.Refusal.self) { try await Self.receive(world, letters) }
            #expect(refusal?.reason == .malformed)
            #expect(try await world.count("webhook_inbox") == 0)

            // `"123"` signs as the same text as `123`, so the original signature still verifies.
            let numericString = try Self.editing(signed, resign: false) { $0["orderCode"] = .string(String(payment.orderCode)) }
            #expect(try await Self.receive(world, numericString) == .accepted)
            #expect(try await world.stored(payment).status == .success)
        }
    }

    /// Finding 8: with `GATEHOUSE_WEBHOOK_CONFIRM=false` only signed transfers whose `data.code` is `00` count.
    @Test(arguments: TestDatabases.backends)
    func withoutConfirmationASignedWebhookWhoseCodeIsNot00PaysNothing(backend: TestBackend) async throws {
        try await PaymentsWorld.run(backend, confirmWithPayOS: false) { world in
            let payment = try await world.createPayment().payment
            let failed = try Self.editing(world.webhookBody(for: payment, reference: "FT-FAILED", amount: 200_000), resign: true) {
                $0["code"] = "01"
                $0["desc"] = "failed"
            }
            #expect(try await Self.receive(world, failed) == .accepted)
            #expect(try await world.stored(payment).amountPaid == 0)

            #expect(try await Self.receive(world, world.webhookBody(for: payment, reference: "FT-B", amount: 300_000)) == .accepted)
            let partly = try await world.stored(payment)
            #expect(partly.status == .pending)
            #expect(partly.amountPaid == 300_000)

            #expect(try await Self.receive(world, world.webhookBody(for: payment, reference: "FT-C", amount: 200_000)) == .accepted)
            let settled = try await world.stored(payment)
            #expect(settled.status == .success)
            #expect(settled.amountPaid == 500_000)
        }
    }
}
