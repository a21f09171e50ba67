// Copyright (c) the Gatehouse authors
import ArgumentParser
import AsyncHTTPClient
import Foundation
import GatehouseApp
import HTTPTypes
import Hummingbird
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
import GatehouseCore

/// `gatehouse-bench refresh-server`: the real Gatehouse application with N pending payments, next to a bare
/// Hummingbird route that answers the same JSON from memory — the two targets `bench/refresh-status.sh` points
/// wrk at.
///
/// Start-up, in order:
/// 1. an in-process payOS sandbox (loopback, ephemeral port) with one merchant channel;
/// 2. ``GatehouseComponents`` on a fresh database — SQLite in a temporary directory, or a scratch MariaDB
///    database `gh_refresh_<hex>` created on the server of `--url` / `$GATEHOUSE_TEST_MARIADB_URL` (dropped
///    afterwards); a URL that names a database is used as is, and must be empty;
/// 3. an owner with the channel's credentials, and `--payments` bookings with a pending payment each, created
///    through `PaymentService.createPayment` (so through the sandbox, the vault and the audit log);
/// 4. `--urls-file`: one `/payment/refresh-status/<id>?t=<renter token>` per line;
/// 5. the gateway (`buildApplication`) on 127.0.0.1:`--port` and the bare app on 127.0.0.1:`--bare-port`:
///    `GET /bare/{id}` answers the pending body with no middleware, `GET /stats` shows the status view's
///    counters (`{"hits":…,"misses":…,"cached":…}`), so a run can prove that polls never reached the database.
///
/// When both answer, and the gateway's refresh-status body for the first payment has the bare body's size and
/// members (Foundation's JSONEncoder on Linux varies the key order), it prints `READY` on stdout. SIGTERM or SIGINT stops it gracefully; it then prints the counters
/// (`status-view hits=… misses=… cached=…`) and removes the temporary database.
///
/// The URL file holds renter tokens: it is for loopback benchmarks of throwaway data only.
struct RefreshServerBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "refresh-server",
        abstract: "Serve Gatehouse with N pending payments and a bare Hummingbird twin, for wrk (bench/refresh-status.sh)."
    )

    @Option(help: "sqlite or mariadb.")
    var backend: BenchBackend

    @Option(
        help:
            "MariaDB server URL mysql://user:pass@host:port/ (default: $GATEHOUSE_TEST_MARIADB_URL): a scratch database is created and dropped; a URL naming a database uses it, and it must be empty."
    )
    var url: String?

    @Option(help: "Port of the Gatehouse application (127.0.0.1).")
    var port: Int

    @Option(help: "Port of the bare Hummingbird application (127.0.0.1).")
    var barePort: Int

    @Option(help: "Pending payments to create.")
    var payments: Int = 1000

    @Option(help: "Concurrent createPayment calls during set-up.")
    var setupConcurrency: Int = 8

    @Option(help: "File to write the refresh-status paths to, one per line (replaced).")
    var urlsFile: String

    @Option(help: "Log level on stderr (trace … critical).")
    var logLevel: String = "warning"

    func validate() throws {
        guard (1...65_535).contains(port), (1...65_535).contains(barePort), port != barePort else {
            throw ValidationError("--port and --bare-port must be two different ports from 1 to 65535")
        }
        guard (1...100_000).contains(payments) else { throw ValidationError("--payments must be from 1 to 100000") }
        guard (1...64).contains(setupConcurrency) else { throw ValidationError("--setup-concurrency must be from 1 to 64") }
        guard Logger.Level(rawValue: logLevel) != nil else { throw ValidationError("--log-level must be trace, debug, info, notice, warning, error or critical") }
    }

    /// The body `refresh-status` sends for a pending payment in the default (Vietnamese) locale (`redirect` is `null`).
    /// Checked against the real answer before `READY` (same size, same members; the gateway's key order varies).
    static let pendingBody = #"{"status":"pending","message":"Đang chờ thanh toán","payment_status":"pending","redirect":null}"#

    func run() async throws {
        var logger = Logger(label: "gatehouse.bench", factory: { StreamLogHandler.standardError(label: $0) })
        logger.logLevel = Logger.Level(rawValue: logLevel) ?? .warning
        let database = try await ScratchDatabase.make(backend: backend, url: url, prefix: "refresh", logger: logger)
        do {
            try await serve(databaseURL: database.url, dataDirectory: database.dataDirectory, logger: logger)
        } catch {
            await database.cleanup()
            throw error
        }
        await database.cleanup()
    }

    // MARK: Serving

    private func serve(databaseURL: String?, dataDirectory: String, logger: Logger) async throws {
        let channel = SandboxChannel(
            clientId: "bench-" + Hex.encode(SecureRandom.bytes(count: 8)), apiKey: Hex.encode(SecureRandom.bytes(count: 16)),
            checksumKey: Hex.encode(SecureRandom.bytes(count: 32)))
        let sandbox = PayOSSandbox(configuration: .init(host: "127.0.0.1", port: 0, channels: [channel]), logger: logger)

        try await withThrowingTaskGroup(of: Void.self) { group in
            // The sandbox lives until the gateway has stopped; cancelling the group stops it.
            group.addTask { try await sandbox.run() }
            let sandboxURL = try await sandbox.baseURL()

            var environment = [
                "GATEHOUSE_DATA_DIR": dataDirectory,
                "GATEHOUSE_PAYOS_BASE_URL": sandboxURL,
                // Long-lived links: a slow run must not see its payments expire.
                "GATEHOUSE_PAYMENT_TTL_SECONDS": "86400",
                "GATEHOUSE_LOG_LEVEL": logLevel,
            ].merging(benchRateLimits) { $1 }
            if let databaseURL { environment["GATEHOUSE_DATABASE_URL"] = databaseURL }
            let configuration = try GatehouseConfiguration(environment: environment, host: "127.0.0.1", port: port)
            let masterKeys = try MasterKeyRing(keys: [1: SecureBytes.random(count: 32)])
            let components = try await GatehouseComponents.open(configuration: configuration, masterKeys: masterKeys, logger: logger)

            let polls: [PendingPoll]
            do {
                polls = try await createPendingPayments(
                    components: components, channel: channel, count: payments, concurrency: setupConcurrency,
                    label: "refresh-server (\(backend.rawValue))", logger: logger
                ).payments.map { PendingPoll(paymentID: $0.payment.id.rawValue, renterToken: $0.renterToken) }
                try writeURLs(polls)
            } catch {
                await components.database.shutdown()
                throw error
            }

            let bare = makeBareApplication(statusView: components.statusView, logger: logger)
            let readiness = Readiness(
                gatewayBase: "http://127.0.0.1:\(port)", bareBase: "http://127.0.0.1:\(barePort)", probe: polls[0],
                expectedBody: Self.pendingBody)
            let gateway = buildApplication(components: components, logger: logger, extraServices: [bare, readiness])
            try await gateway.runService()

            let view = components.statusView
            say("status-view hits=\(view.hits) misses=\(view.misses) cached=\(view.count)")
            group.cancelAll()
        }
    }

    /// The bare twin: Hummingbird's router with a basic context and no middleware, answering from memory.
    private func makeBareApplication(statusView: PaymentStatusView, logger: Logger) -> some ApplicationProtocol {
        let router = Router(context: BasicRequestContext.self)
        let body = ByteBuffer(string: Self.pendingBody)
        // The same headers the gateway's JSONResponse sets.
        let headers: HTTPFields = [.contentType: "application/json; charset=utf-8", .cacheControl: "no-store"]
        router.get("/bare/{id}") { _, context -> Response in
            guard let id = context.parameters.get("id", as: Int64.self), id > 0 else { return Response(status: .notFound) }
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: body))
        }
        router.get("/stats") { _, _ -> Response in
            let text = #"{"hits":\#(statusView.hits),"misses":\#(statusView.misses),"cached":\#(statusView.count)}"#
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: text)))
        }
        return Application(
            router: router, configuration: .init(address: .hostname("127.0.0.1", port: barePort), serverName: "Gatehouse"),
            logger: logger)
    }

    private func writeURLs(_ polls: [PendingPoll]) throws {
        let text = polls.map { "/payment/refresh-status/\($0.paymentID)?t=\($0.renterToken)\n" }.joined()
        // 0600: the file holds bearer tokens (of throwaway payments, but still).
        guard FileManager.default.createFile(atPath: urlsFile, contents: Data(text.utf8), attributes: [.posixPermissions: 0o600]) else {
            throw ValidationError("cannot write \(urlsFile)")
        }
    }

    // MARK: Set-up

    /// A pending payment and the renter token that polls it.
    struct PendingPoll: Sendable {
        let paymentID: Int64
        let renterToken: String
    }
}

