// Copyright (c) the Gatehouse authors
import GatehouseCore
import Logging
@testable import Payments
import PayOSSandbox
import ServiceLifecycle
import Storage
import StorageTestSupport
import Tenancy
import Testing

/// Inbox-first settlement, on both backends: a verified webhook is durable and leased before it is acknowledged and
/// settled after; a failed settlement is held with a backoff and settled once payOS answers; a row whose holder died
/// is claimed by exactly one other worker after its lease; and a worker settles a received webhook at once (woken in
/// process, not by its poll).
@Suite struct WebhookInboxTests {
    static func key(_ world: PaymentsWorld) -> String { world.credentials.webhookKeys.key(for: world.owner) }

    static func receive(_ world: PaymentsWorld, _ body: [UInt8]) async throws -> WebhookService.Outcome {
        try await world.webhooks.receive(body: body, webhookKey: key(world), audit: PaymentsWorld.audit, logger: world.logger).outcome
    }

    /// A paid payment's webhook body (the sandbox took the transfer).
    static func paidWebhook(_ world: PaymentsWorld) async throws -> (Payment, [UInt8]) {
        let payment = try await world.createPayment().payment
        let transfer = try await world.sandbox.pay(String(payment.orderCode), clientId: PaymentsWorld.channel.clientId)
        return (payment, world.webhookBody(for: payment, reference: transfer.reference))
    }

    @Test(arguments: TestDatabases.backends)
    func aVerifiedWebhookIsDurableAndLeasedWhenAcknowledgedAndSettledAfter(backend: TestBackend) async throws {
        try await PaymentsWorld.run(backend) { world in
            let (payment, body) = try await Self.paidWebhook(world)

            #expect(try await Self.receive(world, body) == .accepted)
            // Acknowledged: stored, leased to this instance, queued here, not settled yet.
            #expect(try await world.stored(payment).status == .pending)
            #expect(try await world.count("webhook_inbox", where: "processed_at IS NULL AND attempts = 1") == 1)
            #expect(world.webhooks.queue.waiting == 1)
            // Leased: no worker may claim it before the lease ends.
            #expect(try await world.webhooks.claimDue(limit: 10, logger: world.logger) == 0)
            #expect(try await world.count("outbox") == 0)

            #expect(await world.webhooks.settleQueued(logger: world.logger) == 1)
            #expect(try await world.stored(payment).status == .success)
            #expect(try await world.count("webhook_inbox", where: "processed_at IS NOT NULL AND outcome = 'status:success'") == 1)
            #expect(try await world.count("outbox") == 2)
            // A duplicate after settlement adds nothing and queues nothing.
            #expect(try await Self.receive(world, body) == .duplicate)
            #expect(world.webhooks.queue.waiting == 0)
            #expect(try await world.count("webhook_inbox") == 1)
        }
    }

    @Test(arguments: TestDatabases.backends)
    func aRepeatDeliveryOfAStoredWebhookIsAnsweredFromMemoryWithoutTheDatabase(backend: TestBackend) async throws {
        try await PaymentsWorld.run(backend) { world in
            let (_, body) = try await Self.paidWebhook(world)
            #expect(try await Self.receive(world, body) == .accepted)
            await world.webhooks.settleQueued(logger: world.logger)
            // With the inbox gone, only memory can answer the repeat: it does, as a duplicate.
            try await world.database.execute("DROP TABLE webhook_inbox", logger: world.logger)
            #expect(try await Self.receive(world, body) == .duplicate)
        }
    }

