// Copyright (c) the Gatehouse authors
import ArgumentParser
import Foundation
import GatehouseApp
import Logging
import PayOSSandbox
import Storage
import Tenancy
import Vault
import GatehouseCore
import Payments

/// The two storage backends a benchmark can run on.
enum BenchBackend: String, ExpressibleByArgument, CaseIterable, Sendable {
    case sqlite
    case mariadb
}

/// A database for one benchmark run: a URL (`nil` = SQLite in `dataDirectory`) and what to remove afterwards.
///
/// SQLite lives in a temporary directory. MariaDB: a scratch database `<prefix>_<hex>` is created on the server of `url`
/// (default `$GATEHOUSE_TEST_MARIADB_URL`) and dropped by `cleanup`; a URL that names a database is used as is and must
/// be empty.
struct ScratchDatabase: Sendable {
    let url: String?
    let dataDirectory: String
    let cleanup: @Sendable () async -> Void

    /// Runs `body` on a scratch database, dropped afterwards (also when `body` throws).
    static func using(backend: BenchBackend, url: String?, prefix: String, logger: Logger, _ body: (ScratchDatabase) async throws -> Void) async throws {
        let database = try await make(backend: backend, url: url, prefix: prefix, logger: logger)
        do {
            try await body(database)
        } catch {
            await database.cleanup()
            throw error
        }
        await database.cleanup()
    }

