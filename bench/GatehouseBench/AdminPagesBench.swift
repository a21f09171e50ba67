// Copyright (c) the Gatehouse authors
import Admin
import ArgumentParser
import AsyncHTTPClient
import Foundation
import GatehouseApp
import GatehouseCore
import Logging
import NIOCore
import NIOHTTP1
import Sodium
import Payments
import ServiceLifecycle
import Storage
import Tenancy
import Vault

/// `gatehouse-bench admin-pages`: the admin overview and owners list at platform scale, through the real HTTP stack
/// with a signed-in admin session, on MariaDB.
///
/// 1. Seeds a scratch database (or `--database-url`, kept, re-used when already seeded) with `--owners` owners and
///    `--payments` payments over `--days` days in every status, server-side (`INSERT … SELECT` from MariaDB's
///    sequence engine, in batches), then rebuilds `payment_owner_day` (``PaymentRollup/rebuild(database:logger:)``)
///    and runs one ``AdminStatsRefresher`` round (its duration is printed: the background cost per minute).
/// 2. Signs in on the dashboard and renders each page `--requests` times one after another: p50 / p99.
struct AdminPagesBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "admin-pages", abstract: "Seed 10,000 owners / 1,000,000 payments and time the admin overview and owners list.")

    @Option(help: "MariaDB server URL (default: $GATEHOUSE_TEST_MARIADB_URL); a scratch database is made and dropped.")
    var url: String?

    @Option(help: "A MariaDB database URL to seed once and keep (re-used as is when it already holds owners).")
    var databaseURL: String?

    @Option var owners: Int = 10_000
    @Option var payments: Int = 1_000_000
    @Option(help: "Days the payments are spread over (ending now).") var days: Int = 32
    @Option(help: "Renders of each page.") var requests: Int = 30
    @Option(help: "Port for the Gatehouse application (127.0.0.1).") var port: Int = 18_093

    /// Redirects are answers here (the sign-in's 303 carries the session cookie), not something to follow.
    static let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: .init(redirectConfiguration: .disallow))

    /// A fixed bench-only master key, so a kept database opens again on the next run.
    static var masterKey: SecureBytes { SecureBytes(copying: Array(repeating: UInt8(0x42), count: 32)) }

    func run() async throws {
        var logger = Logger(label: "gatehouse.bench", factory: { StreamLogHandler.standardError(label: $0) })
        logger.logLevel = .warning
        if let databaseURL {
            try await measure(databaseURL: databaseURL, dataDirectory: FileManager.default.temporaryDirectory.path, logger: logger)
        } else {
            let database = try await ScratchDatabase.make(backend: .mariadb, url: url, prefix: "admin", logger: logger)
            do {
                try await measure(databaseURL: database.url ?? "", dataDirectory: database.dataDirectory, logger: logger)
            } catch {
                await database.cleanup()
                throw error
            }
            await database.cleanup()
        }
    }

    private func measure(databaseURL: String, dataDirectory: String, logger: Logger) async throws {
        let environment = [
            "GATEHOUSE_DATA_DIR": dataDirectory, "GATEHOUSE_DATABASE_URL": databaseURL, "GATEHOUSE_LOG_LEVEL": "warning",
            "GATEHOUSE_PAYOS_BASE_URL": "http://127.0.0.1:9",
        ].merging(benchRateLimits) { $1 }
        let configuration = try GatehouseConfiguration(environment: environment, host: "127.0.0.1", port: port)
        let components = try await GatehouseComponents.open(
            configuration: configuration, masterKeys: try MasterKeyRing(keys: [1: Self.masterKey]), logger: logger)
        let database = components.database
        let existing = try await database.query("SELECT COUNT(*) AS n FROM owner", logger: logger).first?.decode("n", as: Int64.self) ?? 0
        if existing == 0 {
            let started = ContinuousClock.now
            try await seed(database, now: components.clock.now(), logger: logger)
            note("seeded \(owners) owners and \(payments) payments over \(days) days in \(format(ContinuousClock.now - started))")
        }
        let refreshStarted = ContinuousClock.now
        try await components.adminStats.refresh(logger: logger)
        note("one statistics refresh round (all windows + platform buckets): \(format(ContinuousClock.now - refreshStarted))")
        // The steady state: the next round finds the owners' figures unchanged and writes none of their rows.
        let secondStarted = ContinuousClock.now
        try await components.adminStats.refresh(logger: logger)
        note("the next round, no figure changed: \(format(ContinuousClock.now - secondStarted))")

        let token = try await components.adminTokens.create(name: "bench", logger: logger)
        let app = buildApplication(components: components, logger: logger)
        let services = ServiceGroup(configuration: .init(services: [app], gracefulShutdownSignals: [], logger: logger))
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await services.run() }
            defer { group.cancelAll() }
            try await Task.sleep(for: .seconds(1))
            let base = "http://127.0.0.1:\(port)"
            let cookie = try await signIn(base: base, token: token.secret)
            // A later keyset page: follow "next" 40 times (owners 2,001–2,050) under the rate sort.
            var later = "/admin/dashboard/owners?window=7&sort=rate&dir=asc"
            for _ in 0..<40 {
                let body = try await get(base + later, cookie: cookie).body
                guard let next = Self.nextHref(body) else { break }
                later = next
            }
            let pages: [(String, String)] = [
                ("overview", "/admin/dashboard"),
                ("owners, first page (id)", "/admin/dashboard/owners"),
                ("owners, page 41 (rate asc, keyset)", later),
                ("owners, rate asc", "/admin/dashboard/owners?window=7&sort=rate&dir=asc"),
                ("owners, rate desc", "/admin/dashboard/owners?window=7&sort=rate&dir=desc"),
                ("owners, volume desc (30 d)", "/admin/dashboard/owners?window=30&sort=volume&dir=desc"),
                ("owners, volume asc (today)", "/admin/dashboard/owners?window=1&sort=volume&dir=asc"),
                ("owners, last payment desc", "/admin/dashboard/owners?window=7&sort=last&dir=desc"),
                ("owners, status asc", "/admin/dashboard/owners?window=7&sort=status&dir=asc"),
                ("owners, status desc", "/admin/dashboard/owners?window=7&sort=status&dir=desc"),
                ("owners, search name", "/admin/dashboard/owners?q=tr%E1%BB%8D%204242"),
                ("owners, search e-mail", "/admin/dashboard/owners?q=owner777%40"),
                ("owners, search id", "/admin/dashboard/owners?q=9999"),
            ]
            print("admin-pages owners=\(owners) payments=\(payments) requests=\(requests) (sequential, one connection each)")
            for (name, path) in pages {
                var latencies: [Duration] = []
                for _ in 0..<requests {
                    let started = ContinuousClock.now
                    let (status, _) = try await get(base + path, cookie: cookie)
                    latencies.append(ContinuousClock.now - started)
                    guard status == 200 else { throw ValidationError("\(path) answered \(status)") }
                }
                print("  \(name.padding(toLength: 36, withPad: " ", startingAt: 0)) \(LatencySummary(elapsed: .zero, latencies: latencies).percentiles)")
            }
            await services.triggerGracefulShutdown()
            try await group.waitForAll()
        }
    }

    // MARK: Seeding

    private func seed(_ database: any SQLDatabase, now: Int64, logger: Logger) async throws {
        let span = Int64(days) * 86_400_000
        // Every value below is a code-chosen integer, so the statements are spliced text.
        func run(_ sql: String) async throws { try await database.execute(SQLQuery(unsafeSQL: sql), logger: logger) }
        try await run(
            """
            INSERT INTO owner (name, email, status, onboarding_state, webhook_key, created_at, updated_at)
            SELECT CONCAT('Nhà trọ ', seq), CONCAT('owner', seq, '@bench.gatehouse.dev'), IF(seq % 50 = 0, 'suspended', 'active'),
                IF(seq % 10 = 0, 'pending', 'active'), CONCAT('bench-', seq), \(now - span), \(now - span)
            FROM seq_1_to_\(owners)
            """)
        try await run(
            "INSERT INTO renter (owner_id, name, email, phone, created_at) SELECT id, 'Khách', CONCAT('renter', id, '@bench.gatehouse.dev'), NULL, \(now - span) FROM owner")
        try await run(
            """
            INSERT INTO booking (owner_id, renter_id, room_title, start_time, end_time, amount, status, payment_status, created_at, updated_at)
            SELECT r.owner_id, r.id, 'Phòng 101', \(now), \(now + 3_600_000), 100000, 'pending', 'unpaid', \(now - span), \(now - span) FROM renter r
            """)
        // Owner k (1-based, ids follow) gets a share that falls with k (k² skew) and a success rate of 60–92 % by k mod 5.
        let batch = 100_000
        var done = 0
        while done < payments {
            let count = min(batch, payments - done)
            try await run(
                """
                INSERT INTO payment (payment_code, order_code, amount, currency, status, amount_paid, underpaid, settled_by, renter_token_hash,
                    expires_at, created_at, updated_at, paid_at, booking_id, owner_id, renter_id, refund_reason, refund_flagged_at)
                SELECT CONCAT('bench', x.n), 1000000000 + x.n, x.amount, 'VND', x.status,
                    CASE WHEN x.status = 'success' THEN x.amount WHEN x.status = 'pending' AND x.n % 2 = 0 THEN x.amount DIV 2 ELSE 0 END,
                    IF(x.status = 'pending' AND x.n % 2 = 0, 1, 0),
                    CASE WHEN x.status = 'success' THEN IF(x.n % 10 < 8, 'webhook', 'reconciliation') WHEN x.status = 'pending' THEN NULL ELSE 'reconciliation' END,
                    UNHEX('00'), x.created + 900000, x.created, x.created, IF(x.status = 'success', x.created + 60000 + x.n % 600000, NULL),
                    b.id, b.owner_id, b.renter_id,
                    IF(x.status = 'expired' AND x.n % 997 = 0, 'paid_after_expiry', NULL), IF(x.status = 'expired' AND x.n % 997 = 0, x.created + 1000000, NULL)
                FROM (
                    SELECT y.n, y.o, y.created, y.amount,
                        CASE WHEN y.n % 2000 = 0 THEN 'pending'
                            WHEN (y.n * 31) % 1000 < 600 + (y.o % 5) * 80 THEN 'success'
                            WHEN (y.n * 31) % 1000 < 900 THEN 'expired'
                            WHEN (y.n * 31) % 1000 < 960 THEN 'cancelled' ELSE 'failed' END AS status
                    FROM (
                        SELECT s.seq AS n, 1 + FLOOR(\(owners) * POW(((s.seq * 48271) % 2147483647) / 2147483647, 2)) AS o,
                            \(now) - ((s.seq * 7777) % \(span)) AS created, 100000 + (s.seq % 50) * 10000 AS amount
                        FROM seq_\(done + 1)_to_\(done + count) s
                    ) y
                ) x JOIN booking b ON b.owner_id = (SELECT MIN(id) FROM owner) + x.o - 1
                """)
            done += count
            note("  \(done) payments")
        }
        // One processed webhook per webhook-settled success of the last 48 hours, 1–5 s after payOS's transaction time.
        try await run(
            """
            INSERT INTO webhook_inbox (owner_id, order_code, reference, payment_link_id, amount, body, received_at, processed_at, outcome, transaction_at)
            SELECT owner_id, order_code, CONCAT('ref', id), NULL, amount, '{}', paid_at + 1000 + id % 4000, paid_at + 1100 + id % 4000, 'paid', paid_at
            FROM payment WHERE created_at >= \(now - 48 * 3_600_000) AND settled_by = 'webhook' AND status = 'success'
            """)
        try await PaymentRollup.rebuild(database: database, logger: logger)
    }

    // MARK: HTTP

    private func signIn(base: String, token: String) async throws -> String {
        let form = try await Self.client.execute(HTTPClientRequest(url: base + "/admin/sign-in"), timeout: .seconds(10))
        let html = String(buffer: try await form.body.collect(upTo: 1 << 20))
        guard let csrf = Self.hidden("csrf", in: html),
            let pre = form.headers["set-cookie"].first(where: { $0.hasPrefix("gh_admin_signin=") })?.split(separator: ";").first
        else { throw ValidationError("no sign-in form") }
        var request = HTTPClientRequest(url: base + "/admin/sign-in")
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
        request.headers.add(name: "Cookie", value: String(pre))
        request.body = .bytes(ByteBuffer(string: "csrf=\(csrf)&token=\(token.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")"))
        let response = try await Self.client.execute(request, timeout: .seconds(10))
        guard let session = response.headers["set-cookie"].first(where: { $0.hasPrefix("gh_admin=") })?.split(separator: ";").first
        else { throw ValidationError("sign-in failed: \(response.status.code)") }
        return String(session)
    }

    private func get(_ url: String, cookie: String) async throws -> (status: UInt, body: String) {
        var request = HTTPClientRequest(url: url)
        request.headers.add(name: "Cookie", value: cookie)
        let response = try await Self.client.execute(request, timeout: .seconds(30))
        return (response.status.code, String(buffer: try await response.body.collect(upTo: 8 << 20)))
    }

    static func hidden(_ name: String, in html: String) -> String? {
        guard let range = html.range(of: #"name="\#(name)" value=""#) else { return nil }
        return String(html[range.upperBound...].prefix { $0 != "\"" })
    }

    /// The "next page" link's target (the template writes `<a href="…" id="next-page"`).
    static func nextHref(_ html: String) -> String? {
        guard let marker = html.range(of: #"" id="next-page""#), let open = html.range(of: #"href=""#, options: .backwards, range: html.startIndex..<marker.lowerBound)
        else { return nil }
        return String(html[open.upperBound..<marker.lowerBound]).replacingOccurrences(of: "&amp;", with: "&")
    }

    private func note(_ text: String) { FileHandle.standardError.write(Data((text + "\n").utf8)) }

    private func format(_ d: Duration) -> String { String(format: "%.1f s", d.seconds) }
}