    @Test(arguments: TestDatabases.backends)
    func aByteIdenticalRepeatIsAnsweredFromItsDigestUntilTheOwnersKeysChange(backend: TestBackend) async throws {
        try await PaymentsWorld.run(backend) { world in
            let cache = try #require(world.keyAccess.cache)
            /// Key lookups so far: each is one use of the owner's keys (verification).
            func lookups() -> Int { cache.statistics.hits + cache.statistics.misses }
            let (payment, body) = try await Self.paidWebhook(world)
            let first = try await world.webhooks.receive(body: body, webhookKey: Self.key(world), audit: PaymentsWorld.audit, logger: world.logger)
            #expect(first == .init(outcome: .accepted, ownerID: world.owner.id, orderCode: payment.orderCode, isPaid: true))

            // The same bytes on the same URL: answered without the owner's keys, with the same order and status.
            var used = lookups()
            let repeated = try await world.webhooks.receive(body: body, webhookKey: Self.key(world), audit: PaymentsWorld.audit, logger: world.logger)
            #expect(repeated == .init(outcome: .duplicate, ownerID: world.owner.id, orderCode: payment.orderCode, isPaid: true))
            #expect(lookups() == used)
            // Other bytes (the same webhook with a trailing space) or another URL (the shared one): verified again.
            #expect(try await Self.receive(world, body + Array(" ".utf8)) == .duplicate)
            #expect(lookups() == used + 1)
            used = lookups()
            let shared = try await world.webhooks.receive(body: body, webhookKey: nil, audit: PaymentsWorld.audit, logger: world.logger)
            #expect(shared.outcome == .duplicate)
            #expect(lookups() == used + 1)

            // The owner rotates its checksum key: the old one verifies during its grace window, and the repeat goes
            // through verification again (the key cache's generation changed), every time, since a previous key did it.
            _ = try await world.credentials.store(
                owner: world.owner.id, clientID: "rotated-client", apiKey: "rotated-api-key", checksumKey: "rotated-checksum-key",
                audit: PaymentsWorld.audit, logger: world.logger)
            for _ in 0..<2 {
                used = lookups()
                #expect(try await Self.receive(world, body) == .duplicate)
                #expect(lookups() == used + 1)
            }
            // Past the grace window the old key verifies nothing, and the repeat is refused like any other body.
            world.clock.advance(byMillis: 24 * 3_600_000 + 1_000)
            await #expect(throws: WebhookService.Refusal(reason: .invalidSignature)) { try await Self.receive(world, body) }
        }
    }

    @Test(arguments: TestDatabases.backends)
    func webhooksArrivingTogetherAreStoredTogetherAndEachCopyOfOneIsADuplicate(backend: TestBackend) async throws {
        try await PaymentsWorld.run(backend) { world in
            // Five transfers of 100,000 VND to one 500,000 VND link: five webhooks (one reference each).
            let payment = try await world.createPayment().payment
            var bodies: [[UInt8]] = []
            for _ in 0..<5 {
                let transfer = try await world.sandbox.pay(String(payment.orderCode), amount: 100_000, clientId: PaymentsWorld.channel.clientId)
                bodies.append(world.webhookBody(for: payment, reference: transfer.reference, amount: 100_000))
            }
            // Every webhook twice, all at once: they share statements, and each pair has one stored and one duplicate.
            let outcomes = try await withThrowingTaskGroup(of: WebhookService.Outcome.self) { group in
                for body in bodies + bodies { group.addTask { try await Self.receive(world, body) } }
                return try await group.reduce(into: [WebhookService.Outcome]()) { $0.append($1) }
            }
            #expect(outcomes.filter { $0 == .accepted }.count == 5)
            #expect(outcomes.filter { $0 == .duplicate }.count == 5)
            #expect(try await world.count("webhook_inbox", where: "processed_at IS NULL AND attempts = 1") == 5)
            #expect(world.webhooks.queue.waiting == 5)
            #expect(await world.webhooks.settleQueued(logger: world.logger) == 5)
            #expect(try await world.stored(payment).status == .success)
            #expect(try await world.count("webhook_inbox", where: "processed_at IS NOT NULL") == 5)
            #expect(try await world.count("outbox") == 2)
        }
    }

