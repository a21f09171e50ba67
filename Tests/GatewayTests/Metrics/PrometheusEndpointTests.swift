// Copyright (c) the Gatehouse authors
import Foundation
import GatehouseApp
import GatehouseTestSupport
import Gateway
import HTTPTypes
import PayOS
import PayOSSandbox
import Storage
import StorageTestSupport
import Tenancy
import Testing
import GatehouseCore
import Payments

extension GatewayAPITests {
    /// `GET /metrics`: Prometheus text with bounded labels and no secrets; invalid signatures counted per owner in the
    /// database and in the process counter.
    @Suite struct PrometheusEndpointTests {
        /// The sample value of the first line that starts with `name{` and contains every label pair.
        static func sample(_ text: String, _ name: String, _ labels: [String] = []) -> Double? {
            for line in text.split(separator: "\n") where line.hasPrefix(name + "{") || line.hasPrefix(name + " ") {
                guard labels.allSatisfy({ line.contains($0) }) else { continue }
                return line.split(separator: " ").last.flatMap { Double($0) }
            }
            return nil
        }

        // MARK: Tests

        @Test(arguments: TestDatabases.backends)
        func invalidSignaturesAreCountedPerOwnerWithBoundedLabelsAndNoSecrets(backend: TestBackend) async throws {
            try await GatewayHarness.run(backend) { gw in
                let payment = try await gw.bookAndCreatePayment(gw.ownerA)
                try await gw.sandbox.pay(String(payment.orderCode), clientId: gw.ownerA.channel.clientId)
                let link = try await gw.link(payment, of: gw.ownerA)
                let path = WebhookTests.webhookPath(gw, gw.ownerA)
                // Two forgeries for owner A, one webhook for an unknown webhook key, one unattributable on the shared route.
                for reference in ["FT-1", "FT-2"] {
                    let forged = try WebhookTests.webhook(for: link, reference: reference, key: gw.ownerB.channel.checksumKey)
                    #expect(try await gw.post(path, forged).errorCode == "INVALID_SIGNATURE")
                }
                let signed = try WebhookTests.webhook(for: link, key: gw.ownerA.channel.checksumKey)
                #expect(try await gw.post("/webhook/payos/no-such-owner-key", signed).status == .notFound)
                let unknownOrder = PayOSWebhookBody.signed(PayOSWebhookData.confirmationSample, checksumKey: "whatever").jsonText
                #expect(try await gw.post("/webhook/payos", unknownOrder).status == .ok)
                // And the real one.
                #expect(try await gw.post(path, signed).status == .ok)
                await gw.settled()

                try await gw.components.webhooks.refusals.flush(logger: gw.logger)  // refusals are counted in memory until a flush
                let rows = try await gw.components.database.query(
                    "SELECT owner_id, SUM(count) AS n FROM webhook_rejection GROUP BY owner_id ORDER BY owner_id", logger: gw.logger)
                #expect(try rows.map { [try $0.decode("owner_id", as: Int64.self), try $0.decode("n", as: Int64.self)] } == [[0, 2], [gw.ownerA.id.rawValue, 2]])

                let scrape = try await gw.get("/metrics")
                #expect(scrape.status == .ok)
                #expect(scrape.headers[.contentType]?.hasPrefix("text/plain; version=0.0.4") == true)
                let text = scrape.body
                let owner = "owner=\"\(gw.ownerA.id.rawValue)\""
                #expect(Self.sample(text, "gatehouse_webhook_verifications_total", [owner, "result=\"invalid\""]) == 2)
                #expect(Self.sample(text, "gatehouse_webhook_verifications_total", [owner, "result=\"ok\""]) == 1)
                #expect(Self.sample(text, "gatehouse_webhook_verifications_total", ["owner=\"unknown\"", "result=\"invalid\""]) == 2)
                #expect(Self.sample(text, "gatehouse_webhook_rejections_last_hour") == 4)
                #expect(Self.sample(text, "gatehouse_payments", ["status=\"success\""]) == 1)
                #expect(Self.sample(text, "gatehouse_payments", ["status=\"pending\""]) == 0)
                #expect(Self.sample(text, "gatehouse_payments_settled", ["settled_by=\"webhook\""]) == 1)
                #expect(Self.sample(text, "gatehouse_outbox", ["status=\"pending\""]) != nil)
                #expect(Self.sample(text, "gatehouse_reconciliation_backlog") == 0)
                // No secret, token or raw path: keys, the owner's webhook key, the renter token.
                for secret in [gw.ownerA.channel.apiKey, gw.ownerA.channel.checksumKey, gw.ownerB.channel.checksumKey, gw.components.credentials.webhookKeys.key(for: gw.ownerA.owner),
                    "no-such-owner-key", payment.token, gw.ownerA.apiKey]
                {
                    #expect(!text.contains(secret))
                }
            }
        }

