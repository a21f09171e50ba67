// Copyright (c) the Gatehouse authors
import ArgumentParser
import AsyncHTTPClient
import Foundation
import GatehouseApp
import Hummingbird
import Logging
import PayOSSandbox
import Sodium
import Storage
import Tenancy
import ServiceLifecycle
import Vault
import GatehouseCore
import Payments

/// `gatehouse dev`: the gateway on the embedded default (SQLite in the data directory) with an in-process payOS
/// sandbox and demo data, printing the URLs to open.
struct Dev: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the gateway in dev mode: SQLite, a local payOS sandbox, a demo owner, booking and live payment.")

    @OptionGroup var server: ServerOptions

    @Option(help: "Port of the in-process payOS sandbox (default: the gateway's port + 1).")
    var sandboxPort: Int?

    func run() async throws {
        var (configuration, rootLogger) = try loadConfiguration(server)
        let logger = rootLogger
        let dataDirectory = configuration.dataDirectory
        try FileManager.default.createDirectory(atPath: dataDirectory, withIntermediateDirectories: true)

        // A master key of its own, generated once (0600) unless one is configured.
        if configuration.masterKeys == nil, configuration.masterKeyFile == nil {
            let keyFile = dataDirectory + "/master.key"
            if !FileManager.default.fileExists(atPath: keyFile) {
                _ = try MasterKeyRing.generateFile(at: keyFile)
                logger.info("generated a dev master key", metadata: ["file": "\(keyFile)"])
            }
            configuration.masterKeyFile = keyFile
        }

        // The sandbox's merchant channel: the demo owner's payOS account, stable across runs (0600).
        let channelsFile = dataDirectory + "/sandbox-channels.json"
        let channel = try DevChannel.loadOrCreate(at: channelsFile)
        let sandboxPort = sandboxPort ?? configuration.port + 1
        let sandbox = try SandboxCommandOptions(host: "127.0.0.1", port: sandboxPort, channelsFile: channelsFile).makeSandbox(logger: logger)
        configuration.useLocalSandbox(port: sandboxPort)

        let masterKeys = try loadMasterKeys(configuration)
        // As `serve`: Hummingbird's request metrics and Gatehouse's own share `GET /metrics`.
        let observability = Observability()
        observability.bootstrapProcessMetrics()
        let components = try await GatehouseComponents.open(
            configuration: configuration, masterKeys: masterKeys, observability: observability, logger: logger)
        let demo = DevDemoService(components: components, channel: channel, sandbox: sandbox, logger: logger)
        let app = buildApplication(components: components, logger: logger, extraServices: [sandbox, demo])
        try await app.runService()
    }
}

/// The dev sandbox's one merchant channel.
struct DevChannel: Codable, Sendable {
    let clientId: String
    let apiKey: String
    let checksumKey: String

    static func loadOrCreate(at path: String) throws -> DevChannel {
        if let data = FileManager.default.contents(atPath: path) {
            let channels = try JSONDecoder().decode([DevChannel].self, from: data)
            guard let first = channels.first else { throw ValidationError("\(path) has no channel") }
            return first
        }
        let channel = DevChannel(
            clientId: "dev-" + Hex.encode(SecureRandom.bytes(count: 8)), apiKey: Hex.encode(SecureRandom.bytes(count: 16)),
            checksumKey: Hex.encode(SecureRandom.bytes(count: 32)))
        let data = try JSONEncoder().encode([channel])
        guard FileManager.default.createFile(atPath: path, contents: data, attributes: [.posixPermissions: 0o600]) else {
            throw ValidationError("cannot write \(path)")
        }
        return channel
    }
}

/// Prepares the demo once the gateway answers HTTP (payOS's confirm-webhook probe must reach it), prints the
/// URLs, then stays until shutdown.
struct DevDemoService: Service {
    let components: GatehouseComponents
    let channel: DevChannel
    let sandbox: PayOSSandbox
    let logger: Logger

    func run() async throws {
        do {
            let sandboxURL = try await sandbox.baseURL()
            try await waitUntilServing(deadline: .now + .seconds(30))
            let demo = try await DevDemo.prepare(components: components, channel: channel, logger: logger)
            DevDemo.printWelcome(configuration: components.configuration, sandboxURL: sandboxURL, demo: demo)
        } catch {
            logger.error("dev demo data could not be prepared", metadata: ["error": "\(String(reflecting: error))"])
        }
        try? await gracefulShutdown()
    }

