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
import Tenancy
import Payments

/// `gatehouse-bench webhook-ingest`: how many payOS webhooks per second Gatehouse acknowledges, how long after the
/// acknowledgement each payment is settled, and whether every one was settled exactly once.
///
/// Set-up: an in-process payOS sandbox (one merchant channel per owner, no webhook URL, so it sends nothing itself),
/// the real Gatehouse application on 127.0.0.1:`--port` over a fresh database (SQLite file or scratch MariaDB
/// database), `--owners` onboarded owners with their own channel and credentials, `--payments` pending payments spread
/// round-robin over them, created through `PaymentService` and paid at the sandbox. The bodies are the sandbox's own
/// signed webhooks (what payOS would have sent), each posted to its owner's `/webhook/payos/{key}`.
///
/// Measured over HTTP with `--concurrency` requests in flight (AsyncHTTPClient, keep-alive, one connection each):
/// 1. first deliveries: every webhook once; any answer but 200 fails the run. A 200 may come once the webhook is in
///    the durable inbox (settlement by a worker afterwards) or once it is settled: the benchmark assumes neither;
/// 2. settlement: it waits (at most `--settle-timeout`) until every payment is `success`, then checks each was settled
///    exactly once (``SettlementCheck``) and reports acknowledgement → settled: `payment.paid_at` (wall clock, ms,
///    taken by the settling transaction at the transition, just before its commit) minus the wall-clock time the
///    client read the 200. Negative when settlement came before the answer (settled on the request path);
/// 3. duplicates: every webhook again — absorbed by the inbox; the exactly-once check runs again afterwards.
/// The tenant key cache's hits and misses (``TenantKeyCache/statistics``, the figures behind
/// `gatehouse_key_cache_lookups_total`) are reported for set-up, first deliveries with settlement, and duplicates.
struct WebhookIngestBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "webhook-ingest",
        abstract: "Measure webhook ingest (signed, verified, acknowledged) per second, acknowledgement-to-settled, exactly-once."
    )

    @Option(help: "sqlite or mariadb.")
    var backend: BenchBackend

    @Option(help: "MariaDB server URL mysql://user:pass@host:port/ (default: $GATEHOUSE_TEST_MARIADB_URL); a scratch database is created and dropped.")
    var url: String?

    @Option(help: "Port for the Gatehouse application (127.0.0.1).")
    var port: Int = 18_090

    @Option(help: "Paid payments whose webhooks are delivered.")
    var payments: Int = 2_000

    @Option(help: "Owners, each with its own sandbox channel and credentials; payments are spread round-robin over them.")
    var owners: Int = 1

    @Option(help: "Webhook requests in flight.")
    var concurrency: Int = 16

    @Option(help: "Concurrent calls while onboarding owners and creating payments.")
    var setupConcurrency: Int = 16

    @Option(help: "Seconds to wait after the last acknowledgement for every payment to be settled.")
    var settleTimeout: Int = 120

    @Flag(help: "Do not confirm PAID with payOS before trusting it (GATEHOUSE_WEBHOOK_CONFIRM=false).")
    var noConfirm = false

    /// What posts the webhooks.
    enum Client: String, ExpressibleByArgument, CaseIterable, Sendable {
        /// AsyncHTTPClient in this process, on the same cores as the gateway: per-webhook latency and acknowledgement times.
        case inProcess = "in-process"
        /// wrk (C, event loop) in its own process with bench/webhook-post.lua: less of the two cores spent on the client.
        case wrk
    }

    @Option(help: "What posts the webhooks: in-process (AsyncHTTPClient; ack-to-settled per payment) or wrk (bench/webhook-post.lua, 2 threads; no per-payment acknowledgement times).")
    var client: Client = .inProcess

    @Option(help: "The wrk script for --client wrk.")
    var wrkScript: String = "bench/webhook-post.lua"

    @Option(help: "Times every webhook is delivered again after settlement (the duplicates figure is the median pass; each pass's rate is listed when more than one). Passes after the first are also a steady load to profile: each start is announced on stderr.")
    var duplicatePasses: Int = 1

    @Flag(help: "Leave the webhook key directory as set-up left it (empty: each owner's first webhook reads its owner row) instead of loading it as an instance started after the owners' onboarding does.")
    var coldWebhookKeys = false

    @Option(help: "Log level on stderr (trace … critical).")
    var logLevel: String = "warning"

    @Option(name: .customLong("set"), help: "A Gatehouse setting for the run, KEY=VALUE (repeatable), e.g. --set GATEHOUSE_WEBHOOK_WORKERS=2.")
    var settings: [String] = []

    func validate() throws {
        guard (1...65_535).contains(port) else { throw ValidationError("--port must be from 1 to 65535") }
        for setting in settings where !setting.hasPrefix("GATEHOUSE_") || !setting.contains("=") {
            throw ValidationError("--set wants GATEHOUSE_NAME=value, not \(setting)")
        }
        guard (1...100_000).contains(payments) else { throw ValidationError("--payments must be from 1 to 100000") }
        guard (1...payments).contains(owners) else { throw ValidationError("--owners must be from 1 to --payments") }
        guard (1...256).contains(concurrency) else { throw ValidationError("--concurrency must be from 1 to 256") }
        guard (1...64).contains(setupConcurrency) else { throw ValidationError("--setup-concurrency must be from 1 to 64") }
        guard (1...3_600).contains(settleTimeout) else { throw ValidationError("--settle-timeout must be from 1 to 3600") }
        guard (1...100).contains(duplicatePasses) else { throw ValidationError("--duplicate-passes must be from 1 to 100") }
        guard Logger.Level(rawValue: logLevel) != nil else { throw ValidationError("--log-level must be trace, debug, info, notice, warning, error or critical") }
        if client == .wrk {
            guard FileManager.default.isReadableFile(atPath: wrkScript) else { throw ValidationError("--wrk-script \(wrkScript) is not readable (run from the repository root)") }
            guard concurrency >= 2 else { throw ValidationError("--client wrk needs --concurrency of at least 2 (one connection per thread)") }
        }
    }

    /// One webhook to post: its owner's URL path and the sandbox's signed body.
    struct Webhook: Sendable {
        let orderCode: Int64
        let path: String
        let body: String
    }

    func run() async throws {
        var logger = Logger(label: "gatehouse.bench", factory: { StreamLogHandler.standardError(label: $0) })
        logger.logLevel = Logger.Level(rawValue: logLevel) ?? .warning
        try await ScratchDatabase.using(backend: backend, url: url, prefix: "ingest", logger: logger) { database in
            try await measure(database: database, logger: logger)
        }
    }

    private func measure(database: ScratchDatabase, logger: Logger) async throws {
        let channels = (0..<owners).map { _ in makeBenchChannel() }
        let label = "webhook-ingest (\(backend.rawValue), \(owners) owner\(owners == 1 ? "" : "s"))"
        let (payments, setupConcurrency, settleTimeout, noConfirm, cold) = (self.payments, self.setupConcurrency, self.settleTimeout, self.noConfirm, self.coldWebhookKeys)
        var environment = [
            "GATEHOUSE_WEBHOOK_CONFIRM": noConfirm ? "false" : "true",
            // Every owner's keys stay cached for the whole run (the default capacity is 10,000).
            "GATEHOUSE_KEY_CACHE_CAPACITY": String(max(10_000, owners)),
        ]
        for setting in settings {
            let parts = setting.split(separator: "=", maxSplits: 1)
            environment[String(parts[0])] = parts.count > 1 ? String(parts[1]) : ""
        }
        try await withBenchGateway(
            database: database, channels: channels, port: port, connections: concurrency, environment: environment, logLevel: logLevel,
            logger: logger,
            prepare: { components, sandbox in
                let webhooks = try await Self.prepare(
                    components: components, sandbox: sandbox, channels: channels, payments: payments, concurrency: setupConcurrency,
                    label: label, logger: logger)
                // An instance loads its webhook key directory when it starts (`GatehouseComponents.open`); these owners were
                // onboarded after this one started, by `credentials.store` (no confirm-webhook probe, which would have filled it).
                if !cold { try await components.credentials.webhookKeys.preload(from: components.owners, logger: logger) }
                return webhooks
            },
            measure: { gateway, webhooks in
                let database = gateway.components.database
                let cache = gateway.components.keyAccess.cache
                let afterSetUp = cache?.statistics
                let directory = gateway.components.credentials.webhookKeys.directory
                let directoryBefore = directory.statistics
                let cpuBefore = processCPUTime()
                let first = try await deliver(webhooks.shuffled(), gateway: gateway)
                let cpuAcknowledged = processCPUTime()
                FileHandle.standardError.write(Data("webhook-ingest: first deliveries acknowledged, settlement follows\n".utf8))
                let waited = try await SettlementCheck.waitForSuccess(
                    database: database, expected: payments, timeout: .seconds(settleTimeout), logger: logger)
                let paidAt = try await SettlementCheck.verifyExactlyOnce(database: database, expected: payments, logger: logger)
                let cpuSettled = processCPUTime()
                let afterFirst = cache?.statistics
                let directoryAfter = directory.statistics
                var passes: [Delivery] = []
                let cpuDuplicatesBefore = processCPUTime()
                for pass in 1...duplicatePasses {
                    FileHandle.standardError.write(Data("webhook-ingest: duplicates pass \(pass)/\(duplicatePasses) starts\n".utf8))
                    passes.append(try await deliver(webhooks.shuffled(), gateway: gateway))
                }
                let cpuDuplicates = processCPUTime() - cpuDuplicatesBefore
                let byRate = passes.sorted { $0.summary.rate < $1.summary.rate }
                let duplicates = byRate[byRate.count / 2]
                let passRates = passes.count == 1 ? "" : "\n  duplicate passes (webhooks/s, in order): " + passes.map { String(format: "%.0f", $0.summary.rate) }.joined(separator: " ")
                _ = try await SettlementCheck.verifyExactlyOnce(database: database, expected: payments, logger: logger)
                let afterDuplicates = cache?.statistics

                // Acknowledgement → settled, per payment (ms; wall clock on both sides).
                var settle: [Int64] = []
                settle.reserveCapacity(payments)
                for (orderCode, acknowledged) in first.acknowledgedAt {
                    guard let at = paidAt[orderCode] else { throw ValidationError("no paid_at for orderCode \(orderCode)") }
                    settle.append(at - acknowledged)
                }
                settle.sort()
                func pct(_ p: Double) -> Int64 {
                    settle.isEmpty ? 0 : settle[max(0, min(settle.count - 1, Int((Double(settle.count) * p).rounded(.up)) - 1))]
                }
                let before = settle.filter { $0 < 0 }.count

                func ratio(_ from: TenantKeyCache.Statistics?, _ to: TenantKeyCache.Statistics?) -> String {
                    guard let to else { return "no key cache" }
                    let hits = to.hits - (from?.hits ?? 0), misses = to.misses - (from?.misses ?? 0)
                    let total = hits + misses
                    return total == 0
                        ? "no lookups" : "\(String(format: "%.4f", Double(hits) / Double(total))) (\(hits) hits, \(misses) misses)"
                }
                print(
                    """
                    webhook-ingest backend=\(backend.rawValue) payments=\(payments) owners=\(owners) concurrency=\(concurrency) confirm-with-payOS=\(!noConfirm) client=\(client.rawValue)
                      first deliveries: \(first.summary.operations) in \(String(format: "%.2f", first.summary.elapsed.seconds)) s = \(String(format: "%.0f", first.summary.rate)) webhooks/s  \(first.summary.percentiles)
                      settled: all \(payments) success \(String(format: "%.2f", waited.seconds)) s after the last acknowledgement
                      ack-to-settled: \(settle.isEmpty ? "not measured (--client wrk reads no per-webhook acknowledgement times)" : "p50 \(pct(0.50)) ms  p99 \(pct(0.99)) ms  max \(settle.last ?? 0) ms  min \(settle.first ?? 0) ms  (settled before the 200: \(before)/\(payments))")
                      duplicates:       \(duplicates.summary.operations) in \(String(format: "%.2f", duplicates.summary.elapsed.seconds)) s = \(String(format: "%.0f", duplicates.summary.rate)) webhooks/s  \(duplicates.summary.percentiles)\(passRates)
                      key cache hit ratio: first deliveries + settlement \(ratio(afterSetUp, afterFirst)); duplicates \(ratio(afterFirst, afterDuplicates)); set-up \(ratio(nil, afterSetUp)); entries \(afterDuplicates?.entries ?? 0)
                      webhook key directory (first deliveries): \(directoryAfter.hits - directoryBefore.hits) hits, \(directoryAfter.misses - directoryBefore.misses) misses (owner reads)\(cold ? ", not loaded after set-up (--cold-webhook-keys)" : "")
                      process CPU per webhook (µs, user + system; \(client == .wrk ? "wrk is another process" : "the in-process client included")): first deliveries \((cpuAcknowledged - cpuBefore).microseconds(per: payments)), with settlement \((cpuSettled - cpuBefore).microseconds(per: payments)); duplicates \(cpuDuplicates.microseconds(per: payments * duplicatePasses))
                      every payment success: \(paidAt.count)/\(payments), each settled once with 2 e-mails and 2 web notifications (checked after both passes)
                    """)
            })
    }

    /// Onboards the owners, creates the payments (payment i belongs to owner i mod N) and pays each at the sandbox;
    /// returns the sandbox's signed webhooks with their owner's URL path.
    private static func prepare(
        components: GatehouseComponents, sandbox: PayOSSandbox, channels: [SandboxChannel], payments: Int, concurrency: Int, label: String,
        logger: Logger
    ) async throws -> [Webhook] {
        let owners = try await createOwners(components: components, channels: channels, concurrency: concurrency, label: label, logger: logger)
        let audit = AuditContext(actor: "system:bench")
        let tomorrow = (components.clock.now() / 86_400_000 + 1) * 86_400_000
        let started = ContinuousClock.now
        _ = try await closedLoop(count: payments, concurrency: concurrency) { index in
            let owner = owners[index % owners.count]
            let created = try await createPendingPayment(
                components: components, owner: owner.id, index: index, tomorrow: tomorrow, audit: audit, logger: logger)
            _ = try await sandbox.pay(String(created.payment.orderCode), clientId: channels[index % owners.count].clientId)
        }
        note("\(label): created and paid \(payments) payments in \(String(format: "%.1f", (ContinuousClock.now - started).seconds)) s")
        var paths: [String: String] = [:]
        for (channel, owner) in zip(channels, owners) {
            paths[channel.clientId] = "/webhook/payos/\(components.credentials.webhookKeys.key(for: owner))"
        }
        let webhooks = await sandbox.deliveries().filter { $0.state == .noWebhookURL }.compactMap { delivery in
            paths[delivery.clientId].map { Webhook(orderCode: delivery.orderCode, path: $0, body: delivery.body) }
        }
        guard webhooks.count == payments else { throw ValidationError("expected \(payments) webhooks, the sandbox made \(webhooks.count)") }
        return webhooks
    }

    /// Posts every webhook once, `concurrency` at a time; any answer but 200 fails the run. Returns the latencies and,
    /// per orderCode, the wall-clock time (Unix ms) its 200 was read.
    typealias Delivery = (summary: LatencySummary, acknowledgedAt: [Int64: Int64])

    private func deliver(_ webhooks: [Webhook], gateway: BenchGateway) async throws -> Delivery {
        if client == .wrk { return (try await deliverWithWrk(webhooks, gateway: gateway), [:]) }
        let clock = ContinuousClock()
        let started = clock.now
        let results = try await closedLoop(count: webhooks.count, concurrency: concurrency) { index -> (Int64, Duration, Int64) in
            let webhook = webhooks[index]
            var request = HTTPClientRequest(url: gateway.base + webhook.path)
            request.method = .POST
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(string: webhook.body))
            let sent = clock.now
            let response = try await gateway.client.execute(request, timeout: .seconds(60))
            let answer = try await response.body.collect(upTo: 64 * 1024)
            let latency = clock.now - sent
            let at = WallClock.system.now()
            guard response.status == .ok else {
                throw ValidationError("webhook answered \(response.status.code): \(String(buffer: answer))")
            }
            return (webhook.orderCode, latency, at)
        }
        let elapsed = clock.now - started
        return (
            LatencySummary(elapsed: elapsed, latencies: results.map(\.1)),
            Dictionary(results.map { ($0.0, $0.2) }, uniquingKeysWith: { first, _ in first })
        )
    }

    /// Posts every webhook once with wrk (`--client wrk`): `concurrency` connections over 2 threads, the webhooks in a
    /// file of `<path>\t<body>` lines read by ``wrkScript``; any answer but 200 fails the run.
    private func deliverWithWrk(_ webhooks: [Webhook], gateway: BenchGateway) async throws -> LatencySummary {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("gh-wrk-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("webhooks.tsv")
        var lines = ""
        for webhook in webhooks {
            guard !webhook.body.utf8.contains(where: { $0 == 9 || $0 == 10 }) else { throw ValidationError("a webhook body holds a tab or a newline") }
            lines += "\(webhook.path)\t\(webhook.body)\n"
        }
        try lines.write(to: file, atomically: true, encoding: .utf8)
        let threads = 2
        // Each wrk thread writes <file>.done.<n> once all its webhooks are answered; wrk itself would wait out -d.
        let markers = (0..<threads).map { "\(file.path).done.\($0)" }
        let output = try await runTool(
            "wrk", ["-t\(threads)", "-c\(concurrency)", "-d600s", "--timeout", "60s", "-s", wrkScript, gateway.base, "--", file.path, "\(threads)"],
            interruptWhen: { markers.allSatisfy { FileManager.default.fileExists(atPath: $0) } })
        guard let line = output.split(separator: "\n").last(where: { $0.hasPrefix("webhooks=") }) else {
            throw ValidationError("wrk printed no result line:\n\(output)")
        }
        var fields: [String: Double] = [:]
        for pair in line.split(separator: " ") {
            let parts = pair.split(separator: "=", maxSplits: 1)
            if parts.count == 2, let value = Double(parts[1]) { fields[String(parts[0])] = value }
        }
        let acknowledged = Int(fields["webhooks"] ?? 0), other = Int(fields["other"] ?? 0), errors = Int(fields["errors"] ?? 0)
        guard acknowledged == webhooks.count, other == 0, errors == 0 else {
            throw ValidationError("wrk: \(acknowledged) of \(webhooks.count) webhooks answered 200, \(other) other answers, \(errors) socket errors")
        }
        func micros(_ key: String) -> Duration { .microseconds(Int64(fields[key] ?? 0)) }
        return LatencySummary(
            operations: acknowledged, elapsed: .milliseconds(Int64((fields["seconds"] ?? 0) * 1000)),
            p50: micros("p50_us"), p99: micros("p99_us"), max: micros("max_us"))
    }
}
