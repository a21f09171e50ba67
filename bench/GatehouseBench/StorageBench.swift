// Copyright (c) the Gatehouse authors
import ArgumentParser
import Foundation
import Logging
import Storage

/// `gatehouse-bench storage-lookup`: primary-key lookups per second and their latency on one backend.
///
/// It fills a scratch table with `--rows` rows, then `--concurrency` tasks each run
/// `SELECT … WHERE id = ?` on random ids for `--seconds`, through the public `SQLDatabase` API (pool,
/// thread pool, prepared-statement cache included). The table (and, for a MariaDB URL without a
/// database, the scratch database) is dropped afterwards.
///
/// ```
/// swift build -c release --product gatehouse-bench
/// .build/release/gatehouse-bench storage-lookup --backend sqlite --rows 10000 --seconds 5
/// .build/release/gatehouse-bench storage-lookup --backend mariadb --url "$GATEHOUSE_TEST_MARIADB_URL" --concurrency 8
/// ```
struct StorageLookupBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "storage-lookup",
        abstract: "Measure primary-key lookups per second and p50/p99 latency on SQLite or MariaDB."
    )

    enum Backend: String, ExpressibleByArgument, CaseIterable {
        case sqlite
        case mariadb
    }

    @Option(help: "sqlite or mariadb.")
    var backend: Backend

    @Option(help: "Database URL. SQLite: sqlite:///path (default: a temporary file). MariaDB: mysql://user:pass@host:port/[db] (default: $GATEHOUSE_TEST_MARIADB_URL); without a database a scratch one is created and dropped.")
    var url: String?

    @Option(help: "Rows in the scratch table.")
    var rows: Int = 10_000

    @Option(help: "Measured duration in seconds (after a 1 s warm-up).")
    var seconds: Double = 5

    @Option(help: "Concurrent lookup tasks.")
    var concurrency: Int = 8

    @Option(help: "Connection pool size (default: the backend's default, 4 for SQLite, 8 for MariaDB).")
    var poolSize: Int?

    func validate() throws {
        guard rows > 0, seconds > 0, concurrency > 0 else { throw ValidationError("--rows, --seconds and --concurrency must be positive") }
    }

    func run() async throws {
        var logger = Logger(label: "gatehouse.bench")
        logger.logLevel = .warning
        let (configuration, cleanup) = try await makeConfiguration(logger: logger)
        do {
            try await configuration.withDatabase(logger: logger) { db in
                try await fill(db, logger: logger)
                let result = try await measure(db, logger: logger)
                try await db.execute("DROP TABLE bench_lookup", logger: logger)
                print(result.report(backend: backend.rawValue, rows: rows, concurrency: concurrency, pool: db.poolStatistics.maxConnections))
            }
        } catch {
            await cleanup()
            throw error
        }
        await cleanup()
    }

    // MARK: Setup

    /// The database to measure, and what to remove afterwards (a temporary file or scratch database).
    private func makeConfiguration(logger: Logger) async throws -> (DatabaseConfiguration, @Sendable () async -> Void) {
        switch backend {
        case .sqlite:
            if let url {
                guard case .sqlite(var sqlite) = try DatabaseConfiguration(url: url, dataDirectory: "") else {
                    throw ValidationError("--backend sqlite needs a sqlite: URL")
                }
                if let poolSize { sqlite.maxConnections = poolSize }
                return (.sqlite(sqlite), {})
            }
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("gatehouse-bench-\(UUID().uuidString)")
            var sqlite = SQLiteConfiguration(path: directory.appendingPathComponent("bench.sqlite").path)
            if let poolSize { sqlite.maxConnections = poolSize }
            return (.sqlite(sqlite), { try? FileManager.default.removeItem(at: directory) })
        case .mariadb:
            guard let text = url ?? ProcessInfo.processInfo.environment["GATEHOUSE_TEST_MARIADB_URL"] else {
                throw ValidationError("--backend mariadb needs --url or GATEHOUSE_TEST_MARIADB_URL")
            }
            var mariaDB = try MariaDBConfiguration(url: text)
            if let poolSize { mariaDB.maxConnections = poolSize }
            guard mariaDB.database == nil else { return (.mariadb(mariaDB), {}) }
            // No database in the URL: a scratch one (code-generated hex name, safe to splice).
            let name = "gh_bench_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(12).lowercased()
            let admin = DatabaseConfiguration.mariadb(mariaDB)
            try await admin.withDatabase(logger: logger) { db in
                try await db.execute(SQLQuery(unsafeSQL: "CREATE DATABASE \(name) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin"), logger: logger)
            }
            mariaDB.database = name
            return (.mariadb(mariaDB), {
                _ = try? await admin.withDatabase(logger: logger) { db in
                    try await db.execute(SQLQuery(unsafeSQL: "DROP DATABASE IF EXISTS \(name)"), logger: logger)
                }
            })
        }
    }

    private func fill(_ db: any SQLDatabase, logger: Logger) async throws {
        let d = db.dialect
        try await db.execute("DROP TABLE IF EXISTS bench_lookup", logger: logger)
        try await db.execute(
            SQLQuery(
                unsafeSQL: """
                    CREATE TABLE bench_lookup (
                        id \(d.bigint) NOT NULL PRIMARY KEY,
                        owner_id \(d.bigint) NOT NULL,
                        label VARCHAR(64) NOT NULL,
                        amount \(d.bigint) NOT NULL
                    )\(d.tableOptions)
                    """
            ),
            logger: logger
        )
        let batch = 250
        for start in stride(from: 1, through: rows, by: batch) {
            let ids = start..<min(start + batch, rows + 1)
            try await db.withTransaction(logger: logger) { connection in
                var query: SQLQuery = "INSERT INTO bench_lookup (id, owner_id, label, amount) VALUES "
                for (offset, id) in ids.enumerated() {
                    if offset > 0 { query = query + ", " }
                    query = query + "(\(id), \(id % 97), \("Phòng \(id) — khách \(id % 1000)"), \(Int64(id) * 1000))"
                }
                try await connection.execute(query)
            }
        }
    }

    // MARK: Measurement

    struct Result {
        var operations: Int
        var elapsed: Duration
        var latencies: [Duration]

        func percentile(_ p: Double) -> Duration {
            guard !latencies.isEmpty else { return .zero }
            let index = min(latencies.count - 1, Int((Double(latencies.count) * p).rounded(.up)) - 1)
            return latencies[max(0, index)]
        }

        func report(backend: String, rows: Int, concurrency: Int, pool: Int) -> String {
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            let rate = Double(operations) / seconds
            func micros(_ d: Duration) -> String {
                String(format: "%.1f µs", Double(d.components.seconds) * 1e6 + Double(d.components.attoseconds) / 1e12)
            }
            return """
                storage-lookup backend=\(backend) rows=\(rows) concurrency=\(concurrency) pool=\(pool)
                  lookups: \(operations) in \(String(format: "%.2f", seconds)) s = \(String(format: "%.0f", rate)) lookups/s
                  latency: p50 \(micros(percentile(0.50)))  p99 \(micros(percentile(0.99)))  max \(micros(latencies.last ?? .zero))
                """
        }
    }

    private func measure(_ db: any SQLDatabase, logger: Logger) async throws -> Result {
        let rows = self.rows
        let clock = ContinuousClock()
        // Warm-up: open the pool's connections and prepare the statement on each.
        _ = try await lookups(db, rows: rows, until: clock.now + .seconds(1), logger: logger)
        let start = clock.now
        let deadline = start + .milliseconds(Int64(seconds * 1000))
        var latencies: [Duration] = []
        try await withThrowingTaskGroup(of: [Duration].self) { group in
            for _ in 0..<concurrency {
                group.addTask { try await lookups(db, rows: rows, until: deadline, logger: logger) }
            }
            for try await part in group { latencies.append(contentsOf: part) }
        }
        let elapsed = clock.now - start
        latencies.sort()
        return Result(operations: latencies.count, elapsed: elapsed, latencies: latencies)
    }

    private func lookups(_ db: any SQLDatabase, rows: Int, until deadline: ContinuousClock.Instant, logger: Logger) async throws -> [Duration] {
        let clock = ContinuousClock()
        var latencies: [Duration] = []
        latencies.reserveCapacity(100_000)
        var generator = SystemRandomNumberGenerator()
        while clock.now < deadline {
            let id = Int64.random(in: 1...Int64(rows), using: &generator)
            let started = clock.now
            let found = try await db.query("SELECT id, owner_id, label, amount FROM bench_lookup WHERE id = \(id)", logger: logger)
            latencies.append(clock.now - started)
            guard found.count == 1 else { throw ValidationError("row \(id) missing") }
        }
        return latencies
    }
}