        @Test(arguments: TestDatabases.backends)
        func reconciliationBacklogCountsOverduePendingPayments(backend: TestBackend) async throws {
            try await GatewayHarness.run(backend) { gw in
                let first = try await gw.bookAndCreatePayment(gw.ownerA)
                _ = try await gw.bookAndCreatePayment(gw.ownerB)
                // One payment's next check is long overdue (the reconciler has not reached it yet); the other is not due.
                try await gw.components.database.execute(
                    "UPDATE payment SET next_check_at = 1 WHERE id = \(first.paymentID)", logger: gw.logger)
                try await gw.components.database.execute(
                    "UPDATE payment SET next_check_at = 4102444800000 WHERE id <> \(first.paymentID)", logger: gw.logger)
                let text = try await gw.get("/metrics").body
                #expect(Self.sample(text, "gatehouse_payments", ["status=\"pending\""]) == 2)
                #expect(Self.sample(text, "gatehouse_reconciliation_backlog") == 1)
            }
        }

        /// The mounted `/admin/metrics`: admin token required, the owner's refused signatures and payments reported.
        @Test(arguments: TestDatabases.backends)
        func adminMetricsNeedAnAdminTokenAndReportTheGatewaysOwnFigures(backend: TestBackend) async throws {
            try await GatewayHarness.run(backend) { gw in
                let payment = try await gw.bookAndCreatePayment(gw.ownerA)
                try await gw.sandbox.pay(String(payment.orderCode), clientId: gw.ownerA.channel.clientId)
                let link = try await gw.link(payment, of: gw.ownerA)
                let path = WebhookTests.webhookPath(gw, gw.ownerA)
                #expect(try await gw.post(path, try WebhookTests.webhook(for: link, key: "forged")).errorCode == "INVALID_SIGNATURE")
                #expect(try await gw.post(path, try WebhookTests.webhook(for: link, key: gw.ownerA.channel.checksumKey)).status == .ok)
                await gw.settled()
                try await gw.components.webhooks.refusals.flush(logger: gw.logger)  // refusals are counted in memory until a flush

                let query = "/admin/metrics?owner=\(gw.ownerA.id.rawValue)"
                #expect(try await gw.get(query).status == .unauthorized)
                #expect(try await gw.get(query, headers: gw.ownerA.bearer).status == .unauthorized)
                let admin = try await gw.components.adminTokens.create(name: "metrics-test", logger: gw.logger)
                let report = try await gw.get(query, headers: [.authorization: "Bearer \(admin.secret)"])
                #expect(report.status == .ok, "\(report.body)")
                let total = report.json?["total"]
                #expect(total?["payments_created"] == 1)
                #expect(total?["success_rate_percent"] == 100)
                #expect(total?["invalid_signatures"] == 1)
                #expect(total?["settled_by"]?["webhook"] == 1)
                #expect(total?["webhooks_received"] == 1)
                // Lag = receipt − payOS's transactionDateTime (here the test body's "2026-11-26 10:00:00", Vietnam time).
                let inbox = try #require(
                    try await gw.components.database.query("SELECT received_at, transaction_at FROM webhook_inbox", logger: gw.logger).first)
                let transactionAt: Int64 = try inbox.decode("transaction_at")
                #expect(transactionAt == 1_795_662_000_000)
                #expect(total?["average_webhook_lag_ms"]?.int64Value == (try inbox.decode("received_at", as: Int64.self)) - transactionAt)
                let stored = try #require(try await gw.storedPayment(payment, of: gw.ownerA))
                let paidAt = try #require(stored.paidAt)
                #expect(total?["average_processing_ms"]?.int64Value == paidAt - stored.createdAt)
            }
        }