    static func make(backend: BenchBackend, url: String?, prefix: String, logger: Logger) async throws -> ScratchDatabase {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("gatehouse-\(prefix)-bench-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let removeDirectory: @Sendable () -> Void = { try? FileManager.default.removeItem(at: directory) }
        switch backend {
        case .sqlite:
            return ScratchDatabase(url: nil, dataDirectory: directory.path, cleanup: { removeDirectory() })
        case .mariadb:
            do {
                guard let text = url ?? ProcessInfo.processInfo.environment["GATEHOUSE_TEST_MARIADB_URL"], !text.isEmpty else {
                    throw ValidationError("--backend mariadb needs --url or GATEHOUSE_TEST_MARIADB_URL")
                }
                let server = try MariaDBConfiguration(url: text)
                if server.database != nil {
                    try await DatabaseConfiguration.mariadb(server).withDatabase(logger: logger) { db in
                        let rows = try await db.query("SELECT COUNT(*) AS n FROM information_schema.tables WHERE table_schema = DATABASE()", logger: logger)
                        guard try rows.first?.decode("n", as: Int64.self) == 0 else {
                            throw ValidationError("the database in --url is not empty: name none (a scratch one is made) or an empty one")
                        }
                    }
                    return ScratchDatabase(url: text, dataDirectory: directory.path, cleanup: { removeDirectory() })
                }
                // A scratch database with a code-generated hex name (safe to splice into DDL).
                let name = "gh_\(prefix)_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(12).lowercased()
                guard var components = URLComponents(string: text) else { throw ValidationError("--url is not a URL") }
                components.path = "/" + name
                guard let scratchURL = components.string else { throw ValidationError("--url is not a URL") }
                let admin = DatabaseConfiguration.mariadb(server)
                try await admin.withDatabase(logger: logger) { db in
                    try await db.execute(SQLQuery(unsafeSQL: "CREATE DATABASE \(name) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin"), logger: logger)
                }
                return ScratchDatabase(
                    url: scratchURL, dataDirectory: directory.path,
                    cleanup: {
                        _ = try? await admin.withDatabase(logger: logger) { db in
                            try await db.execute(SQLQuery(unsafeSQL: "DROP DATABASE IF EXISTS \(name)"), logger: logger)
                        }
                        removeDirectory()
                    })
            } catch {
                removeDirectory()
                throw error
            }
        }
    }
}

/// Rate limits out of the way: a benchmark drives one owner far beyond any production limit on purpose (the limiter
/// itself still runs on every request, so its cost is measured).
let benchRateLimits = [
    "GATEHOUSE_RATE_LIMIT_RPS": "100000", "GATEHOUSE_RATE_LIMIT_BURST": "1000000",
    "GATEHOUSE_PAYOS_RATE_LIMIT_RPS": "10000", "GATEHOUSE_PAYOS_RATE_LIMIT_BURST": "100000",
    "GATEHOUSE_IP_RATE_LIMIT_RPS": "100000", "GATEHOUSE_IP_RATE_LIMIT_BURST": "1000000",
    // refresh-status polls each payment thousands of times a second; a renter's page polls it once every few seconds.
    "GATEHOUSE_RENTER_RATE_LIMIT_RPS": "100000", "GATEHOUSE_RENTER_RATE_LIMIT_BURST": "1000000",
]

/// The `index`-th benchmark booking of `owner` (its own room, day and amount) with its pending payment, made through
/// `PaymentService.createPayment`. `tomorrow` is the start of the next day (Unix ms), so every booking is in the future.
func createPendingPayment(
    components: GatehouseComponents, owner: OwnerID, index: Int, tomorrow: Int64, audit: AuditContext, logger: Logger
) async throws -> CreatedPayment {
    let start = tomorrow + Int64(index % 500) * 86_400_000 + 7 * 3_600_000
    let (booking, _) = try await components.bookings.create(
        owner: owner,
        NewBooking(
            roomTitle: "Phòng \(100 + index % 400)", startTime: start, endTime: start + 3 * 3_600_000,
            amount: 100_000 + Int64(index % 50) * 10_000, renterName: "Khách \(index)",
            renterEmail: "renter\(index)@bench.gatehouse.dev", renterPhone: nil),
        logger: logger)
    let created = try await components.payments.createPayment(
        owner: owner, PaymentRequest(bookingID: booking.id), idempotencyKey: nil, audit: audit, logger: logger)
    guard created.payment.status == .pending else {
        throw ValidationError("payment \(created.payment.id.rawValue) is \(created.payment.status.rawValue), not pending")
    }
    return created
}

/// An owner onboarded with a sandbox channel's credentials and `count` bookings with a pending payment each, created
/// through `PaymentService.createPayment` (so through the sandbox, the vault and the audit log), `concurrency` at a time.
func createPendingPayments(
    components: GatehouseComponents, channel: SandboxChannel, count: Int, concurrency: Int, label: String, logger: Logger
) async throws -> (owner: Owner, payments: [CreatedPayment]) {
    let audit = AuditContext(actor: "system:bench")
    let owner = try await components.owners.create(name: "Nhà trọ Benchmark", email: "bench-owner@gatehouse.dev", logger: logger)
    _ = try await components.credentials.store(
        owner: owner.id, clientID: channel.clientId, apiKey: channel.apiKey, checksumKey: channel.checksumKey, audit: audit,
        logger: logger)
    let tomorrow = (components.clock.now() / 86_400_000 + 1) * 86_400_000
    let started = ContinuousClock.now

    @Sendable func make(_ index: Int) async throws -> CreatedPayment {
        try await createPendingPayment(components: components, owner: owner.id, index: index, tomorrow: tomorrow, audit: audit, logger: logger)
    }

    var payments: [CreatedPayment] = []
    payments.reserveCapacity(count)
    try await withThrowingTaskGroup(of: CreatedPayment.self) { group in
        var next = 0
        while next < min(concurrency, count) {
            let index = next
            group.addTask { try await make(index) }
            next += 1
        }
        while let created = try await group.next() {
            payments.append(created)
            if next < count {
                let index = next
                group.addTask { try await make(index) }
                next += 1
            }
        }
    }
    let elapsed = ContinuousClock.now - started
    FileHandle.standardError.write(
        Data("\(label): created \(count) pending payments in \(String(format: "%.1f", elapsed.seconds)) s\n".utf8))
    return (owner, payments.sorted { $0.payment.id.rawValue < $1.payment.id.rawValue })
}

/// Latencies of one measured run.
struct LatencySummary: Sendable {
    var operations: Int
    var elapsed: Duration
    /// Sorted ascending (empty when the percentiles were measured elsewhere, e.g. by wrk).
    var latencies: [Duration]
    /// p50, p99 and max from another tool's histogram, when ``latencies`` is empty.
    private var measured: [Duration]?

    init(elapsed: Duration, latencies: [Duration]) {
        self.operations = latencies.count
        self.elapsed = elapsed
        self.latencies = latencies.sorted()
    }

    /// A summary whose percentiles another tool measured (wrk's latency histogram).
    init(operations: Int, elapsed: Duration, p50: Duration, p99: Duration, max: Duration) {
        self.operations = operations
        self.elapsed = elapsed
        self.latencies = []
        self.measured = [p50, p99, max]
    }

    var rate: Double { Double(operations) / elapsed.seconds }

    func percentile(_ p: Double) -> Duration {
        if let measured { return p <= 0.5 ? measured[0] : p < 1 ? measured[1] : measured[2] }
        guard !latencies.isEmpty else { return .zero }
        let index = min(latencies.count - 1, Int((Double(latencies.count) * p).rounded(.up)) - 1)
        return latencies[max(0, index)]
    }