/// Waits until both servers answer, checks that the bare body matches the gateway's (size and members), prints `READY`,
/// then stays up until graceful shutdown (a service that returns would stop the application).
private struct Readiness: Service {
    let gatewayBase: String
    let bareBase: String
    let probe: RefreshServerBench.PendingPoll
    let expectedBody: String

    /// The members of a refresh-status answer.
    struct RefreshBody: Decodable, Equatable {
        let status: String
        let message: String
        let payment_status: String
        let redirect: String?
    }

    struct NotReady: Error, CustomStringConvertible {
        let description: String
    }

    func run() async throws {
        let client = HTTPClient.shared
        let deadline = ContinuousClock.now + .seconds(60)
        while true {
            if let gateway = try? await get(client, gatewayBase + "/health"), gateway.status == 200,
                let bare = try? await get(client, bareBase + "/stats"), bare.status == 200
            {
                break
            }
            guard ContinuousClock.now < deadline else { throw NotReady(description: "the servers did not answer within 60 s") }
            try await Task.sleep(for: .milliseconds(50))
        }
        let real = try await get(client, gatewayBase + "/payment/refresh-status/\(probe.paymentID)?t=\(probe.renterToken)")
        let bare = try await get(client, bareBase + "/bare/\(probe.paymentID)?t=\(probe.renterToken)")
        // Foundation's JSONEncoder on Linux does not keep the keys in declaration order (it varies from one answer
        // to the next), so the bodies must have the same size and the same members, not the same bytes.
        guard real.status == 200, bare.status == 200, real.body.utf8.count == bare.body.utf8.count,
            let realMembers = try? JSONDecoder().decode(RefreshBody.self, from: Data(real.body.utf8)),
            let bareMembers = try? JSONDecoder().decode(RefreshBody.self, from: Data(bare.body.utf8)),
            realMembers == bareMembers, realMembers.redirect == nil
        else {
            throw NotReady(
                description:
                    "refresh-status answered \(real.status) \(real.body) and the bare route \(bare.status) \(bare.body); both must be 200 \(expectedBody)"
            )
        }
        say("refresh-status body: \(real.body.utf8.count) bytes, the same size and members on both servers (e.g. \(real.body))")
        say("READY")
        try await gracefulShutdown()
    }

    private func get(_ client: HTTPClient, _ url: String) async throws -> (status: UInt, body: String) {
        let response = try await client.execute(HTTPClientRequest(url: url), timeout: .seconds(5))
        let body = try await response.body.collect(upTo: 1 << 16)
        return (response.status.code, String(buffer: body))
    }
}

/// A line on stdout, written at once (the script waits for `READY` in a file, so nothing may sit in a buffer).
private func say(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}