        /// The Grafana dashboard's "instances alive" and "webhook lag" panels: both read from the shared database.
        @Test(arguments: TestDatabases.backends)
        func instancesAliveAndWebhookLagComeFromTheDatabase(backend: TestBackend) async throws {
            try await GatewayHarness.run(backend) { gw in
                let payment = try await gw.bookAndCreatePayment(gw.ownerA)
                try await gw.sandbox.pay(String(payment.orderCode), clientId: gw.ownerA.channel.clientId)
                let link = try await gw.link(payment, of: gw.ownerA)
                #expect(try await gw.post(WebhookTests.webhookPath(gw, gw.ownerA), try WebhookTests.webhook(for: link, key: gw.ownerA.channel.checksumKey)).status == .ok)
                await gw.settled()
                let inbox = try #require(
                    try await gw.components.database.query("SELECT received_at, transaction_at FROM webhook_inbox", logger: gw.logger).first)
                let lagMillis = try inbox.decode("received_at", as: Int64.self) - (try inbox.decode("transaction_at", as: Int64.self))

                // Besides this instance: a live peer and one whose heartbeat is long stale (a crashed instance).
                let now = gw.components.clock.now()
                for (key, heartbeat) in [("peer-live", now + 600_000), ("peer-dead", now - 60_000)] {
                    try await gw.components.database.execute(
                        "INSERT INTO gateway_instance (instance_key, host, started_at, heartbeat_at) VALUES (\(key), 'test', \(now), \(heartbeat))",
                        logger: gw.logger)
                }
                let text = try await gw.get("/metrics").body
                #expect(Self.sample(text, "gatehouse_webhook_lag_last_hour_seconds", ["stat=\"avg\""]) == Double(lagMillis) / 1000)
                #expect(Self.sample(text, "gatehouse_webhook_lag_last_hour_seconds", ["stat=\"max\""]) == Double(lagMillis) / 1000)
                // This instance's heartbeat is renewed every interval; wait for a scrape inside one if the machine stalls.
                try await gw.wait("two live instances") {
                    Self.sample(try await gw.get("/metrics").body, "gatehouse_instances_alive") == 2
                }
            }
        }

        @Test(arguments: TestDatabases.backends)
        func aConfiguredMetricsTokenIsRequired(backend: TestBackend) async throws {
            let token = "metrics-token-0123456789abcdef0123456789"
            try await GatewayHarness.run(backend, environment: ["GATEHOUSE_METRICS_TOKEN": token]) { gw in
                for headers: HTTPFields in [[:], [.authorization: "Bearer wrong-token"], [.authorization: token], gw.ownerA.bearer] {
                    let refused = try await gw.get("/metrics", headers: headers)
                    #expect(refused.status == .unauthorized)
                    #expect(refused.errorCode == "UNAUTHORIZED")
                    #expect(!refused.body.contains("gatehouse_"))
                }
                let scrape = try await gw.get("/metrics", headers: [.authorization: "Bearer \(token)"])
                #expect(scrape.status == .ok)
                #expect(Self.sample(scrape.body, "gatehouse_reconciliation_backlog") == 0)
            }
        }

        @Test func ownerLabelsAreBoundedAfterTheFirstOwnersSeen() throws {
            let observability = Observability()
            let metrics = WebhookMetrics(factory: observability.factory, maximumLabelledOwners: 2)
            for id in [1, 2, 3, 4, 1] as [Int64] { metrics.verification(.invalid, owner: OwnerID(id)) }
            metrics.verification(.ok, owner: nil)
            let text = observability.exposition()
            #expect(Self.sample(text, WebhookMetrics.verificationsName, ["owner=\"1\"", "result=\"invalid\""]) == 2)
            #expect(Self.sample(text, WebhookMetrics.verificationsName, ["owner=\"2\""]) == 1)
            #expect(Self.sample(text, WebhookMetrics.verificationsName, ["owner=\"other\""]) == 2)
            #expect(Self.sample(text, WebhookMetrics.verificationsName, ["owner=\"unknown\"", "result=\"ok\""]) == 1)
            #expect(!text.contains("owner=\"3\"") && !text.contains("owner=\"4\""))
        }

        @Test(arguments: TestDatabases.backends)
        func keyCacheLookupsAndEntriesAreExposedWithoutAnOwnerLabel(backend: TestBackend) async throws {
            try await GatewayHarness.run(backend) { gw in
                let cache = try #require(gw.components.keyAccess.cache)
                let before = cache.statistics
                _ = try await gw.bookAndCreatePayment(gw.ownerA)
                _ = try await gw.bookAndCreatePayment(gw.ownerA)
                let stats = cache.statistics
                #expect(stats.hits > before.hits, "the second create is served from the cache")
                #expect(stats.entries >= 1)

                let text = try await gw.get("/metrics").body
                #expect(Self.sample(text, TenantKeyCache.lookupsMetric, ["result=\"hit\""]) == Double(stats.hits))
                #expect(Self.sample(text, TenantKeyCache.lookupsMetric, ["result=\"miss\""]) == Double(stats.misses))
                #expect(Self.sample(text, TenantKeyCache.entriesMetric) == Double(stats.entries))
                let cacheLines = text.split(separator: "\n").filter { $0.hasPrefix("gatehouse_key_cache") }
                #expect(cacheLines.count == 3)
                #expect(!cacheLines.contains { $0.contains("owner") })

                gw.components.keyAccess.cache?.invalidateAll()
                #expect(Self.sample(try await gw.get("/metrics").body, TenantKeyCache.entriesMetric) == 0)
            }
        }
    }
}
