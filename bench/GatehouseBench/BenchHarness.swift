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
import Synchronization
import Tenancy
import Vault

/// What a benchmark body gets from ``withBenchGateway(database:channels:port:environment:logLevel:logger:prepare:measure:)``.
struct BenchGateway: Sendable {
    let components: GatehouseComponents
    let sandbox: PayOSSandbox
    /// `http://127.0.0.1:<port>`
    let base: String
    /// A client whose pool holds as many connections per host as the benchmark keeps in flight.
    let client: HTTPClient
}

/// A new random sandbox merchant channel (what an owner would paste from payOS's dashboard).
func makeBenchChannel() -> SandboxChannel {
    SandboxChannel(
        clientId: "bench-" + Hex.encode(SecureRandom.bytes(count: 8)), apiKey: Hex.encode(SecureRandom.bytes(count: 16)),
        checksumKey: Hex.encode(SecureRandom.bytes(count: 32)))
}

/// An HTTP client for load generation. `HTTPClient.shared` keeps at most 8 connections per host, so 16 requests in
/// flight would queue in the client and their wait would count as server latency; this one keeps `connections`.
func makeBenchHTTPClient(connections: Int) -> HTTPClient {
    var configuration = HTTPClient.Configuration()
    configuration.connectionPool = .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: max(8, connections))
    configuration.timeout = .init(connect: .seconds(10), read: .seconds(60))
    return HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
}

/// Runs the in-process payOS sandbox (with `channels`) and ``GatehouseComponents`` on `database`; calls `prepare`
/// (seeding, before the server starts), then serves the real application on 127.0.0.1:`port`, waits for `/health`
/// and calls `measure`. Everything is stopped gracefully afterwards, also when a step throws.
///
/// The environment starts from the benchmark defaults (rate limits lifted, reconciliation out of the way, payments
/// valid a day); `environment` overrides them.
func withBenchGateway<Prepared: Sendable>(
    database: ScratchDatabase, channels: [SandboxChannel], port: Int, connections: Int, environment extra: [String: String] = [:],
    logLevel: String, logger: Logger,
    prepare: @Sendable (GatehouseComponents, PayOSSandbox) async throws -> Prepared,
    measure: @Sendable (BenchGateway, Prepared) async throws -> Void
) async throws {
    let sandbox = PayOSSandbox(configuration: .init(host: "127.0.0.1", port: 0, channels: channels), logger: logger)
    let sandboxGroup = ServiceGroup(configuration: .init(services: [sandbox], gracefulShutdownSignals: [], logger: logger))
    let client = makeBenchHTTPClient(connections: connections)
    do {
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await sandboxGroup.run() }
            defer { group.cancelAll() }
            var environment = [
                "GATEHOUSE_DATA_DIR": database.dataDirectory,
                "GATEHOUSE_PAYOS_BASE_URL": try await sandbox.baseURL(),
                "GATEHOUSE_PAYMENT_TTL_SECONDS": "86400",
                // The benchmarks deliver every webhook themselves; reconciliation must not race them.
                "GATEHOUSE_RECONCILE_FIRST_CHECK_SECONDS": "3600",
                "GATEHOUSE_LOG_LEVEL": logLevel,
            ].merging(benchRateLimits) { $1 }
            if let url = database.url { environment["GATEHOUSE_DATABASE_URL"] = url }
            environment.merge(extra) { $1 }
            let configuration = try GatehouseConfiguration(environment: environment, host: "127.0.0.1", port: port)
            let components = try await GatehouseComponents.open(
                configuration: configuration, masterKeys: try MasterKeyRing(keys: [1: SecureBytes.random(count: 32)]), logger: logger)
            let prepared: Prepared
            do {
                prepared = try await prepare(components, sandbox)
            } catch {
                await components.database.shutdown()
                await sandboxGroup.triggerGracefulShutdown()
                throw error
            }
            let app = buildApplication(components: components, logger: logger)
            let services = ServiceGroup(configuration: .init(services: [app], gracefulShutdownSignals: [], logger: logger))
            group.addTask { try await services.run() }
            let base = "http://127.0.0.1:\(port)"
            do {
                try await waitForHealth(base, client: client)
                try await measure(BenchGateway(components: components, sandbox: sandbox, base: base, client: client), prepared)
            } catch {
                await services.triggerGracefulShutdown()
                await sandboxGroup.triggerGracefulShutdown()
                throw error
            }
            await services.triggerGracefulShutdown()
            await sandboxGroup.triggerGracefulShutdown()
            try await group.waitForAll()
        }
    } catch {
        try? await client.shutdown()
        throw error
    }
    try await client.shutdown()
}

/// Waits (at most 180 s: start-up work such as the first statistics round over 10,000 owners is slow on a loaded
/// machine) until `/health` answers 200.
func waitForHealth(_ base: String, client: HTTPClient) async throws {
    let deadline = ContinuousClock.now + .seconds(180)
    var last = "no answer"
    while ContinuousClock.now < deadline {
        do {
            let response = try await client.execute(HTTPClientRequest(url: base + "/health"), timeout: .seconds(5))
            let body = try await response.body.collect(upTo: 1 << 20)
            if response.status == .ok { return }
            last = "\(response.status.code): \(String(buffer: body).prefix(300))"
        } catch {
            last = "\(error)"
        }
        try await Task.sleep(for: .milliseconds(100))
    }
    throw ValidationError("Gatehouse did not answer /health with 200 on \(base) within 180 s (last: \(last))")
}

