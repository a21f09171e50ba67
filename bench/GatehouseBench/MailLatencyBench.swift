// Copyright (c) the Gatehouse authors
import ArgumentParser
import AsyncHTTPClient
import Foundation
import GatehouseApp
import GatehouseCore
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

/// `gatehouse-bench mail-latency`: the time from a payOS webhook's POST to the renter's e-mail reaching the SMTP
/// server, as a renter would feel it.
///
/// Set-up as `webhook-ingest` (in-process sandbox, the real application on a fresh database), with the SMTP test sink
/// (`scripts/smtp-test-server`: its URL and maildir) as the mail server. The webhooks are posted one at a time, each a
/// random 0–5 s after the previous e-mail arrived (5 s is the outbox's default poll, so a polling worker's phase is
/// sampled uniformly rather than synchronised with); each delay ends when the sink's next numbered `<n>.json` names
/// the payment's renter.
struct MailLatencyBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mail-latency", abstract: "Measure webhook → first e-mail at the SMTP server.")

    @Option(help: "sqlite or mariadb.")
    var backend: BenchBackend = .sqlite

    @Option(help: "MariaDB server URL (default: $GATEHOUSE_TEST_MARIADB_URL).")
    var url: String?

    @Option(help: "Port for the Gatehouse application (127.0.0.1).")
    var port: Int = 18_091

    @Option(help: "Webhooks (paid payments) measured one after another.")
    var payments: Int = 20

    @Option(help: "SMTP sink URL (default: $GATEHOUSE_TEST_SMTP_URL).")
    var smtpURL: String?

    @Option(help: "The sink's maildir (default: $GATEHOUSE_TEST_SMTP_MAILDIR).")
    var maildir: String?

    func run() async throws {
        let environment = ProcessInfo.processInfo.environment
        guard let smtp = smtpURL ?? environment["GATEHOUSE_TEST_SMTP_URL"], let maildir = maildir ?? environment["GATEHOUSE_TEST_SMTP_MAILDIR"]
        else { throw ValidationError("--smtp-url and --maildir (or GATEHOUSE_TEST_SMTP_URL / _MAILDIR) are required") }
        var logger = Logger(label: "gatehouse.bench", factory: { StreamLogHandler.standardError(label: $0) })
        logger.logLevel = .warning
        let database = try await ScratchDatabase.make(backend: backend, url: url, prefix: "mail", logger: logger)
        do {
            try await measure(database: database, smtp: smtp, maildir: maildir, logger: logger)
        } catch {
            await database.cleanup()
            throw error
        }
        await database.cleanup()
    }

    private func measure(database: ScratchDatabase, smtp: String, maildir: String, logger: Logger) async throws {
        let channel = SandboxChannel(
            clientId: "bench-" + Hex.encode(SecureRandom.bytes(count: 8)), apiKey: Hex.encode(SecureRandom.bytes(count: 16)),
            checksumKey: Hex.encode(SecureRandom.bytes(count: 32)))
        let sandbox = PayOSSandbox(configuration: .init(host: "127.0.0.1", port: 0, channels: [channel]), logger: logger)
        let sandboxGroup = ServiceGroup(configuration: .init(services: [sandbox], gracefulShutdownSignals: [], logger: logger))
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await sandboxGroup.run() }
            defer { group.cancelAll() }
            var environment = [
                "GATEHOUSE_DATA_DIR": database.dataDirectory, "GATEHOUSE_PAYOS_BASE_URL": try await sandbox.baseURL(),
                "GATEHOUSE_PAYMENT_TTL_SECONDS": "86400", "GATEHOUSE_RECONCILE_FIRST_CHECK_SECONDS": "3600",
                "GATEHOUSE_SMTP_URL": smtp, "GATEHOUSE_MAIL_FROM": "Gatehouse <no-reply@bench.gatehouse.dev>", "GATEHOUSE_LOG_LEVEL": "warning",
            ].merging(benchRateLimits) { $1 }
            if let url = database.url { environment["GATEHOUSE_DATABASE_URL"] = url }
            let configuration = try GatehouseConfiguration(environment: environment, host: "127.0.0.1", port: port)
            let components = try await GatehouseComponents.open(
                configuration: configuration, masterKeys: try MasterKeyRing(keys: [1: SecureBytes.random(count: 32)]), logger: logger)

            // Renters with addresses unique to this run, so the sink's files name them unambiguously.
            let run = Hex.encode(SecureRandom.bytes(count: 4))
            let audit = AuditContext(actor: "system:bench")
            let owner = try await components.owners.create(name: "Nhà trọ Benchmark", email: "bench-owner-\(run)@bench.gatehouse.dev", logger: logger)
            _ = try await components.credentials.store(
                owner: owner.id, clientID: channel.clientId, apiKey: channel.apiKey, checksumKey: channel.checksumKey, audit: audit, logger: logger)
            var renters: [String] = []
            for index in 0..<payments {
                let start = (components.clock.now() / 86_400_000 + 1 + Int64(index)) * 86_400_000
                let renter = "mail-\(run)-\(index)@bench.gatehouse.dev"
                let (booking, _) = try await components.bookings.create(
                    owner: owner.id,
                    NewBooking(
                        roomTitle: "Phòng \(index)", startTime: start, endTime: start + 3_600_000, amount: 100_000, renterName: "Khách \(index)",
                        renterEmail: renter, renterPhone: nil), logger: logger)
                let created = try await components.payments.createPayment(
                    owner: owner.id, PaymentRequest(bookingID: booking.id), idempotencyKey: nil, audit: audit, logger: logger)
                _ = try await sandbox.pay(String(created.payment.orderCode), clientId: channel.clientId)
                renters.append(renter)
            }
            let bodies = await sandbox.deliveries(clientId: channel.clientId).filter { $0.state == .noWebhookURL }.map(\.body)
            guard bodies.count == payments else { throw ValidationError("expected \(payments) webhooks, got \(bodies.count)") }

            let app = buildApplication(components: components, logger: logger)
            let services = ServiceGroup(configuration: .init(services: [app], gracefulShutdownSignals: [], logger: logger))
            group.addTask { try await services.run() }
            let path = "http://127.0.0.1:\(port)/webhook/payos/\(components.credentials.webhookKeys.key(for: owner))"
            try await Task.sleep(for: .seconds(1))  // the server is up, the worker's first pass is done

            var sink = SinkFollower(maildir: maildir)
            try sink.skipExisting()
            var delays: [Duration] = []
            for (body, renter) in zip(bodies, renters) {
                try await Task.sleep(for: .milliseconds(Int.random(in: 0..<5_000)))
                let posted = ContinuousClock.now
                var request = HTTPClientRequest(url: path)
                request.method = .POST
                request.headers.add(name: "Content-Type", value: "application/json")
                request.body = .bytes(ByteBuffer(string: body))
                let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
                guard response.status == .ok else { throw ValidationError("webhook answered \(response.status.code)") }
                while !(try sink.received(renter)) {
                    guard ContinuousClock.now - posted < .seconds(60) else { throw ValidationError("no e-mail for \(renter) within 60 s") }
                    try await Task.sleep(for: .milliseconds(2))
                }
                delays.append(ContinuousClock.now - posted)
            }
            let summary = LatencySummary(elapsed: .zero, latencies: delays)
            func ms(_ d: Duration) -> String { String(format: "%.0f ms", d.seconds * 1e3) }
            let mean = delays.reduce(Duration.zero, +) / delays.count
            print(
                "mail-latency backend=\(backend.rawValue) webhooks=\(payments): webhook → renter's e-mail at the SMTP server "
                    + "min \(ms(summary.latencies.first ?? .zero))  p50 \(ms(summary.percentile(0.5)))  mean \(ms(mean))  "
                    + "p90 \(ms(summary.percentile(0.9)))  max \(ms(summary.latencies.last ?? .zero))")
            await services.triggerGracefulShutdown()
            await sandboxGroup.triggerGracefulShutdown()
            try await group.waitForAll()
        }
    }
}

/// Follows the SMTP sink's numbered envelope files (`<n>.json`, written in order) without listing its folder each time.
struct SinkFollower {
    let maildir: String
    var next = 0
    var recipients: Set<String> = []

    /// Starts after the highest-numbered file present.
    mutating func skipExisting() throws {
        let numbers = try FileManager.default.contentsOfDirectory(atPath: maildir).compactMap { Int($0.split(separator: ".").first ?? "") }
        next = (numbers.max() ?? -1) + 1
    }

    /// Reads the files that appeared since the last call; whether `recipient` has been sent anything since the start.
    mutating func received(_ recipient: String) throws -> Bool {
        while let data = FileManager.default.contents(atPath: "\(maildir)/\(next).json"),
            let envelope = try? JSONSerialization.jsonObject(with: data) as? [String: Any]
        {
            for rcpt in envelope["rcpt_tos"] as? [String] ?? [] { recipients.insert(rcpt) }
            next += 1
        }
        return recipients.contains(recipient)
    }
}
