// Copyright (c) the Gatehouse authors
import GatehouseCore
import Logging
import Payments
import PayOSSandbox
import Tenancy
import Storage
import StorageTestSupport
import Testing

/// Webhooks at the service level, on both backends: a paid webhook settles once and sends the e-mails, a duplicate is
/// absorbed, a bad signature is refused with nothing stored, an unknown order is recorded only, and payOS has the last
/// word on whether a link is paid.
@Suite struct WebhookServiceTests {
    @Test(arguments: TestDatabases.backends)
    func aPaidWebhookSettlesOnceWithItsNotificationsAndItsDuplicateIsAbsorbed(backend: TestBackend) async throws {
        try await PaymentsWorld.run(backend) { world in
            let payment = try await world.createPayment().payment
            let transfer = try await world.sandbox.pay(String(payment.orderCode), clientId: PaymentsWorld.channel.clientId)
            let body = world.webhookBody(for: payment, reference: transfer.reference)

            let first = try await world.receiveAndSettle(body: body, webhookKey: world.credentials.webhookKeys.key(for: world.owner), audit: PaymentsWorld.audit, logger: world.logger)
            #expect(first.outcome == .accepted)
            #expect(first.ownerID == world.owner.id)
            let settled = try await world.stored(payment)
            #expect(settled.status == .success)
            #expect(settled.settledBy == .webhook)
            #expect(try await world.count("outbox") == 2)

            let again = try await world.receiveAndSettle(body: body, webhookKey: world.credentials.webhookKeys.key(for: world.owner), audit: PaymentsWorld.audit, logger: world.logger)
            #expect(again.outcome == .duplicate)
            #expect(try await world.count("webhook_inbox") == 1)
            #expect(try await world.count("webhook_inbox", where: "outcome = 'status:success' AND processed_at IS NOT NULL") == 1)
            #expect(try await world.count("outbox") == 2)
            #expect(try await world.count("notification") == 2)
        }
    }