    /// `p50 1.2 ms  p99 4.5 ms  max 9.9 ms`
    var percentiles: String {
        func millis(_ d: Duration) -> String { String(format: "%.2f ms", d.seconds * 1e3) }
        return "p50 \(millis(percentile(0.50)))  p99 \(millis(percentile(0.99)))  max \(millis(measured?[2] ?? latencies.last ?? .zero))"
    }
}

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}

/// Runs a program found on `PATH` to completion off the cooperative pool and returns its standard output; a non-zero
/// exit fails with its standard error. With `interruptWhen`, the program gets SIGINT once that returns `true` (checked
/// every 10 ms).
///
/// Every blocking wait (the two pipe reads, the wait for both) runs on a `Thread` of its own. On Linux,
/// `DispatchQueue.global()` is the very pool Swift's global executor runs on (as wide as the machine has cores): two
/// blocking reads there took both of this machine's threads while wrk ran, and the gateway measured in this process
/// answered nothing until libdispatch noticed and added a thread, 60–760 ms later (seen on the wire: every connection's
/// first request waited that long, with both cores idle; wrk's coordinated-omission correction then made it its p99).
func runTool(_ name: String, _ arguments: [String], interruptWhen: (@Sendable () -> Bool)? = nil) async throws -> String {
    let process = Process()
    let watcher = Task {
        guard let interruptWhen else { return }
        while !Task.isCancelled, !interruptWhen() { try? await Task.sleep(for: .milliseconds(10)) }
        if !Task.isCancelled, process.isRunning { process.interrupt() }
    }
    defer { watcher.cancel() }
    return try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<String, any Error>) in
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        // A child inherits its spawning thread's signal mask, and this process's threads block SIGINT (signals are
        // handled by ServiceLifecycle): python3 unblocks it and execs the tool, so `interrupt()` reaches it.
        process.arguments = interruptWhen == nil ? [name] + arguments : ["python3", "-c", unblockSIGINTAndExec, name] + arguments
        let output = Pipe(), errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        // Read both pipes as they fill (a full pipe would block the tool), on threads of their own.
        let collected = OutputCollector()
        let readers = DispatchGroup()
        for (pipe, isError) in [(output, false), (errors, true)] {
            readers.enter()
            Thread {
                let data = pipe.fileHandleForReading.readDataToEndOfFile()
                collected.set(data, isError: isError)
                readers.leave()
            }.start()
        }
        process.terminationHandler = { process in
            let status = process.terminationStatus
            Thread {
                readers.wait()
                let (stdout, stderr) = collected.texts
                if status == 0 {
                    continuation.resume(returning: stdout)
                } else {
                    continuation.resume(throwing: ValidationError("\(name) exited with \(status): \(stderr)\(stdout)"))
                }
            }.start()
        }
        do {
            try process.run()
        } catch {
            continuation.resume(throwing: ValidationError("could not run \(name): \(error)"))
        }
    }
}

private let unblockSIGINTAndExec = "import os, signal, sys; signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT}); os.execvp(sys.argv[1], sys.argv[1:])"

private final class OutputCollector: @unchecked Sendable {
    // Guarded by `lock`: the two pipe readers write, the termination handler reads after both finished.
    private let lock = NSLock()
    private var stdout = Data(), stderr = Data()

    func set(_ data: Data, isError: Bool) {
        lock.withLock { if isError { stderr = data } else { stdout = data } }
    }

    var texts: (String, String) {
        lock.withLock { (String(decoding: stdout, as: UTF8.self), String(decoding: stderr, as: UTF8.self)) }
    }
}

/// CPU time (user + system) this process has used so far: what a phase cost the gateway, read as a difference. A
/// shared machine's other tenants move wall-clock rates a lot and CPU per operation much less.
func processCPUTime() -> Duration {
    var usage = rusage()
    guard getrusage(RUSAGE_SELF.rawValue, &usage) == 0 else { return .zero }
    func duration(_ time: timeval) -> Duration { .seconds(Int64(time.tv_sec)) + .microseconds(Int64(time.tv_usec)) }
    return duration(usage.ru_utime) + duration(usage.ru_stime)
}

extension Duration {
    /// Microseconds per operation, for reports.
    func microseconds(per operations: Int) -> String {
        String(format: "%.0f", operations == 0 ? 0 : seconds * 1e6 / Double(operations))
    }
}
