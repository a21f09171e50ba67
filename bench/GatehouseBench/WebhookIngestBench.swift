// Copyright (c) the Gatehouse authors
import ArgumentParser
import AsyncHTTPClient
import Foundation
import GatehouseApp
import Hummingbird
import Logging
import NIOCore
import NIOHTTP1
import PayOSSandbox
import ServiceLifecycle
import Sodium
import Storage
import Tenancy
import Vault
import Payments

/// `gatehouse-bench webhook-ingest`: how many payOS webhooks per second Gatehouse takes in — signed, verified,
/// confirmed and committed — and at what latency.
///
/// Set-up: an in-process payOS sandbox (one merchant channel, no webhook URL, so it sends nothing itself), the real
/// Gatehouse application on 127.0.0.1:`--port` over a fresh database (SQLite file or scratch MariaDB database),
/// `--payments` pending payments created through `PaymentService`, every one of them paid at the sandbox. The bodies
/// are the sandbox's own signed webhooks (what payOS would have sent), read from its delivery log.
///
/// Measured, each over HTTP with `--concurrency` requests in flight (AsyncHTTPClient, keep-alive):
/// 1. first deliveries: every webhook once — signature check, durable inbox row, the confirming GET at payOS (unless
///    `--no-confirm`), and the transaction that settles the payment, confirms the booking and enqueues two e-mails
///    and two web notifications; answered 200 only after the commit;
/// 2. duplicates: every webhook again — absorbed by the inbox (payOS retries and duplicates cost this much).
/// Afterwards every payment must be `success` (checked; the run fails otherwise).
struct WebhookIngestBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "webhook-ingest",
        abstract: "Measure webhook ingest (signed, verified, committed) per second and its latency."
    )

    @Option(help: "sqlite or mariadb.")
    var backend: BenchBackend

    @Option(help: "MariaDB server URL mysql://user:pass@host:port/ (default: $GATEHOUSE_TEST_MARIADB_URL); a scratch database is created and dropped.")
    var url: String?

    @Option(help: "Port for the Gatehouse application (127.0.0.1).")
    var port: Int = 18_090

    @Option(help: "Paid payments whose webhooks are delivered.")
    var payments: Int = 2_000

    @Option(help: "Webhook requests in flight.")
    var concurrency: Int = 16

    @Flag(help: "Do not confirm PAID with payOS before trusting it (GATEHOUSE_WEBHOOK_CONFIRM=false).")
    var noConfirm = false

    @Option(help: "Log level on stderr (trace … critical).")
    var logLevel: String = "warning"

    func validate() throws {
        guard (1...65_535).contains(port) else { throw ValidationError("--port must be from 1 to 65535") }
        guard (1...100_000).contains(payments) else { throw ValidationError("--payments must be from 1 to 100000") }
        guard (1...256).contains(concurrency) else { throw ValidationError("--concurrency must be from 1 to 256") }
        guard Logger.Level(rawValue: logLevel) != nil else { throw ValidationError("--log-level must be trace, debug, info, notice, warning, error or critical") }
    }

    func run() async throws {
        var logger = Logger(label: "gatehouse.bench", factory: { StreamLogHandler.standardError(label: $0) })
        logger.logLevel = Logger.Level(rawValue: logLevel) ?? .warning
        let database = try await ScratchDatabase.make(backend: backend, url: url, prefix: "ingest", logger: logger)
        do {
            try await measure(database: database, logger: logger)
        } catch {
            await database.cleanup()
            throw error
        }
        await database.cleanup()
    }

    private func measure(database: ScratchDatabase, logger: Logger) async throws {
        let channel = SandboxChannel(
            clientId: "bench-" + Hex.encode(SecureRandom.bytes(count: 8)), apiKey: Hex.encode(SecureRandom.bytes(count: 16)),
            checksumKey: Hex.encode(SecureRandom.bytes(count: 32)))
        let sandbox = PayOSSandbox(configuration: .init(host: "127.0.0.1", port: 0, channels: [channel]), logger: logger)
        // The sandbox and, later, the gateway run in one service group, so both stop gracefully.
        let sandboxGroup = ServiceGroup(configuration: .init(services: [sandbox], gracefulShutdownSignals: [], logger: logger))
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await sandboxGroup.run() }
            defer { group.cancelAll() }
            var environment = [
                "GATEHOUSE_DATA_DIR": database.dataDirectory,
                "GATEHOUSE_PAYOS_BASE_URL": try await sandbox.baseURL(),
                "GATEHOUSE_PAYMENT_TTL_SECONDS": "86400",
                // The benchmark delivers every webhook; reconciliation must not race it.
                "GATEHOUSE_RECONCILE_FIRST_CHECK_SECONDS": "3600",
                "GATEHOUSE_WEBHOOK_CONFIRM": noConfirm ? "false" : "true",
                "GATEHOUSE_LOG_LEVEL": logLevel,
            ].merging(benchRateLimits) { $1 }
            if let url = database.url { environment["GATEHOUSE_DATABASE_URL"] = url }
            let configuration = try GatehouseConfiguration(environment: environment, host: "127.0.0.1", port: port)
            let components = try await GatehouseComponents.open(
                configuration: configuration, masterKeys: try MasterKeyRing(keys: [1: SecureBytes.random(count: 32)]), logger: logger)

            let bodies: [String]
            let path: String
            do {
                let (owner, created) = try await createPendingPayments(
                    components: components, channel: channel, count: payments, concurrency: 8,
                    label: "webhook-ingest (\(backend.rawValue))", logger: logger)
                path = "/webhook/payos/\(components.credentials.webhookKeys.key(for: owner))"
                for payment in created { _ = try await sandbox.pay(String(payment.payment.orderCode), clientId: channel.clientId) }
                bodies = await sandbox.deliveries(clientId: channel.clientId).filter { $0.state == .noWebhookURL }.map(\.body)
                guard bodies.count == payments else { throw ValidationError("expected \(payments) webhooks, the sandbox made \(bodies.count)") }
            } catch {
                await components.database.shutdown()
                throw error
            }

            let app = buildApplication(components: components, logger: logger)
            let services = ServiceGroup(configuration: .init(services: [app], gracefulShutdownSignals: [], logger: logger))
            group.addTask { try await services.run() }
            let base = "http://127.0.0.1:\(port)"
            try await waitForHealth(base)

            let first = try await deliver(bodies.shuffled(), to: base + path)
            let settled = try await components.database.query(
                "SELECT COUNT(*) AS n FROM payment WHERE status = 'success'", logger: logger
            ).first?.decode("n", as: Int64.self)
            guard settled == Int64(payments) else { throw ValidationError("\(settled ?? 0) of \(payments) payments settled") }
            let duplicates = try await deliver(bodies.shuffled(), to: base + path)

            print(
                """
                webhook-ingest backend=\(backend.rawValue) payments=\(payments) concurrency=\(concurrency) confirm-with-payOS=\(!noConfirm)
                  first deliveries: \(first.operations) in \(String(format: "%.2f", first.elapsed.seconds)) s = \(String(format: "%.0f", first.rate)) webhooks/s  \(first.percentiles)
                  duplicates:       \(duplicates.operations) in \(String(format: "%.2f", duplicates.elapsed.seconds)) s = \(String(format: "%.0f", duplicates.rate)) webhooks/s  \(duplicates.percentiles)
                  every payment success: \(settled ?? 0)/\(payments)
                """)
            await services.triggerGracefulShutdown()
            await sandboxGroup.triggerGracefulShutdown()
            try await group.waitForAll()
        }
    }

    private func waitForHealth(_ base: String) async throws {
        let deadline = ContinuousClock.now + .seconds(30)
        while ContinuousClock.now < deadline {
            if let response = try? await HTTPClient.shared.execute(HTTPClientRequest(url: base + "/health"), timeout: .seconds(1)),
                response.status == .ok
            {
                return
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw ValidationError("Gatehouse did not answer /health on \(base)")
    }

    /// Posts every body once, `concurrency` at a time; any answer but 200 fails the run.
    private func deliver(_ bodies: [String], to url: String) async throws -> LatencySummary {
        let clock = ContinuousClock()
        let started = clock.now
        var latencies: [Duration] = []
        latencies.reserveCapacity(bodies.count)
        try await withThrowingTaskGroup(of: Duration.self) { group in
            var next = 0
            func post(_ body: String) async throws -> Duration {
                var request = HTTPClientRequest(url: url)
                request.method = .POST
                request.headers.add(name: "Content-Type", value: "application/json")
                request.body = .bytes(ByteBuffer(string: body))
                let sent = clock.now
                let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
                let answer = try await response.body.collect(upTo: 64 * 1024)
                guard response.status == .ok else {
                    throw ValidationError("webhook answered \(response.status.code): \(String(buffer: answer))")
                }
                return clock.now - sent
            }
            while next < min(concurrency, bodies.count) {
                let body = bodies[next]
                group.addTask { try await post(body) }
                next += 1
            }
            while let latency = try await group.next() {
                latencies.append(latency)
                if next < bodies.count {
                    let body = bodies[next]
                    group.addTask { try await post(body) }
                    next += 1
                }
            }
        }
        return LatencySummary(elapsed: clock.now - started, latencies: latencies)
    }
}