    /// Polls the gateway's `/health` until it answers, or the deadline passes.
    private func waitUntilServing(deadline: ContinuousClock.Instant) async throws {
        let url = "http://127.0.0.1:\(components.configuration.port)/health"
        while ContinuousClock.now < deadline {
            if (try? await HTTPClient.shared.execute(HTTPClientRequest(url: url), timeout: .seconds(1))) != nil {
                return
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw ValidationError("the gateway did not start serving within 30 s")
    }
}

/// The demo owner, booking and live payment that dev mode prints.
enum DevDemo {
    struct Demo {
        let owner: Owner
        let apiKey: String
        let adminToken: String
        let payment: Payment
        let renterToken: String
    }

    static let ownerEmail = "demo-owner@gatehouse.dev"

    static func prepare(components: GatehouseComponents, channel: DevChannel, logger: Logger) async throws -> Demo {
        let audit = AuditContext(actor: "dev:demo")
        let owner: Owner
        if let existing = try await components.owners.list(logger: logger).first(where: { $0.email == ownerEmail }) {
            owner = existing
        } else {
            owner = try await components.owners.create(name: "Nhà trọ Hoa Sen (demo)", email: ownerEmail, logger: logger)
        }
        if try await components.credentials.info(owner: owner.id, logger: logger) == nil {
            _ = try await components.credentials.store(
                owner: owner.id, clientID: channel.clientId, apiKey: channel.apiKey, checksumKey: channel.checksumKey, audit: audit,
                logger: logger)
        }
        // payOS (the sandbox) delivers this owner's webhooks to its own URL from now on.
        try await components.credentials.registerWebhook(owner: owner.id, audit: audit, logger: logger)
        let key = try await components.apiKeys.issue(owner: owner.id, name: "dev", logger: logger)
        let adminToken = try await components.adminTokens.create(name: "dev", logger: logger)
        let tomorrow = (components.clock.now() / 86_400_000 + 1) * 86_400_000  // 00:00 UTC tomorrow = 07:00 in Vietnam
        let (booking, _) = try await components.bookings.create(
            owner: owner.id,
            NewBooking(
                roomTitle: "Phòng Deluxe hướng biển", startTime: tomorrow + 7 * 3_600_000, endTime: tomorrow + 10 * 3_600_000,
                amount: 500_000, renterName: "Nguyễn Văn An", renterEmail: "demo-renter@gatehouse.dev", renterPhone: "0912345678"),
            logger: logger)
        let created = try await components.payments.createPayment(
            owner: owner.id, PaymentRequest(bookingID: booking.id), idempotencyKey: nil, audit: audit, logger: logger)
        return Demo(
            owner: owner, apiKey: key.secret, adminToken: adminToken.secret, payment: created.payment, renterToken: created.renterToken)
    }

    static func printWelcome(configuration: GatehouseConfiguration, sandboxURL: String, demo: Demo) {
        let base = configuration.publicURL
        let text = """

            ┌─ Gatehouse dev ─────────────────────────────────────────────────────────────
            │ gateway        \(base)   (health: \(base)/health, \(base)/health/payment)
            │ payOS sandbox  \(sandboxURL)   (control API: \(sandboxURL)/sandbox/channels)
            │ database       \(configuration.databaseSummary)
            │
            │ demo owner     #\(demo.owner.id.rawValue) \(demo.owner.name)
            │ owner API key  \(demo.apiKey)   (dev only; a new one each run)
            │
            │ 1. open the renter link (VietQR code, bank details, live status):
            │    \(base)/payment/status/\(demo.payment.id.rawValue)?t=\(demo.renterToken)
            │ 2. pay it on the sandbox's checkout page (the payOS page; "Thanh toán" pays in full):
            │    \(demo.payment.checkoutURL ?? "-")
            │ 3. payOS's signed webhook reaches \(base)/webhook/payos/…, the payment turns to success,
            │    and the page you opened in step 1 moves to the success page by itself.
            │
            │ API: curl -H 'Authorization: Bearer \(demo.apiKey)' \(base)/api/payments
            │ owner onboarding page (payOS keys, proven before they are stored): \(base)/owner/onboarding
            │
            │ admin dashboard  \(base)/admin   (sign in with the admin token below)
            │ admin token      \(demo.adminToken)   (dev only; a new one each run)
            │ admin API: curl -H 'Authorization: Bearer \(demo.adminToken)' \(base)/admin/owners
            │ Prometheus: \(base)/metrics
            └──────────────────────────────────────────────────────────────────────────────

            """
        FileHandle.standardOutput.write(Data(text.utf8))
    }
}
