// Copyright (c) the Gatehouse authors
import ArgumentParser
import Foundation
import GatehouseApp
import Logging
import PayOSSandbox
import Storage
import Tenancy

/// `gatehouse-bench process-payment`: payment links created per second through `POST /payment/process_payment`, and
/// their latency — the gateway's overhead per create, since the in-process payOS sandbox answers at zero latency.
///
/// Set-up: the sandbox (one channel, no fault, no latency), the real application over a fresh database, one owner
/// with the channel's credentials and an API key, `--bookings` pending bookings inserted directly. Then `--warmup`
/// seconds and `--seconds` measured seconds of creates on `--connections` keep-alive connections, each create on a
/// booking of its own (answer 201 required: each is a new link at payOS, a payment row, its audit of key use). Rate
/// limits are lifted as in the other benchmarks (`benchRateLimits`: the owner's API and payOS budgets, the per-address
/// limit), so nothing is throttled; the limiters still run on every request.
struct ProcessPaymentBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "process-payment",
        abstract: "Measure POST /payment/process_payment per second and its latency (payOS sandbox at zero latency)."
    )

    @Option(help: "sqlite or mariadb.")
    var backend: BenchBackend

    @Option(help: "MariaDB server URL mysql://user:pass@host:port/ (default: $GATEHOUSE_TEST_MARIADB_URL); a scratch database is created and dropped.")
    var url: String?

    @Option(help: "Port for the Gatehouse application (127.0.0.1).")
    var port: Int = 18_091

    @Option(help: "Connections creating links at once.")
    var connections: Int = 16

    @Option(help: "Measured seconds.")
    var seconds: Double = 10

    @Option(help: "Warm-up seconds before the measurement.")
    var warmup: Double = 1

    @Option(help: "Pending bookings made beforehand (one per create; the run stops early when they are used up).")
    var bookings: Int = 40_000

    @Option(help: "Log level on stderr (trace … critical).")
    var logLevel: String = "warning"

    func validate() throws {
        guard (1...65_535).contains(port) else { throw ValidationError("--port must be from 1 to 65535") }
        guard (1...256).contains(connections) else { throw ValidationError("--connections must be from 1 to 256") }
        guard seconds > 0, seconds <= 600, warmup >= 0, warmup <= 60 else { throw ValidationError("--seconds must be 0–600, --warmup 0–60") }
        guard (1...1_000_000).contains(bookings) else { throw ValidationError("--bookings must be from 1 to 1000000") }
        guard Logger.Level(rawValue: logLevel) != nil else { throw ValidationError("--log-level must be trace, debug, info, notice, warning, error or critical") }
    }

    func run() async throws {
        var console = Logger(label: "gatehouse.bench", factory: { StreamLogHandler.standardError(label: $0) })
        console.logLevel = Logger.Level(rawValue: logLevel) ?? .warning
        let logger = console
        let database = try await ScratchDatabase.make(backend: backend, url: url, prefix: "create", logger: logger)
        let channel = makeBenchChannel()
        let (bookings, connections, seconds, warmup, backend) = (self.bookings, self.connections, self.seconds, self.warmup, self.backend)
        do {
            try await withBenchGateway(
                database: database, channels: [channel], port: port, connections: connections, logLevel: logLevel, logger: logger,
                prepare: { components, _ in
                    let owner = try await createOwners(components: components, channels: [channel], concurrency: 1, label: "process-payment", logger: logger)[0]
                    return try await PaymentLinkLoad.prepare(components: components, owner: owner, bookings: bookings, logger: logger)
                },
                measure: { gateway, prepared in
                    let load = PaymentLinkLoad(
                        client: gateway.client, url: gateway.base + "/payment/process_payment", apiKey: prepared.apiKey, forwardedFor: nil,
                        bookings: WorkQueue(prepared.bookings))
                    if warmup > 0 { _ = try await load.run(seconds: warmup, connections: connections, label: "warm-up") }
                    let summary = try await load.run(seconds: seconds, connections: connections, label: "process-payment")
                    let links = try await countRows(gateway.components.database, "SELECT COUNT(*) AS n FROM payment", logger: logger)
                    guard links == load.bookings.handedOut else {
                        throw ValidationError("\(links) payment rows for \(load.bookings.handedOut) creates")
                    }
                    print(
                        """
                        process-payment backend=\(backend.rawValue) connections=\(connections) payOS=in-process sandbox, latency 0 ms
                          creates: \(summary.operations) in \(String(format: "%.2f", summary.elapsed.seconds)) s = \(String(format: "%.0f", summary.rate)) creates/s  \(summary.percentiles)
                          every create answered 201 with a new link; payment rows \(links) = creates (warm-up included)
                        """)
                })
        } catch {
            await database.cleanup()
            throw error
        }
        await database.cleanup()
    }
}
