// Copyright (c) the Gatehouse authors
import GatehouseApp
import ArgumentParser
import Foundation
import Logging
import Sodium
import Storage
import Vault
import GatehouseCore

/// `gatehouse-bench vault-unseal`: credential unseals per second and their latency.
///
/// With a backend, each operation is a full `Vault.withCredentials` — one joined read of the
/// owner's sealed set and wrapped data key, the data key unwrapped and three credentials opened
/// into guarded memory, and the `vault.unseal` audit row appended (hash chain, serialised) and
/// committed — for a random owner among `--owners`. With `--crypto-only` it measures the same
/// cryptography with no database: unwrap the data key and open three credentials.
///
/// The database is a temporary SQLite file, or a scratch MariaDB database created on the server of
/// `--url` / `$GATEHOUSE_TEST_MARIADB_URL` and dropped afterwards.
///
/// ```
/// swift build -c release --product gatehouse-bench
/// .build/release/gatehouse-bench vault-unseal --backend sqlite --seconds 5 --concurrency 4
/// .build/release/gatehouse-bench vault-unseal --backend mariadb --url "$GATEHOUSE_TEST_MARIADB_URL" --concurrency 8
/// .build/release/gatehouse-bench vault-unseal --crypto-only --concurrency 2
/// ```
struct VaultUnsealBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vault-unseal",
        abstract: "Measure vault unseals per second (with their audit row) and p50/p99 latency, or the crypto alone."
    )

    enum Backend: String, ExpressibleByArgument, CaseIterable {
        case sqlite
        case mariadb
    }

    @Option(help: "sqlite or mariadb (ignored with --crypto-only).")
    var backend: Backend = .sqlite

    @Option(help: "MariaDB server URL mysql://user:pass@host:port/ (default: $GATEHOUSE_TEST_MARIADB_URL); a scratch database is created and dropped.")
    var url: String?

    @Flag(help: "Measure unwrap + open of a credential set only, without a database or audit row.")
    var cryptoOnly = false

    @Option(help: "Owners with stored credentials to pick from.")
    var owners: Int = 32

    @Option(help: "Measured duration in seconds (after a 1 s warm-up).")
    var seconds: Double = 5

    @Option(help: "Concurrent unsealing tasks.")
    var concurrency: Int = 4

    func validate() throws {
        guard owners > 0, seconds > 0, concurrency > 0 else { throw ValidationError("--owners, --seconds and --concurrency must be positive") }
    }

    func run() async throws {
        var logger = Logger(label: "gatehouse.bench")
        logger.logLevel = .warning
        if cryptoOnly {
            print(try await measureCrypto().report(title: "vault-unseal crypto-only owners=\(owners) concurrency=\(concurrency)"))
            return
        }
        let (configuration, cleanup) = try await makeConfiguration(logger: logger)
        do {
            try await configuration.withDatabase(logger: logger) { database in
                try await database.migrate(logger: logger)
                let vault = Vault(database: database, masterKeys: try MasterKeyRing(keys: [1: SecureBytes.random(count: 32)]))
                try await vault.auditLog.prepare(database: database, logger: logger)
                var ids: [Int64] = []
                for index in 0..<owners {
                    ids.append(try await makeOwner(index, vault: vault, database: database, logger: logger))
                }
                let result = try await measureVault(vault, owners: ids, logger: logger)
                let verification = try await vault.auditLog.verify(database: database, logger: logger)
                print(
                    result.report(
                        title: "vault-unseal backend=\(backend.rawValue) owners=\(owners) concurrency=\(concurrency) pool=\(database.poolStatistics.maxConnections)"
                    )
                )
                print("  audit chain: \(verification.rowsChecked) rows, \(verification.isIntact ? "intact" : "BROKEN at \(String(describing: verification.firstBreak))")")
            }
        } catch {
            await cleanup()
            throw error
        }
        await cleanup()
    }

    // MARK: Setup

    private func makeConfiguration(logger: Logger) async throws -> (DatabaseConfiguration, @Sendable () async -> Void) {
        switch backend {
        case .sqlite:
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("gatehouse-vault-bench-\(UUID().uuidString)")
            return (.sqlite(SQLiteConfiguration(path: directory.appendingPathComponent("bench.sqlite").path)), {
                try? FileManager.default.removeItem(at: directory)
            })
        case .mariadb:
            guard let text = url ?? ProcessInfo.processInfo.environment["GATEHOUSE_TEST_MARIADB_URL"] else {
                throw ValidationError("--backend mariadb needs --url or GATEHOUSE_TEST_MARIADB_URL")
            }
            var server = try MariaDBConfiguration(url: text)
            server.database = nil
            // A scratch database with a code-generated hex name (safe to splice into DDL).
            let name = "gh_vault_bench_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(12).lowercased()
            let admin = DatabaseConfiguration.mariadb(server)
            try await admin.withDatabase(logger: logger) { db in
                try await db.execute(SQLQuery(unsafeSQL: "CREATE DATABASE \(name) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin"), logger: logger)
            }
            var configuration = server
            configuration.database = name
            return (.mariadb(configuration), {
                _ = try? await admin.withDatabase(logger: logger) { db in
                    try await db.execute(SQLQuery(unsafeSQL: "DROP DATABASE IF EXISTS \(name)"), logger: logger)
                }
            })
        }
    }

    private func makeOwner(_ index: Int, vault: Vault, database: any SQLDatabase, logger: Logger) async throws -> Int64 {
        let inserted = try await database.execute(
            """
            INSERT INTO owner (name, email, webhook_key, created_at, updated_at)
            VALUES (\("Bench owner \(index)"), 'bench@example.vn', \(Hex.encode(SecureRandom.bytes(count: 16))), 0, 0)
            """,
            logger: logger
        )
        guard let owner = inserted.lastInsertID else { throw ValidationError("no owner id") }
        try await vault.storeCredentials(
            owner: owner,
            clientID: SecureBytes(utf8: "bench-client-\(UUID().uuidString)"),
            apiKey: SecureBytes(utf8: "bench-api-\(UUID().uuidString)"),
            checksumKey: SecureBytes.random(count: 32).withUnsafeBytes { SecureBytes(utf8: Hex.encode($0)) },
            audit: AuditContext(actor: "system:bench"),
            logger: logger
        )
        return owner
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

        func report(title: String) -> String {
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            func micros(_ d: Duration) -> String {
                String(format: "%.1f µs", Double(d.components.seconds) * 1e6 + Double(d.components.attoseconds) / 1e12)
            }
            return """
                \(title)
                  unseals: \(operations) in \(String(format: "%.2f", seconds)) s = \(String(format: "%.0f", Double(operations) / seconds)) unseals/s
                  latency: p50 \(micros(percentile(0.50)))  p99 \(micros(percentile(0.99)))  max \(micros(latencies.last ?? .zero))
                """
        }
    }

    private func measureVault(_ vault: Vault, owners: [Int64], logger: Logger) async throws -> Result {
        try await measure { deadline in
            let clock = ContinuousClock()
            var latencies: [Duration] = []
            var generator = SystemRandomNumberGenerator()
            let caller = AuditContext(actor: "system:bench", requestID: "bench")
            while clock.now < deadline {
                let owner = owners.randomElement(using: &generator)!
                let started = clock.now
                let length = try await vault.withCredentials(owner: owner, purpose: "bench", audit: caller, logger: logger) { credentials in
                    credentials.checksumKey.count
                }
                latencies.append(clock.now - started)
                guard length == 64 else { throw ValidationError("unexpected checksum key length") }
            }
            return latencies
        }
    }

    private func measureCrypto() async throws -> Result {
        // The same envelopes the vault stores: one wrapped data key and three sealed credentials per owner.
        let kek = SecureBytes.random(count: 32)
        struct Envelope: Sendable {
            var owner: Int64
            var wrapped: [UInt8]
            var sealed: [(CredentialKind, [UInt8])]
        }
        var envelopes: [Envelope] = []
        for owner in 1...Int64(owners) {
            let dataKey = CredentialEnvelope.generateDataKey()
            let sealed = CredentialKind.allCases.map { kind in
                (kind, CredentialEnvelope.seal(SecureBytes.random(count: 40), owner: owner, kind: kind, version: 1, dataKey: dataKey))
            }
            envelopes.append(Envelope(owner: owner, wrapped: CredentialEnvelope.wrapDataKey(dataKey, owner: owner, kekVersion: 1, kek: kek), sealed: sealed))
        }
        let all = envelopes
        return try await measure { deadline in
            let clock = ContinuousClock()
            var latencies: [Duration] = []
            var generator = SystemRandomNumberGenerator()
            while clock.now < deadline {
                let envelope = all.randomElement(using: &generator)!
                let started = clock.now
                let dataKey = try CredentialEnvelope.unwrapDataKey(envelope.wrapped, owner: envelope.owner, kekVersion: 1, kek: kek)
                let opened = try envelope.sealed.map { kind, blob in
                    try CredentialEnvelope.open(blob, owner: envelope.owner, kind: kind, version: 1, dataKey: dataKey)
                }
                opened.forEach { $0.wipe() }
                latencies.append(clock.now - started)
            }
            return latencies
        }
    }

    /// Runs `worker` on `--concurrency` tasks after a 1 s warm-up, and merges their latencies.
    private func measure(_ worker: @escaping @Sendable (ContinuousClock.Instant) async throws -> [Duration]) async throws -> Result {
        let clock = ContinuousClock()
        _ = try await worker(clock.now + .seconds(1))
        let start = clock.now
        let deadline = start + .milliseconds(Int64(seconds * 1000))
        var latencies: [Duration] = []
        try await withThrowingTaskGroup(of: [Duration].self) { group in
            for _ in 0..<concurrency {
                group.addTask { try await worker(deadline) }
            }
            for try await part in group { latencies.append(contentsOf: part) }
        }
        let elapsed = clock.now - start
        latencies.sort()
        return Result(operations: latencies.count, elapsed: elapsed, latencies: latencies)
    }
}