/// Runs `operation(0..<count)`, `concurrency` at a time, in index order; returns the results in completion order.
func closedLoop<T: Sendable>(count: Int, concurrency: Int, _ operation: @escaping @Sendable (Int) async throws -> T) async throws -> [T] {
    var results: [T] = []
    results.reserveCapacity(count)
    try await withThrowingTaskGroup(of: T.self) { group in
        var next = 0
        while next < min(concurrency, count) {
            let index = next
            group.addTask { try await operation(index) }
            next += 1
        }
        while let result = try await group.next() {
            results.append(result)
            if next < count {
                let index = next
                group.addTask { try await operation(index) }
                next += 1
            }
        }
    }
    return results
}

/// Runs `operation` on `concurrency` workers until `duration` has passed (each worker finishes the call it is in), or
/// until an operation returns `nil` (out of work); returns the latencies of the calls that finished.
func timedLoop(
    duration: Duration, concurrency: Int, _ operation: @escaping @Sendable (_ worker: Int) async throws -> Duration?
) async throws -> LatencySummary {
    let clock = ContinuousClock()
    let started = clock.now
    let deadline = started + duration
    let perWorker = try await closedLoop(count: concurrency, concurrency: concurrency) { worker -> [Duration] in
        var latencies: [Duration] = []
        while clock.now < deadline, let latency = try await operation(worker) { latencies.append(latency) }
        return latencies
    }
    return LatencySummary(elapsed: clock.now - started, latencies: perWorker.flatMap { $0 })
}

/// Onboards `channels.count` owners (owner row, sealed credentials through `OwnerCredentialsService.store`: the same
/// vault seal and audit row as an operator's `gatehouse owner` command), `concurrency` at a time; result in channel order.
func createOwners(
    components: GatehouseComponents, channels: [SandboxChannel], concurrency: Int, label: String, logger: Logger
) async throws -> [Owner] {
    let audit = AuditContext(actor: "system:bench")
    let started = ContinuousClock.now
    let owners = try await closedLoop(count: channels.count, concurrency: concurrency) { index -> (Int, Owner) in
        let channel = channels[index]
        let owner = try await components.owners.create(name: "Nhà trọ \(index + 1)", email: "owner\(index + 1)@bench.gatehouse.dev", logger: logger)
        _ = try await components.credentials.store(
            owner: owner.id, clientID: channel.clientId, apiKey: channel.apiKey, checksumKey: channel.checksumKey, audit: audit, logger: logger)
        return (index, owner)
    }
    note("\(label): onboarded \(channels.count) owners in \(String(format: "%.1f", (ContinuousClock.now - started).seconds)) s")
    return owners.sorted { $0.0 < $1.0 }.map(\.1)
}

/// Inserts `count` pending bookings (one renter) for `owner` directly, in multi-row `INSERT`s of 500: the pool a
/// payment-link benchmark draws from (each create needs a booking without a live link). Returns their ids, ascending.
func insertBookings(database: any SQLDatabase, owner: OwnerID, count: Int, now: Int64, logger: Logger) async throws -> [Int64] {
    try await database.withTransaction(logger: logger) { connection in
        let renter = try await connection.execute(
            "INSERT INTO renter (owner_id, name, email, phone, created_at) VALUES (\(owner), 'Khách Bench', 'renter@bench.gatehouse.dev', NULL, \(now))")
        guard let renterID = renter.lastInsertID else { throw ValidationError("no renter id") }
        let start = (now / 86_400_000 + 1) * 86_400_000
        var done = 0
        while done < count {
            let batch = min(500, count - done)
            var query: SQLQuery =
                "INSERT INTO booking (owner_id, renter_id, room_title, start_time, end_time, amount, status, payment_status, created_at, updated_at) VALUES "
            for index in done..<(done + batch) {
                let from = start + Int64(index % 1_000) * 3_600_000
                query = query + (index == done ? "" : ", ")
                    + "(\(owner), \(renterID), \("Phòng \(100 + index % 400)"), \(from), \(from + 3_600_000), \(100_000 + Int64(index % 50) * 10_000), 'pending', 'unpaid', \(now), \(now))"
            }
            try await connection.execute(query)
            done += batch
        }
        return try await connection.query("SELECT id FROM booking WHERE owner_id = \(owner) AND renter_id = \(renterID) ORDER BY id")
            .map { try $0.decode("id", as: Int64.self) }
    }
}

/// Hands out each element of a list once, to concurrent workers.
final class WorkQueue<Element: Sendable>: Sendable {
    private let items: [Element]
    private let next = Atomic<Int>(0)

    init(_ items: [Element]) { self.items = items }

    /// The next element, or `nil` when all were handed out.
    func take() -> Element? {
        let index = next.wrappingAdd(1, ordering: .relaxed).oldValue
        return index < items.count ? items[index] : nil
    }

    var handedOut: Int { min(items.count, next.load(ordering: .relaxed)) }
}

/// One row count (`SELECT COUNT(*) AS n …`).
func countRows(_ database: any SQLDatabase, _ query: SQLQuery, logger: Logger) async throws -> Int {
    Int(try await database.query(query, logger: logger).first?.decode("n", as: Int64.self) ?? 0)
}

/// A progress line on stderr (stdout carries the results).
func note(_ text: String) {
    FileHandle.standardError.write(Data((text + "\n").utf8))
}

func millis(_ duration: Duration) -> String { String(format: "%.2f ms", duration.seconds * 1e3) }
