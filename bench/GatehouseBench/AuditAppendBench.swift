// Copyright (c) the Gatehouse authors
import ArgumentParser
import Foundation
import GatehouseApp
import Logging
import Storage
import Vault

/// `gatehouse-bench audit-append`: audit appends per second with many concurrent appenders, group-committed and not.
///
/// `--mode group` measures `AuditLog.append(_:database:logger:)`, the standalone path: concurrent appenders share one
/// chain lock and one transaction per batch. `--mode single` measures the path every append took before, one
/// transaction per row (`withTransaction { append(_:on:) }`, which is still what an append inside a caller's own
/// transaction costs). `--mode both` (default) runs group then single on the same database, so the ratio is from one
/// run. Each mode gets a 1 s warm-up; afterwards the chain is verified with the same walk as `gatehouse audit verify`.
///
/// ```
/// swift build -c release --product gatehouse-bench
/// .build/release/gatehouse-bench audit-append --backend mariadb --concurrency 32 --seconds 10
/// .build/release/gatehouse-bench audit-append --backend sqlite --mode group
/// ```
struct AuditAppendBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit-append",
        abstract: "Measure audit appends per second and p50/p99 latency, group-committed and one transaction per append."
    )

    enum Mode: String, ExpressibleByArgument, CaseIterable {
        case group
        case single
        case both
    }

    @Option(help: "sqlite or mariadb.")
    var backend: BenchBackend = .sqlite

    @Option(help: "MariaDB server URL mysql://user:pass@host:port/ (default: $GATEHOUSE_TEST_MARIADB_URL); a scratch database is created and dropped.")
    var url: String?

    @Option(help: "group (shared transactions), single (one transaction per append) or both, in that order.")
    var mode: Mode = .both

    @Option(help: "Measured duration in seconds per mode (after a 1 s warm-up).")
    var seconds: Double = 5

    @Option(help: "Concurrent appending tasks.")
    var concurrency: Int = 32

    @Option(help: "Connection pool size (default: the backend's default, 4 for SQLite, 8 for MariaDB).")
    var poolSize: Int?

    func validate() throws {
        guard seconds > 0, concurrency > 0 else { throw ValidationError("--seconds and --concurrency must be positive") }
    }

    func run() async throws {
        var logger = Logger(label: "gatehouse.bench")
        logger.logLevel = .warning
        let scratch = try await ScratchDatabase.make(backend: backend, url: url, prefix: "audit", logger: logger)
        do {
            try await makeConfiguration(scratch).withDatabase(logger: logger) { database in
                try await database.migrate(logger: logger)
                let log = AuditLog()
                try await log.prepare(database: database, logger: logger)
                var rates: [Mode: Double] = [:]
                for measured in mode == .both ? [Mode.group, .single] : [mode] {
                    let summary = try await measure(measured, log: log, database: database, logger: logger)
                    rates[measured] = summary.rate
                    print("audit-append backend=\(backend.rawValue) mode=\(measured.rawValue) concurrency=\(concurrency) pool=\(database.poolStatistics.maxConnections)")
                    print("  appends: \(summary.operations) in \(String(format: "%.2f", summary.elapsed.seconds)) s = \(String(format: "%.0f", summary.rate)) appends/s")
                    print("  latency: \(summary.percentiles)")
                }
                if let group = rates[.group], let single = rates[.single] {
                    print("  group/single: \(String(format: "%.1f", group / single))×")
                }
                let verification = try await log.verify(database: database, logger: logger)
                print("  audit chain: \(verification.rowsChecked) rows, \(verification.isIntact ? "intact" : "BROKEN at \(String(describing: verification.firstBreak))")")
                guard verification.isIntact else { throw ValidationError("the audit chain does not verify") }
            }
        } catch {
            await scratch.cleanup()
            throw error
        }
        await scratch.cleanup()
    }

    private func makeConfiguration(_ scratch: ScratchDatabase) throws -> DatabaseConfiguration {
        guard let url = scratch.url else {
            var sqlite = SQLiteConfiguration(path: scratch.dataDirectory + "/bench.sqlite")
            if let poolSize { sqlite.maxConnections = poolSize }
            return .sqlite(sqlite)
        }
        var mariaDB = try MariaDBConfiguration(url: url)
        if let poolSize { mariaDB.maxConnections = poolSize }
        return .mariadb(mariaDB)
    }

    // MARK: Measurement

    /// `--concurrency` tasks appending back to back until the deadline (after a 1 s warm-up with the same tasks).
    private func measure(_ mode: Mode, log: AuditLog, database: any SQLDatabase, logger: Logger) async throws -> LatencySummary {
        let clock = ContinuousClock()
        let worker: @Sendable (Int, ContinuousClock.Instant) async throws -> [Duration] = { task, deadline in
            var latencies: [Duration] = []
            var n = 0
            while clock.now < deadline {
                n += 1
                // About the size of a real unseal row.
                let entry = AuditEntry(
                    actor: "system:bench", ownerID: Int64(task * 1_000 + n % 1_000), action: "bench.append",
                    detail: ["purpose": "payment.create", "kek_version": 1, "kinds": ["api_key", "checksum_key", "client_id"]],
                    requestID: "bench-\(task)-\(n)"
                )
                let started = clock.now
                if mode == .single {
                    try await database.withTransaction(logger: logger) { connection in try await log.append(entry, on: connection) }
                } else {
                    try await log.append(entry, database: database, logger: logger)
                }
                latencies.append(clock.now - started)
            }
            return latencies
        }
        try await run(worker, until: clock.now + .seconds(1))
        let start = clock.now
        let latencies = try await run(worker, until: start + .milliseconds(Int64(seconds * 1000)))
        return LatencySummary(elapsed: clock.now - start, latencies: latencies)
    }

    @discardableResult
    private func run(
        _ worker: @escaping @Sendable (Int, ContinuousClock.Instant) async throws -> [Duration], until deadline: ContinuousClock.Instant
    ) async throws -> [Duration] {
        try await withThrowingTaskGroup(of: [Duration].self) { group in
            for task in 0..<concurrency { group.addTask { try await worker(task, deadline) } }
            return try await group.reduce(into: []) { $0.append(contentsOf: $1) }
        }
    }
}
