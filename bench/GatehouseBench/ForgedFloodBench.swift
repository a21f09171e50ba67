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
import Storage
import Synchronization
import Tenancy
import Payments
import Sodium

/// `gatehouse-bench forged-flood`: does a flood of forged webhooks for one owner's real orderCode hurt another owner,
/// and does it cost audit rows?
///
/// Set-up: the payOS sandbox (channels A and B, `--payos-latency-ms` on every call, default 0), the real application
/// over a fresh database, owners A and B onboarded with their channel's credentials. A has one real pending payment
/// (created through `PaymentService`, paid at the sandbox); the sandbox's signed PAID webhook for it, with its
/// `signature` replaced by another 64-hex-digit value, is the forged body. B has an API key and `--bookings` bookings.
///
/// Measured: B creates payment links (`POST /payment/process_payment`, `--b-connections` keep-alive connections, 201
/// required) for `--seconds` without the flood, then for `--seconds` while `--flood-connections` connections post the
/// forged body to the shared route `POST /webhook/payos` (owner found from the orderCode) as fast as they are answered.
/// Reported: B's p50/p99 in both phases and the ratio (issue 12: p99 with the flood ≤ 1.5× without), forged requests
/// per second and their status codes, and the audit rows added from the flood's start to 2.5 s after its end
/// (key-use rows are flushed every second here, `GATEHOUSE_KEY_USE_FLUSH_SECONDS=1`): all, owner A's, and owner A's per
/// forged webhook (goal 0); inbox rows added (must be 0: a forged webhook is never stored).
///
/// Addresses: Gatehouse trusts `X-Forwarded-For` from 127.0.0.1 here (`GATEHOUSE_TRUSTED_PROXIES`, as behind a
/// reverse proxy), B sends 203.0.113.20 and the flood `--flood-addresses` addresses from 198.18.0.0/15, so refusals
/// charged to the flood's address(es) are not charged to B, as on a real network. The failed-authentication budget is
/// left at its default (10 at once, 10 a minute per address); other rate limits are lifted as in every benchmark.
struct ForgedFloodBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "forged-flood",
        abstract: "Owner B's payment-link latency without and with a forged-webhook flood for owner A; audit rows per forged webhook."
    )

    @Option(help: "sqlite or mariadb.")
    var backend: BenchBackend = .mariadb

    @Option(help: "MariaDB server URL mysql://user:pass@host:port/ (default: $GATEHOUSE_TEST_MARIADB_URL); a scratch database is created and dropped.")
    var url: String?

    @Option(help: "Port for the Gatehouse application (127.0.0.1).")
    var port: Int = 18_092

    @Option(help: "Measured seconds per phase (without, then with the flood).")
    var seconds: Double = 10

    @Option(help: "Connections posting forged webhooks.")
    var floodConnections: Int = 16

    @Option(help: "Distinct client addresses the flood cycles through (X-Forwarded-For).")
    var floodAddresses: Int = 1

    @Option(help: "Where the flood posts: shared (/webhook/payos, owner from the orderCode) or owner (A's /webhook/payos/{key}).")
    var route: FloodRoute = .shared

    @Option(help: "Forged webhooks per second at most, over all flood connections (0: as fast as they are answered).")
    var floodRate: Int = 0

    @Option(help: "Connections on which owner B creates payment links (each one create at a time).")
    var bConnections: Int = 1

    @Option(help: "Latency the payOS sandbox adds to every API call, ms.")
    var payosLatencyMs: Int = 0

    @Option(help: "Pending bookings made for owner B (one per create; a phase stops early when they are used up).")
    var bookings: Int = 20_000

    @Option(help: "Log level on stderr (trace … critical).")
    var logLevel: String = "warning"

    func validate() throws {
        guard (1...65_535).contains(port) else { throw ValidationError("--port must be from 1 to 65535") }
        guard seconds > 0, seconds <= 600 else { throw ValidationError("--seconds must be 0–600") }
        guard (1...256).contains(floodConnections), (1...64).contains(bConnections) else {
            throw ValidationError("--flood-connections must be 1–256, --b-connections 1–64")
        }
        guard (1...65_536).contains(floodAddresses) else { throw ValidationError("--flood-addresses must be 1–65536") }
        guard (0...1_000_000).contains(floodRate) else { throw ValidationError("--flood-rate must be 0–1000000") }
        guard (0...60_000).contains(payosLatencyMs) else { throw ValidationError("--payos-latency-ms must be 0–60000") }
        guard (1...1_000_000).contains(bookings) else { throw ValidationError("--bookings must be from 1 to 1000000") }
        guard Logger.Level(rawValue: logLevel) != nil else { throw ValidationError("--log-level must be trace, debug, info, notice, warning, error or critical") }
    }

    enum FloodRoute: String, ExpressibleByArgument, Sendable {
        case shared
        case owner
    }

    struct Prepared: Sendable {
        let ownerA: OwnerID
        let ownerAPath: String
        let forgedBody: String
        let apiKey: String
        let bookings: [Int64]
    }

    func run() async throws {
        var logger = Logger(label: "gatehouse.bench", factory: { StreamLogHandler.standardError(label: $0) })
        logger.logLevel = Logger.Level(rawValue: logLevel) ?? .warning
        try await ScratchDatabase.using(backend: backend, url: url, prefix: "flood", logger: logger) { database in
            try await measure(database: database, logger: logger)
        }
    }

    private func measure(database: ScratchDatabase, logger: Logger) async throws {
        let channels = [makeBenchChannel(), makeBenchChannel()]
        let (bookings, latency) = (self.bookings, self.payosLatencyMs)
        let environment = ["GATEHOUSE_TRUSTED_PROXIES": "127.0.0.1/32", "GATEHOUSE_KEY_USE_FLUSH_SECONDS": "1"]
        try await withBenchGateway(
            database: database, channels: channels, port: port, connections: floodConnections + bConnections, environment: environment,
            logLevel: logLevel, logger: logger,
            prepare: { components, sandbox in
                for channel in channels { try await sandbox.setFaults(SandboxFaults(latencyMs: latency), clientId: channel.clientId) }
                let owners = try await createOwners(components: components, channels: channels, concurrency: 2, label: "forged-flood", logger: logger)
                let audit = AuditContext(actor: "system:bench")
                let start = (components.clock.now() / 86_400_000 + 1) * 86_400_000
                let (booking, _) = try await components.bookings.create(
                    owner: owners[0].id,
                    NewBooking(
                        roomTitle: "Phòng 101", startTime: start, endTime: start + 3_600_000, amount: 100_000, renterName: "Khách A",
                        renterEmail: "renter-a@bench.gatehouse.dev", renterPhone: nil),
                    logger: logger)
                let created = try await components.payments.createPayment(
                    owner: owners[0].id, PaymentRequest(bookingID: booking.id), idempotencyKey: nil, audit: audit, logger: logger)
                _ = try await sandbox.pay(String(created.payment.orderCode), clientId: channels[0].clientId)
                guard let real = await sandbox.deliveries(clientId: channels[0].clientId).last?.body else {
                    throw ValidationError("the sandbox made no webhook for owner A's payment")
                }
                let b = try await PaymentLinkLoad.prepare(components: components, owner: owners[1], bookings: bookings, logger: logger)
                let path = "/webhook/payos/\(components.credentials.webhookKeys.key(for: owners[0]))"
                return Prepared(ownerA: owners[0].id, ownerAPath: path, forgedBody: try Self.forge(real), apiKey: b.apiKey, bookings: b.bookings)
            },
            measure: { gateway, prepared in try await flood(gateway: gateway, prepared: prepared, logger: logger) })
    }

    /// The body with its `signature` replaced by a random one of the same shape.
    static func forge(_ body: String) throws -> String {
        guard var object = try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any], object["signature"] is String else {
            throw ValidationError("the sandbox's webhook has no signature")
        }
        object["signature"] = Hex.encode(SecureRandom.bytes(count: 32))
        return String(decoding: try JSONSerialization.data(withJSONObject: object), as: UTF8.self)
    }

    private func flood(gateway: BenchGateway, prepared: Prepared, logger: Logger) async throws {
        let database = gateway.components.database
        let load = PaymentLinkLoad(
            client: gateway.client, url: gateway.base + "/payment/process_payment", apiKey: prepared.apiKey, forwardedFor: "203.0.113.20",
            bookings: WorkQueue(prepared.bookings))
        // Owner A's verification keys into the cache, as A's own traffic would have put them (one audited unseal, from
        // an address of its own so the flood's budget is untouched): the flood then measures forged webhooks, not the fill.
        var warm = HTTPClientRequest(url: gateway.base + "/webhook/payos")
        warm.method = .POST
        warm.headers.add(name: "Content-Type", value: "application/json")
        warm.headers.add(name: "X-Forwarded-For", value: "192.0.2.1")
        warm.body = .bytes(ByteBuffer(string: prepared.forgedBody))
        let warmed = try await gateway.client.execute(warm, timeout: .seconds(60))
        _ = try await warmed.body.collect(upTo: 64 * 1024)
        guard (400..<500).contains(warmed.status.code) else { throw ValidationError("a forged webhook answered \(warmed.status.code)") }
        _ = try await load.run(seconds: 1, connections: bConnections, label: "warm-up")
        let quiet = try await load.run(seconds: seconds, connections: bConnections, label: "B without the flood")

        let owner = prepared.ownerA
        func auditRows() async throws -> (all: Int, ownerA: Int, keyUseA: Int) {
            (
                try await countRows(database, "SELECT COUNT(*) AS n FROM audit_log", logger: logger),
                try await countRows(database, "SELECT COUNT(*) AS n FROM audit_log WHERE owner_id = \(owner)", logger: logger),
                try await countRows(
                    database, "SELECT COUNT(*) AS n FROM audit_log WHERE owner_id = \(owner) AND actor = \(KeyUseLedger.actor)", logger: logger)
            )
        }
        let inboxBefore = try await countRows(database, "SELECT COUNT(*) AS n FROM webhook_inbox", logger: logger)
        let auditBefore = try await auditRows()

        // The flood: as fast as answered, until B's measured phase ends.
        let stop = FloodState()
        let statuses = stop
        let (url, body, addresses, client) = (gateway.base + (route == .shared ? "/webhook/payos" : prepared.ownerAPath), prepared.forgedBody, floodAddresses, gateway.client)
        let (connections, rate) = (floodConnections, floodRate)
        // With --flood-rate, each connection sends at most rate/connections a second, on a fixed schedule.
        let interval: Duration? = rate > 0 ? .nanoseconds(Int64(1e9 * Double(connections) / Double(rate))) : nil
        let clock = ContinuousClock()
        let floodStarted = clock.now
        let (loaded, floodElapsed): (LatencySummary, Duration) = try await withThrowingTaskGroup(of: Void.self) { group in
            for connection in 0..<connections {
                group.addTask {
                    var sent = connection
                    var next = clock.now
                    while !stop.stopped.load(ordering: .relaxed) {
                        if let interval {
                            if next > clock.now { try await Task.sleep(until: next, clock: clock) }
                            next = next + interval
                        }
                        var request = HTTPClientRequest(url: url)
                        request.method = .POST
                        request.headers.add(name: "Content-Type", value: "application/json")
                        let address = sent % addresses
                        request.headers.add(name: "X-Forwarded-For", value: "198.18.\(address / 256).\(address % 256)")
                        request.body = .bytes(ByteBuffer(string: body))
                        let response = try await client.execute(request, timeout: .seconds(60))
                        _ = try await response.body.collect(upTo: 64 * 1024)
                        statuses.statuses.withLock { $0[response.status.code, default: 0] += 1 }
                        sent += connections
                    }
                }
            }
            let loaded = try await load.run(seconds: seconds, connections: bConnections, label: "B with the flood")
            stop.stopped.store(true, ordering: .relaxed)
            let elapsed = clock.now - floodStarted
            try await group.waitForAll()
            return (loaded, elapsed)
        }
        try await Task.sleep(for: .milliseconds(2_500))  // key-use rows of the flood's interval flushed
        let auditAfter = try await auditRows()
        let inboxAfter = try await countRows(database, "SELECT COUNT(*) AS n FROM webhook_inbox", logger: logger)
        let counts = statuses.statuses.withLock { $0 }
        let forged = counts.values.reduce(0, +)
        let ownerARows = auditAfter.ownerA - auditBefore.ownerA
        let keyUseRows = auditAfter.keyUseA - auditBefore.keyUseA
        // Aggregated key-use rows come per flush interval (1 s here), whatever the number of forged webhooks; any
        // other row of owner A's is a cost per request.
        let perRequestRows = ownerARows - keyUseRows
        let codes = counts.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(separator: ", ")
        let ratio = loaded.percentile(0.99).seconds / max(quiet.percentile(0.99).seconds, 1e-9)
        print(
            """
            forged-flood backend=\(backend.rawValue) seconds=\(seconds) route=\(route.rawValue) flood-connections=\(floodConnections) flood-addresses=\(floodAddresses) flood-rate=\(floodRate == 0 ? "unlimited" : String(floodRate)) b-connections=\(bConnections) payOS sandbox latency=\(payosLatencyMs) ms
              B without flood: \(quiet.operations) creates = \(String(format: "%.0f", quiet.rate)) creates/s  \(quiet.percentiles)
              B with flood:    \(loaded.operations) creates = \(String(format: "%.0f", loaded.rate)) creates/s  \(loaded.percentiles)
              B p99 with/without: \(String(format: "%.2f", ratio))x (goal <= 1.5x: \(ratio <= 1.5 ? "met" : "not met"))  p50 with/without: \(String(format: "%.2f", loaded.percentile(0.5).seconds / max(quiet.percentile(0.5).seconds, 1e-9)))x  creates/s with/without: \(String(format: "%.2f", loaded.rate / max(quiet.rate, 1e-9)))x
              forged webhooks: \(forged) in \(String(format: "%.2f", floodElapsed.seconds)) s = \(String(format: "%.0f", Double(forged) / floodElapsed.seconds)) requests/s  status codes {\(codes)}
              audit rows during the flood (+2.5 s): all \(auditAfter.all - auditBefore.all); owner A \(ownerARows): \(keyUseRows) aggregated key-use rows (one per flush interval, not per request) and \(perRequestRows) others = \(String(format: "%.4f", Double(perRequestRows) / Double(max(forged, 1)))) per forged webhook (goal 0)
              inbox rows added by the flood: \(inboxAfter - inboxBefore)
            """)
        guard counts.keys.allSatisfy({ (400..<500).contains($0) }) else { throw ValidationError("a forged webhook was not refused 4xx: {\(codes)}") }
        guard inboxAfter == inboxBefore else { throw ValidationError("forged webhooks added \(inboxAfter - inboxBefore) inbox rows") }
    }
}

/// Shared by the flood's connections: when to stop, and the status codes they got.
final class FloodState: Sendable {
    let stopped = Atomic<Bool>(false)
    let statuses = Mutex<[UInt: Int]>([:])
}