    @Test func recentKeysAreBoundedAndForgetTheOldestFirst() {
        let keys = RecentWebhookKeys(capacity: 3)
        let made = (1...5).map { WebhookInboxKey(owner: OwnerID(rawValue: 1), orderCode: Int64($0), reference: "FT-\($0)") }
        for key in made { keys.insert(key) }
        keys.insert(made[4])
        #expect(keys.count == 3)
        #expect(made.map(keys.contains) == [false, false, true, true, true])
    }

    @Test(arguments: TestDatabases.backends)
    func aSettlementFailingWhilePayOSIsDownIsHeldWithABackoffAndSettledWhenPayOSAnswers(backend: TestBackend) async throws {
        try await PaymentsWorld.run(backend) { world in
            let (payment, body) = try await Self.paidWebhook(world)
            let clientId = PaymentsWorld.channel.clientId
            try await world.sandbox.setFaults(.init(htmlErrorRate: 1, htmlErrorStatus: 502), clientId: clientId)

            #expect(try await Self.receive(world, body) == .accepted)
            let item = try #require(world.webhooks.queue.nextIfAny())
            #expect(await world.webhooks.settle(item, logger: world.logger) == .retryLater)
            #expect(try await world.stored(payment).status == .pending)
            // Held: attempt counted, a stable error code, due again later (not at once), nothing sent.
            #expect(try await world.count("webhook_inbox", where: "processed_at IS NULL AND attempts = 1 AND last_error IS NOT NULL") == 1)
            #expect(try await world.webhooks.claimDue(limit: 10, logger: world.logger) == 0)
            #expect(try await world.count("outbox") == 0)

            // Still down at the next attempt: held again.
            world.clock.advance(byMillis: 60_000)
            #expect(try await world.webhooks.claimDue(limit: 10, logger: world.logger) == 1)
            #expect(await world.webhooks.settleQueued(logger: world.logger) == 1)
            #expect(try await world.count("webhook_inbox", where: "processed_at IS NULL AND attempts = 2") == 1)

            // payOS answers again: the next attempt settles it, once.
            try await world.sandbox.setFaults(.init(), clientId: clientId)
            world.clock.advance(byMillis: 60_000)
            #expect(try await world.webhooks.claimDue(limit: 10, logger: world.logger) == 1)
            #expect(await world.webhooks.settleQueued(logger: world.logger) == 1)
            #expect(try await world.stored(payment).status == .success)
            #expect(try await world.count("webhook_inbox", where: "processed_at IS NOT NULL AND attempts = 3") == 1)
            #expect(try await world.count("outbox") == 2)
        }
    }

    @Test(arguments: TestDatabases.backends)
    func aWebhookWhoseHolderDiedIsClaimedByOneWorkerAfterItsLease(backend: TestBackend) async throws {
        try await PaymentsWorld.run(backend) { world in
            let (payment, body) = try await Self.paidWebhook(world)
            #expect(try await Self.receive(world, body) == .accepted)
            // The holder dies: its in-memory queue is gone, the row stays leased.
            let lost = try #require(world.webhooks.queue.nextIfAny())
            world.webhooks.queue.finished(lost)
            #expect(try await world.webhooks.claimDue(limit: 10, logger: world.logger) == 0)

            world.clock.advance(byMillis: WebhookService.Configuration().lease.wholeMilliseconds + 1)
            // Two workers look at once: exactly one claims it.
            let entries = try await world.webhookInbox.due(now: world.clock.wallClock.now(), limit: 10, logger: world.logger)
            let entry = try #require(entries.first)
            let leaseUntil = world.clock.wallClock.now() + 30_000
            async let first = world.webhookInbox.claim(entry, leaseUntil: leaseUntil, logger: world.logger)
            async let second = world.webhookInbox.claim(entry, leaseUntil: leaseUntil + 1, logger: world.logger)
            #expect([try await first, try await second].filter { $0 }.count == 1)
            #expect(try await world.webhooks.claimDue(limit: 10, logger: world.logger) == 0)

            // The winner's lease ends too (it died as well): the next look takes it and settles it.
            world.clock.advance(byMillis: 30_002)
            #expect(try await world.webhooks.claimDue(limit: 10, logger: world.logger) == 1)
            #expect(await world.webhooks.settleQueued(logger: world.logger) == 1)
            #expect(try await world.stored(payment).status == .success)
            #expect(try await world.count("outbox") == 2)
        }
    }