    @Test(arguments: TestDatabases.backends)
    func aWebhookWithABadSignatureIsRefusedAndNothingIsStored(backend: TestBackend) async throws {
        try await PaymentsWorld.run(backend) { world in
            let payment = try await world.createPayment().payment
            let forged = world.webhookBody(for: payment, reference: "FT-FORGED", key: "not-the-owners-checksum-key")

            let refusal = await #expect(throws: WebhookService.Refusal.self) {
                try await world.receiveAndSettle(body: forged, webhookKey: world.credentials.webhookKeys.key(for: world.owner), audit: PaymentsWorld.audit, logger: world.logger)
            }
            #expect(refusal?.reason == .invalidSignature)
            #expect(try await world.stored(payment).status == .pending)
            #expect(try await world.count("webhook_inbox") == 0)
            #expect(try await world.count("outbox") == 0)
            // Counted in memory, written at the next flush; no audit row.
            #expect(try await world.count("webhook_rejection") == 0)
            #expect(try await world.count("audit_log", where: "action = 'webhook.invalid_signature'") == 0)
            try await world.webhooks.refusals.flush(logger: world.logger)
            #expect(try await world.count("webhook_rejection") == 1)
        }
    }

    @Test(arguments: TestDatabases.backends)
    func aWebhookFromAnUnknownURLKeyIsRefused(backend: TestBackend) async throws {
        try await PaymentsWorld.run(backend) { world in
            let payment = try await world.createPayment().payment
            let refusal = await #expect(throws: WebhookService.Refusal.self) {
                try await world.receiveAndSettle(
                    body: world.webhookBody(for: payment, reference: "FT-1"), webhookKey: "no-such-key", audit: PaymentsWorld.audit,
                    logger: world.logger)
            }
            #expect(refusal?.reason == .unknownOwner)
            #expect(try await world.count("webhook_inbox") == 0)
        }
    }

    /// The database holds only the key's public id: neither the id alone (what a copy of the database gives), nor the
    /// id with another tag, nor the key itself in any stored row, while the derived key opens the owner's URL.
    @Test(arguments: TestDatabases.backends)
    func theWebhookKeyIsNotStoredAndItsStoredIdAloneOpensNothing(backend: TestBackend) async throws {
        try await PaymentsWorld.run(backend) { world in
            let payment = try await world.createPayment().payment
            let key = world.credentials.webhookKeys.key(for: world.owner)
            let stored = try #require(try await world.database.query("SELECT webhook_key FROM owner", logger: world.logger).first)
                .decode("webhook_key", as: String.self)
            #expect(stored == world.owner.webhookKeyID && key.hasPrefix(stored + ".") && key != stored)
            let tag = String(key.dropFirst(stored.count + 1))
            let flipped = String(tag.dropLast()) + (tag.last == "a" ? "b" : "a")
            for presented in [stored, "\(stored).\(flipped)", "\(stored).", ".\(tag)", "\(stored).\(tag).x"] {
                let refusal = await #expect(throws: WebhookService.Refusal.self, "\(presented)") {
                    try await world.receiveAndSettle(
                        body: world.webhookBody(for: payment, reference: "FT-1"), webhookKey: presented, audit: PaymentsWorld.audit,
                        logger: world.logger)
                }
                #expect(refusal?.reason == .unknownOwner)
            }
            #expect(try await world.count("webhook_inbox") == 0)
            let transfer = try await world.sandbox.pay(String(payment.orderCode), clientId: PaymentsWorld.channel.clientId)
            let accepted = try await world.receiveAndSettle(
                body: world.webhookBody(for: payment, reference: transfer.reference), webhookKey: key, audit: PaymentsWorld.audit, logger: world.logger)
            #expect(accepted.ownerID == world.owner.id)
        }
    }

    /// Owners created before keys had ids keep the key payOS has registered: a stored 32-character key is matched as is.
    @Test(arguments: TestDatabases.backends)
    func aLegacyStoredKeyStillOpensItsOwnersURL(backend: TestBackend) async throws {
        try await PaymentsWorld.run(backend) { world in
            let legacy = RandomToken.secret(bits: 160)
            try await world.database.execute("UPDATE owner SET webhook_key = \(legacy) WHERE id = \(world.owner.id)", logger: world.logger)
            let owner = try #require(try await OwnerRepository(database: world.database).get(world.owner.id, logger: world.logger))
            #expect(world.credentials.webhookKeys.key(for: owner) == legacy)
            let found = try await world.credentials.webhookKeys.owner(
                presentedKey: legacy, in: OwnerRepository(database: world.database), logger: world.logger)
            #expect(found?.id == world.owner.id)
        }
    }

    @Test(arguments: TestDatabases.backends)
    func aSignedWebhookForAnUnknownOrderIsRecordedOnly(backend: TestBackend) async throws {
        try await PaymentsWorld.run(backend) { world in
            let payment = try await world.createPayment().payment
            let body = world.webhookBody(orderCode: 999_999_999_999, paymentLinkID: "unknown-link", reference: "FT-PROBE", amount: 10_000)
            let result = try await world.receiveAndSettle(body: body, webhookKey: world.credentials.webhookKeys.key(for: world.owner), audit: PaymentsWorld.audit, logger: world.logger)
            #expect(result.outcome == .unknownOrder)
            #expect(try await world.count("webhook_inbox", where: "outcome = 'unknown_order' AND processed_at IS NOT NULL") == 1)
            #expect(try await world.stored(payment).status == .pending)
        }
    }

    @Test(arguments: TestDatabases.backends)
    func aSignedPaidWebhookForALinkPayOSDoesNotShowAsPaidChangesNothing(backend: TestBackend) async throws {
        try await PaymentsWorld.run(backend) { world in
            let payment = try await world.createPayment().payment
            let body = world.webhookBody(for: payment, reference: "FT-REPLAYED")
            let result = try await world.receiveAndSettle(body: body, webhookKey: world.credentials.webhookKeys.key(for: world.owner), audit: PaymentsWorld.audit, logger: world.logger)
            #expect(result.outcome == .accepted)
            #expect(try await world.stored(payment).status == .pending)
            #expect(try await world.count("webhook_inbox", where: "outcome = 'no_change'") == 1)
            #expect(try await world.count("outbox") == 0)
        }
    }

    @Test(arguments: TestDatabases.backends)
    func withoutConfirmationThePaidTotalIsTheSumOfTheOrdersDistinctTransfers(backend: TestBackend) async throws {
        try await PaymentsWorld.run(backend, confirmWithPayOS: false) { world in
            let payment = try await world.createPayment().payment
            let key = world.credentials.webhookKeys.key(for: world.owner)
            _ = try await world.receiveAndSettle(
                body: world.webhookBody(for: payment, reference: "FT-A", amount: 200_000), webhookKey: key, audit: PaymentsWorld.audit,
                logger: world.logger)
            #expect(try await world.stored(payment).status == .pending)
            #expect(try await world.stored(payment).amountPaid == 200_000)
            _ = try await world.receiveAndSettle(
                body: world.webhookBody(for: payment, reference: "FT-B", amount: 300_000), webhookKey: key, audit: PaymentsWorld.audit,
                logger: world.logger)
            let settled = try await world.stored(payment)
            #expect(settled.status == .success)
            #expect(settled.amountPaid == 500_000)
            #expect(try await world.count("outbox") == 2)
        }
    }
}