    /// During a burst (a webhook arrived within the quiet period) the workers beyond the first leave young work to it,
    /// so the burst is acknowledged first; once the first in line waited the holdback out, or the burst is over, every
    /// worker takes work.
    @Test func aBurstIsAcknowledgedFirstAndSettledByAllWorkersAfterTheHoldback() {
        let configuration = WebhookInboxWorker.Configuration(burstHoldback: .seconds(2), burstQuiet: .milliseconds(100))
        func may(last: Int64, oldest: Int64?) -> Bool {
            configuration.surgeMayTake(lastReceivedAt: last, oldestWaitingReceivedAt: oldest, now: 10_000)
        }
        #expect(!may(last: 9_990, oldest: 9_000))
        #expect(!may(last: 9_901, oldest: 8_001))
        #expect(may(last: 9_990, oldest: 8_000))
        #expect(may(last: 9_990, oldest: 1_000))
        #expect(may(last: 9_900, oldest: 9_999))
        #expect(may(last: 0, oldest: 9_999))
        #expect(may(last: 9_999, oldest: nil))
        #expect(WebhookInboxWorker.Configuration(burstHoldback: .zero).surgeMayTake(lastReceivedAt: 10_000, oldestWaitingReceivedAt: 10_000, now: 10_000))
    }

    /// The moment the workers read: when a webhook last began to be received, whatever its answer.
    @Test(arguments: TestDatabases.backends)
    func theLastArrivalIsRecordedForAcceptedAndRefusedWebhooks(backend: TestBackend) async throws {
        try await PaymentsWorld.run(backend) { world in
            let (_, body) = try await Self.paidWebhook(world)
            let clock = world.clock.wallClock
            #expect(world.webhooks.lastReceivedAt == 0)
            var before = clock.now()
            #expect(try await Self.receive(world, body) == .accepted)
            #expect((before...clock.now()).contains(world.webhooks.lastReceivedAt))
            // The test clock moves on a minute: the refused webhook's arrival is the new moment.
            world.clock.advance(byMillis: 60_000)
            before = clock.now()
            await #expect(throws: (any Error).self) { try await Self.receive(world, Array("not json".utf8)) }
            #expect((before...clock.now()).contains(world.webhooks.lastReceivedAt))
            await world.webhooks.settleQueued(logger: world.logger)
        }
    }

    @Test(arguments: TestDatabases.backends)
    func aRunningWorkerSettlesAReceivedWebhookAtOnceWithoutWaitingForItsPoll(backend: TestBackend) async throws {
        try await PaymentsWorld.run(backend) { world in
            let (payment, body) = try await Self.paidWebhook(world)
            // A poll an hour away: only the in-process wake-up can settle the webhook during this test.
            let worker = WebhookInboxWorker(webhooks: world.webhooks, configuration: .init(concurrency: 2, pollInterval: .seconds(3_600)), logger: world.logger)
            let group = ServiceGroup(configuration: .init(services: [worker], logger: world.logger))
            try await withThrowingTaskGroup(of: Void.self) { tasks in
                tasks.addTask { try await group.run() }
                #expect(try await Self.receive(world, body) == .accepted)
                await world.webhooks.queue.whenIdle()
                #expect(try await world.stored(payment).status == .success)
                #expect(try await world.count("outbox") == 2)
                await group.triggerGracefulShutdown()
                try await tasks.waitForAll()
            }
        }
    }
}
