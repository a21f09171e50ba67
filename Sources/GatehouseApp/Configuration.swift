// Copyright (c) the Gatehouse authors
import Foundation
public import Storage
public import Tenancy

/// Everything Gatehouse reads from its environment, validated once at start-up.
///
/// Configuration flows one way: the executable reads the process environment (plus command-line
/// overrides) into this value and passes it down; no other module reads the environment.
///
/// Keys (all optional unless stated):
/// - `GATEHOUSE_HOST` (string, default `127.0.0.1`): address to bind. `--host` overrides.
/// - `GATEHOUSE_PORT` (integer 1–65535, default `8080`): port to bind. `--port` overrides.
/// - `GATEHOUSE_DATA_DIR` (path, default `./.gatehouse`): SQLite file, generated dev master key, dev mail folder.
/// - `GATEHOUSE_DATABASE_URL` (secret, default unset = SQLite at `<data dir>/gatehouse.sqlite`):
///   `mysql://user:pass@host:port/db`, `mysql://user:pass@localhost/db?socket=/path`, or `sqlite:///path`.
/// - `GATEHOUSE_DATABASE_POOL_SIZE` (integer 1–256, default 4 on SQLite, 8 on MariaDB): database connections this
///   instance keeps open at most. On MariaDB, instances × pool size must stay below the server's `max_connections`.
/// - `GATEHOUSE_DATABASE_ACQUIRE_TIMEOUT_MS` (integer 10–600000, default 5000): how long a request waits for a free
///   connection before it is answered 503 `SERVICE_UNAVAILABLE` (a retry may succeed); nothing is written.
/// - `GATEHOUSE_SQLITE_BUSY_TIMEOUT_MS` (integer 0–600000, default 5000): SQLite only, how long a write waits for
///   another connection's (or process's) write lock before the same 503.
/// - `GATEHOUSE_MASTER_KEYS` (secret): versioned vault master keys, `2:<base64>,1:<base64>`.
/// - `GATEHOUSE_MASTER_KEY_FILE` (path): the same in a file readable by its owner only. One of the two is required
///   by `serve`; `dev` generates a key file in the data directory on first run.
/// - `GATEHOUSE_PUBLIC_URL` (URL, default `http://<host>:<port>`): the address renters and payOS reach.
/// - `GATEHOUSE_PAYOS_BASE_URL` (URL, default `https://api-merchant.payos.vn`): `https://`, or `http://` only to a
///   loopback host (`127.0.0.0/8`, `::1`, `localhost`: the dev sandbox and the tests), because owners' payOS keys and
///   signed payment data travel on it.
/// - `GATEHOUSE_PAYOS_CHECKOUT_URL` (URL, default `https://pay.payos.vn/web/`): payOS's hosted checkout, the prefix of a
///   link's page (`<prefix><paymentLinkId>`). Used only for a link recovered after payOS's code 231, whose lookup does
///   not return the page's address. Same scheme rule as the API URL; `dev` points it at its sandbox.
/// - `GATEHOUSE_SMTP_URL` (secret URL, default unset): `smtp://user:pass@host:port` (STARTTLS required) or `smtps://…`; `?tls=none` (plain, never with credentials) for a local relay.
/// - `GATEHOUSE_PAYMENT_TTL_SECONDS` (integer 60–86400, default 900): lifetime of a payment link.
/// - `GATEHOUSE_CHECKSUM_GRACE_SECONDS` (integer 0–2592000, default 86400): how long a rotated checksum key
///   still verifies webhooks.
/// - `GATEHOUSE_MAIL_FROM` (`Name <address>` or an address, default `Gatehouse <no-reply@<public host>>`): e-mail sender.
/// - `GATEHOUSE_WEBHOOK_CONFIRM` (`true`|`false`, default `true`): confirm a webhook's PAID with a GET of the link from
///   payOS before trusting it (turn off only where payOS's API is unreachable from the gateway).
/// - `GATEHOUSE_RECONCILE_FIRST_CHECK_SECONDS` (integer 1–3600, default 30): first reconciliation of a pending payment
///   after its creation (then doubling intervals).
/// - `GATEHOUSE_RECONCILE_INTERVAL_SECONDS` (integer 1–300, default 5): how often the reconciler looks for due payments.
/// - `GATEHOUSE_RECONCILE_LEASE_SECONDS` (integer 5–600, default 60): how long a payment being checked is reserved for
///   the instance checking it (after a crash, another picks it up then). Keep it above payOS's request timeout.
/// - `GATEHOUSE_OUTBOX_LEASE_SECONDS` (integer 5–3600, default 300): how long a claimed e-mail stays with the worker that
///   claimed it before another may retry it (after a crash). Keep it above the SMTP timeout (60 s) in production.
/// - `GATEHOUSE_OUTBOX_POLL_SECONDS` (integer 1–3600, default 5): how often the outbox worker looks for e-mail enqueued
///   by other instances (this instance's own settlements wake it at once).
/// - `GATEHOUSE_KEY_CACHE_CAPACITY` (integer 1–1000000, default 10000): owners whose unsealed payOS keys this instance
///   keeps in guarded memory (320 locked bytes each; least recently used evicted first).
/// - `GATEHOUSE_KEY_CACHE_TTL_SECONDS` (integer 1–86400, default 300): how long an owner's cached keys are used before
///   they are unsealed (and audited) again; bounds how long an idle owner's keys stay in memory.
/// - `GATEHOUSE_WEBHOOK_WORKERS` (integer 1–256, default 8): acknowledged payOS webhooks settled at once on this
///   instance (each is mostly a payOS GET and one transaction).
/// - `GATEHOUSE_WEBHOOK_BURST_HOLDBACK_MS` (integer 0–60000, default 10000): while webhooks keep arriving (one within
///   the last 100 ms), the settlement workers beyond the first leave webhooks younger than this to it, so a burst is
///   acknowledged first (`WebhookInboxWorker`); 0 lets every worker settle at once.
/// - `GATEHOUSE_WEBHOOK_LEASE_SECONDS` (integer 5–600, default 30): how long an instance holds an acknowledged webhook
///   before any instance may settle it (a crashed instance's webhooks are settled elsewhere after this).
/// - `GATEHOUSE_KEY_USE_FLUSH_SECONDS` (integer 1–300, default 5): how often key uses served from the cache, and refused
///   webhooks, are written (aggregated audit rows, hourly refusal counts); a crash loses at most this long's counts.
/// - `GATEHOUSE_LOG_LEVEL` (trace|debug|info|notice|warning|error|critical, default `info`).
/// - `GATEHOUSE_RATE_LIMIT_RPS` / `GATEHOUSE_RATE_LIMIT_BURST` (integers, default 1000 / 2000): each owner's API and
///   renter traffic, fleet-wide, unless an admin set the owner's own limit.
/// - `GATEHOUSE_PAYOS_RATE_LIMIT_RPS` / `GATEHOUSE_PAYOS_RATE_LIMIT_BURST` (integers, default 100 / 200): each owner's
///   calls to payOS.
/// - `GATEHOUSE_IP_RATE_LIMIT_RPS` / `GATEHOUSE_IP_RATE_LIMIT_BURST` (integers, default 100 / 200): per client IP, for
///   traffic no owner can be charged for.
/// - `GATEHOUSE_RENTER_RATE_LIMIT_RPS` / `GATEHOUSE_RENTER_RATE_LIMIT_BURST` (integers, default 2 / 30): per payment,
///   fleet-wide, for requests with the payment's valid renter token (never the owner's budget). One status page tab
///   polls at most every 5 s plus a notification check every 15 s (≈ 0.27/s): 2/s lets several tabs and reloads run
///   freely, 30 covers a page load's burst; a script hammering one payment is cut off after 30 requests.
/// - `GATEHOUSE_RETURN_CONFIRM_SECONDS` (integer 0–60, default 5): payOS's return and cancel redirects (anonymous) ask
///   payOS about a payment at most once per this interval per instance; within it they answer from the stored state.
/// - `GATEHOUSE_AUTH_FAILURE_BURST` / `GATEHOUSE_AUTH_FAILURES_PER_MINUTE` (integers, default 10 / 10): failed owner
///   API key and admin token authentications per client address (IPv6 per /64); past them, requests presenting a
///   credential from that address are refused 429 until the budget refills.
/// - `GATEHOUSE_AUTH_REFUSAL_DELAY_MS` (integer 0–10000, default 1000): such a refusal (and a webhook key's, see
///   `WebhookKeyFailureGuard`) is answered after this hold, capped by its `Retry-After`, so a client posting on
///   keep-alive connections as fast as it is answered gets about one answer per connection per second (``RefusalHold``;
///   at most 4,096 held at once, beyond that answered at once). 0 answers at once.
/// - `GATEHOUSE_TRUSTED_PROXIES` (comma-separated CIDRs, default none): proxies whose `X-Forwarded-For` / `X-Real-IP`
///   name the client; without it the socket peer is the client.
/// - `GATEHOUSE_INSTANCE_HEARTBEAT_SECONDS` (integer 1–60, default 2): instance registry heartbeat; an instance is
///   dead after 3 missed heartbeats.
/// - `GATEHOUSE_IDLE_TIMEOUT_SECONDS` (integer 1–3600, default 75): a connection with no request in progress that reads
///   nothing for this long is closed. Above nginx's upstream `keepalive_timeout` (60 s in deploy/), so the proxy always
///   closes an idle upstream connection first and never sends a request on one Gatehouse is closing.
/// - `GATEHOUSE_REQUEST_HEAD_TIMEOUT_SECONDS` (integer 1–300, default 10): a request head must be complete this long
///   after its first byte (slowloris); a browser or nginx sends it in one packet, 10 s leaves room for a bad mobile link.
/// - `GATEHOUSE_MAX_LONG_POLLS` (integer 1–100000, default 512): `refresh-status?wait=N` requests held at once by this
///   instance; beyond, 503 `LONG_POLLS_EXHAUSTED` with `Retry-After`. 512 is half of the 1,024 file descriptors a
///   service gets by default; raise it with the descriptor limit.
/// - `GATEHOUSE_METRICS_TOKEN` (secret, at least 32 characters, default unset): when set, `GET /metrics` requires
///   `Authorization: Bearer <token>`; unset, `/metrics` is open and must be kept off the internet by the proxy.
public struct GatehouseConfiguration: Sendable, CustomStringConvertible {
    public var host: String
    public var port: Int
    public var dataDirectory: String
    /// Secret: may contain a password.
    public var databaseURL: String?
    /// `GATEHOUSE_DATABASE_POOL_SIZE`, `GATEHOUSE_DATABASE_ACQUIRE_TIMEOUT_MS`, `GATEHOUSE_SQLITE_BUSY_TIMEOUT_MS`
    /// (unset ones keep the backend's defaults).
    public var databasePool: DatabaseConfiguration.PoolSettings
    /// Secret: master key material.
    public var masterKeys: String?
    public var masterKeyFile: String?
    public var publicURL: String
    public var payOSBaseURL: String
    /// Ends with `/`; the payment link id is appended.
    public var payOSCheckoutURL: String
    /// Secret: may contain a password.
    public var smtpURL: String?
    public var paymentTTLSeconds: Int
    public var checksumGraceSeconds: Int
    public var logLevel: String
    public var mailFrom: String?
    public var confirmWebhooksWithPayOS: Bool
    public var reconcileFirstCheckSeconds: Int
    public var reconcileIntervalSeconds: Int
    public var reconcileLeaseSeconds: Int
    public var outboxLeaseSeconds: Int
    public var outboxPollSeconds: Int
    /// `GATEHOUSE_KEY_CACHE_CAPACITY`.
    public var keyCacheCapacity: Int
    /// `GATEHOUSE_KEY_CACHE_TTL_SECONDS`.
    public var keyCacheTTLSeconds: Int
    /// `GATEHOUSE_KEY_USE_FLUSH_SECONDS`.
    public var keyUseFlushSeconds: Int
    /// `GATEHOUSE_WEBHOOK_WORKERS`.
    public var webhookWorkers: Int
    /// `GATEHOUSE_WEBHOOK_BURST_HOLDBACK_MS`.
    public var webhookBurstHoldbackMillis: Int
    /// `GATEHOUSE_WEBHOOK_LEASE_SECONDS`.
    public var webhookLeaseSeconds: Int
    /// Per payment, for its renter's requests.
    public var renterRateLimitRPS: Int
    public var renterRateLimitBurst: Int
    /// How long a payOS confirmation made for a return or cancel redirect stands for later redirects of the payment.
    public var returnConfirmSeconds: Int
    /// Default per-owner request limit (requests per second, burst).
    public var rateLimitRPS: Int
    public var rateLimitBurst: Int
    /// Default per-owner cap on payOS calls.
    public var payOSRateLimitRPS: Int
    public var payOSRateLimitBurst: Int
    /// Per client IP, for traffic not charged to an owner.
    public var ipRateLimitRPS: Int
    public var ipRateLimitBurst: Int
    public var authFailureBurst: Int
    public var authFailuresPerMinute: Int
    /// How long a refusal of a spent failure budget is held before it is answered.
    public var authRefusalDelayMillis: Int
    /// Onboarding proofs (payOS credential submissions) per owner per sliding hour.
    public var onboardingAttemptsPerHour: Int
    /// Comma-separated CIDRs of trusted reverse proxies (validated).
    public var trustedProxies: String
    public var instanceHeartbeatSeconds: Int
    /// Closing idle connections and request heads that do not complete (slowloris).
    public var idleTimeoutSeconds: Int
    public var requestHeadTimeoutSeconds: Int
    /// Long polls this instance holds at once.
    public var maxLongPolls: Int
    /// Secret: the bearer token Prometheus scrapes `/metrics` with (unset: no token required).
    public var metricsToken: String?

    /// Reads and validates the configuration.
    /// - Parameters:
    ///   - environment: the process environment (or a test's dictionary).
    ///   - host: `--host`, which wins over `GATEHOUSE_HOST`.
    ///   - port: `--port`, which wins over `GATEHOUSE_PORT`.
    /// - Throws: ``ConfigurationError`` naming the variable and what is wrong with it (never its value when secret).
    public init(environment: [String: String], host: String? = nil, port: Int? = nil) throws(ConfigurationError) {
        func value(_ key: String) -> String? {
            guard let raw = environment[key]?.trimmingCharacters(in: .whitespacesAndNewlines), !raw.isEmpty else { return nil }
            return raw
        }
        func integer(_ key: String, default defaultValue: Int, range: ClosedRange<Int>) throws(ConfigurationError) -> Int {
            guard let text = value(key) else { return defaultValue }
            guard let number = Int(text), range.contains(number) else {
                throw ConfigurationError(variable: key, problem: "must be an integer from \(range.lowerBound) to \(range.upperBound), got '\(text)'")
            }
            return number
        }

        self.host = host ?? value("GATEHOUSE_HOST") ?? "127.0.0.1"
        if let port {
            guard (1...65535).contains(port) else {
                throw ConfigurationError(variable: "--port", problem: "must be an integer from 1 to 65535, got '\(port)'")
            }
            self.port = port
        } else {
            self.port = try integer("GATEHOUSE_PORT", default: 8080, range: 1...65535)
        }
        self.dataDirectory = value("GATEHOUSE_DATA_DIR") ?? "./.gatehouse"
        self.databaseURL = value("GATEHOUSE_DATABASE_URL")
        if let url = databaseURL {
            let scheme = url.split(separator: ":", maxSplits: 1).first.map(String.init)?.lowercased() ?? ""
            guard ["mysql", "mariadb", "sqlite"].contains(scheme) else {
                throw ConfigurationError(
                    variable: "GATEHOUSE_DATABASE_URL",
                    problem: "must start with mysql://, mariadb:// or sqlite: (the value is not shown: it may hold a password)"
                )
            }
        }
        func optionalInteger(_ key: String, range: ClosedRange<Int>) throws(ConfigurationError) -> Int? {
            value(key) == nil ? nil : try integer(key, default: 0, range: range)
        }
        self.databasePool = .init(
            maxConnections: try optionalInteger("GATEHOUSE_DATABASE_POOL_SIZE", range: 1...256),
            acquireTimeout: try optionalInteger("GATEHOUSE_DATABASE_ACQUIRE_TIMEOUT_MS", range: 10...600_000).map { .milliseconds($0) },
            sqliteBusyTimeout: try optionalInteger("GATEHOUSE_SQLITE_BUSY_TIMEOUT_MS", range: 0...600_000).map { .milliseconds($0) }
        )
        self.masterKeys = value("GATEHOUSE_MASTER_KEYS")
        self.masterKeyFile = value("GATEHOUSE_MASTER_KEY_FILE")
        if masterKeys != nil, masterKeyFile != nil {
            throw ConfigurationError(
                variable: "GATEHOUSE_MASTER_KEYS",
                problem: "set either GATEHOUSE_MASTER_KEYS or GATEHOUSE_MASTER_KEY_FILE, not both"
            )
        }
        self.publicURL = try Self.httpURL(value("GATEHOUSE_PUBLIC_URL"), variable: "GATEHOUSE_PUBLIC_URL")
            ?? "http://\(self.host.contains(":") ? "[\(self.host)]" : self.host):\(self.port)"
        self.payOSBaseURL = try Self.httpURL(value("GATEHOUSE_PAYOS_BASE_URL"), variable: "GATEHOUSE_PAYOS_BASE_URL")
            ?? "https://api-merchant.payos.vn"
        try Self.requireHTTPSUnlessLoopback(
            payOSBaseURL, variable: "GATEHOUSE_PAYOS_BASE_URL", why: "payOS keys and payment data would cross the network in clear")
        let checkout = try Self.httpURL(value("GATEHOUSE_PAYOS_CHECKOUT_URL"), variable: "GATEHOUSE_PAYOS_CHECKOUT_URL")
        if let checkout, checkout.contains("?") || checkout.contains("#") {
            throw ConfigurationError(
                variable: "GATEHOUSE_PAYOS_CHECKOUT_URL", problem: "must not have a query or fragment (the link id is appended), got '\(checkout)'")
        }
        self.payOSCheckoutURL = checkout.map { $0 + "/" } ?? "https://pay.payos.vn/web/"
        try Self.requireHTTPSUnlessLoopback(
            payOSCheckoutURL, variable: "GATEHOUSE_PAYOS_CHECKOUT_URL", why: "renters would be sent to a page anyone on the way can alter")
        self.smtpURL = value("GATEHOUSE_SMTP_URL")
        if let smtp = smtpURL {
            let lower = smtp.lowercased()
            guard lower.hasPrefix("smtp://") || lower.hasPrefix("smtps://") else {
                throw ConfigurationError(
                    variable: "GATEHOUSE_SMTP_URL",
                    problem: "must start with smtp:// or smtps:// (the value is not shown: it may hold a password)"
                )
            }
        }
        self.paymentTTLSeconds = try integer("GATEHOUSE_PAYMENT_TTL_SECONDS", default: 900, range: 60...86_400)
        self.checksumGraceSeconds = try integer("GATEHOUSE_CHECKSUM_GRACE_SECONDS", default: 86_400, range: 0...2_592_000)
        let level = value("GATEHOUSE_LOG_LEVEL")?.lowercased() ?? "info"
        guard ["trace", "debug", "info", "notice", "warning", "error", "critical"].contains(level) else {
            throw ConfigurationError(variable: "GATEHOUSE_LOG_LEVEL", problem: "must be one of trace, debug, info, notice, warning, error, critical")
        }
        self.logLevel = level
        self.mailFrom = value("GATEHOUSE_MAIL_FROM")
        switch value("GATEHOUSE_WEBHOOK_CONFIRM")?.lowercased() {
        case nil, "true", "1", "yes": self.confirmWebhooksWithPayOS = true
        case "false", "0", "no": self.confirmWebhooksWithPayOS = false
        case let other?: throw ConfigurationError(variable: "GATEHOUSE_WEBHOOK_CONFIRM", problem: "must be true or false, got '\(other)'")
        }
        self.reconcileFirstCheckSeconds = try integer("GATEHOUSE_RECONCILE_FIRST_CHECK_SECONDS", default: 30, range: 1...3_600)
        self.reconcileIntervalSeconds = try integer("GATEHOUSE_RECONCILE_INTERVAL_SECONDS", default: 5, range: 1...300)
        self.reconcileLeaseSeconds = try integer("GATEHOUSE_RECONCILE_LEASE_SECONDS", default: 60, range: 5...600)
        self.outboxLeaseSeconds = try integer("GATEHOUSE_OUTBOX_LEASE_SECONDS", default: 300, range: 5...3_600)
        self.outboxPollSeconds = try integer("GATEHOUSE_OUTBOX_POLL_SECONDS", default: 5, range: 1...3_600)
        self.keyCacheCapacity = try integer("GATEHOUSE_KEY_CACHE_CAPACITY", default: 10_000, range: 1...1_000_000)
        self.keyCacheTTLSeconds = try integer("GATEHOUSE_KEY_CACHE_TTL_SECONDS", default: 300, range: 1...86_400)
        self.keyUseFlushSeconds = try integer("GATEHOUSE_KEY_USE_FLUSH_SECONDS", default: 5, range: 1...300)
        self.webhookWorkers = try integer("GATEHOUSE_WEBHOOK_WORKERS", default: 8, range: 1...256)
        self.webhookLeaseSeconds = try integer("GATEHOUSE_WEBHOOK_LEASE_SECONDS", default: 30, range: 5...600)
        self.webhookBurstHoldbackMillis = try integer("GATEHOUSE_WEBHOOK_BURST_HOLDBACK_MS", default: 10_000, range: 0...60_000)
        self.renterRateLimitRPS = try integer("GATEHOUSE_RENTER_RATE_LIMIT_RPS", default: 2, range: 1...100_000)
        self.renterRateLimitBurst = try integer("GATEHOUSE_RENTER_RATE_LIMIT_BURST", default: 30, range: 1...1_000_000)
        self.returnConfirmSeconds = try integer("GATEHOUSE_RETURN_CONFIRM_SECONDS", default: 5, range: 0...60)
        self.rateLimitRPS = try integer("GATEHOUSE_RATE_LIMIT_RPS", default: 1_000, range: 1...100_000)
        self.rateLimitBurst = try integer("GATEHOUSE_RATE_LIMIT_BURST", default: 2_000, range: 1...1_000_000)
        self.payOSRateLimitRPS = try integer("GATEHOUSE_PAYOS_RATE_LIMIT_RPS", default: 100, range: 1...10_000)
        self.payOSRateLimitBurst = try integer("GATEHOUSE_PAYOS_RATE_LIMIT_BURST", default: 200, range: 1...100_000)
        self.ipRateLimitRPS = try integer("GATEHOUSE_IP_RATE_LIMIT_RPS", default: 100, range: 1...100_000)
        self.ipRateLimitBurst = try integer("GATEHOUSE_IP_RATE_LIMIT_BURST", default: 200, range: 1...1_000_000)
        self.authFailureBurst = try integer("GATEHOUSE_AUTH_FAILURE_BURST", default: 10, range: 1...10_000)
        self.authFailuresPerMinute = try integer("GATEHOUSE_AUTH_FAILURES_PER_MINUTE", default: 10, range: 1...60_000)
        self.authRefusalDelayMillis = try integer("GATEHOUSE_AUTH_REFUSAL_DELAY_MS", default: 1_000, range: 0...10_000)
        self.onboardingAttemptsPerHour = try integer("GATEHOUSE_ONBOARDING_ATTEMPTS_PER_HOUR", default: 10, range: 1...1_000)
        self.trustedProxies = value("GATEHOUSE_TRUSTED_PROXIES") ?? ""
        if TrustedProxies(parsing: trustedProxies) == nil {
            throw ConfigurationError(
                variable: "GATEHOUSE_TRUSTED_PROXIES", problem: "must be a comma-separated list of IP networks (CIDR), got '\(trustedProxies)'")
        }
        self.instanceHeartbeatSeconds = try integer("GATEHOUSE_INSTANCE_HEARTBEAT_SECONDS", default: 2, range: 1...60)
        self.idleTimeoutSeconds = try integer("GATEHOUSE_IDLE_TIMEOUT_SECONDS", default: 75, range: 1...3_600)
        self.requestHeadTimeoutSeconds = try integer("GATEHOUSE_REQUEST_HEAD_TIMEOUT_SECONDS", default: 10, range: 1...300)
        self.maxLongPolls = try integer("GATEHOUSE_MAX_LONG_POLLS", default: 512, range: 1...100_000)
        self.metricsToken = value("GATEHOUSE_METRICS_TOKEN")
        if let token = metricsToken, token.utf8.count < 32 || token.contains(where: { $0.isWhitespace }) {
            throw ConfigurationError(
                variable: "GATEHOUSE_METRICS_TOKEN", problem: "must be at least 32 characters without spaces (the value is not shown)")
        }
    }

    /// Points payOS's API and checkout at a sandbox on this machine (`gatehouse dev`): a link recovered after code 231
    /// lives only there, so its checkout page must be the sandbox's too.
    public mutating func useLocalSandbox(port: Int) {
        payOSBaseURL = "http://127.0.0.1:\(port)"
        payOSCheckoutURL = "http://127.0.0.1:\(port)/web/"
    }

    /// The configured default limits.
    public var rateLimitDefaults: TenantRateLimiter.Defaults {
        .init(
            requests: RateLimitPolicy(requestsPerSecond: Double(rateLimitRPS), burst: rateLimitBurst),
            payOS: RateLimitPolicy(requestsPerSecond: Double(payOSRateLimitRPS), burst: payOSRateLimitBurst),
            perIP: RateLimitPolicy(requestsPerSecond: Double(ipRateLimitRPS), burst: ipRateLimitBurst),
            perPayment: RateLimitPolicy(requestsPerSecond: Double(renterRateLimitRPS), burst: renterRateLimitBurst))
    }

    /// The budget of failed authentications per client address.
    public var authFailureLimit: RateLimitPolicy {
        RateLimitPolicy(requestsPerSecond: Double(authFailuresPerMinute) / 60, burst: authFailureBurst)
    }

    /// The trusted proxies (validated at start-up).
    public var trustedProxyNetworks: TrustedProxies { TrustedProxies(parsing: trustedProxies) ?? TrustedProxies() }

    /// Validates an absolute http(s) URL and drops a trailing slash.
    private static func httpURL(_ text: String?, variable: String) throws(ConfigurationError) -> String? {
        guard var text else { return nil }
        guard let url = URL(string: text), let scheme = url.scheme?.lowercased(), ["http", "https"].contains(scheme),
            let host = url.host, !host.isEmpty
        else {
            throw ConfigurationError(variable: variable, problem: "must be an absolute http:// or https:// URL, got '\(text)'")
        }
        while text.hasSuffix("/") { text.removeLast() }
        return text
    }

    /// Refuses a plain `http://` URL unless its host is this machine (the dev sandbox, the tests).
    private static func requireHTTPSUnlessLoopback(_ text: String, variable: String, why: String) throws(ConfigurationError) {
        guard let url = URL(string: text), url.scheme?.lowercased() == "http", !isLoopback(host: url.host ?? "") else { return }
        throw ConfigurationError(
            variable: variable,
            problem: "must be an https:// URL: \(why) (http:// is accepted only for a loopback host: 127.0.0.0/8, ::1 or localhost)")
    }

    /// Whether `host` (as `URL.host` gives it) is this machine's loopback: `localhost`, `::1`, or a dotted-quad
    /// IPv4 address in 127.0.0.0/8 (four decimal parts, so `127.0.0.1.example.com` is not one).
    static func isLoopback(host: String) -> Bool {
        var host = host.lowercased()
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        if host == "localhost" || host == "::1" || host == "0:0:0:0:0:0:0:1" { return true }
        let parts = host.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4,
            parts.allSatisfy({ part in part.count <= 3 && part.allSatisfy { $0.isASCII && $0.isNumber } && (Int(part).map { $0 <= 255 } ?? false) })
        else { return false }
        return parts[0] == "127"
    }

    /// The database as shown to people: scheme and host only, never credentials.
    public var databaseSummary: String {
        guard let url = databaseURL else { return "sqlite (\(dataDirectory)/gatehouse.sqlite)" }
        if url.lowercased().hasPrefix("sqlite") { return "sqlite (\(url.dropFirst("sqlite:".count)))" }
        let afterScheme = url.split(separator: "://", maxSplits: 1, omittingEmptySubsequences: false).last.map(String.init) ?? ""
        let hostPart = afterScheme.split(separator: "@").last.map(String.init) ?? ""
        let host = hostPart.split(separator: "/").first.map(String.init) ?? ""
        return "mariadb (\(host))"
    }

    /// The database to open: ``databaseURL`` (or the data directory's SQLite file) with ``databasePool`` applied.
    public func database() throws(StorageError) -> DatabaseConfiguration {
        try DatabaseConfiguration(url: databaseURL, dataDirectory: dataDirectory).applying(databasePool)
    }

    /// A summary safe to log: secrets are reported only as set or unset.
    public var description: String {
        "host=\(host) port=\(port) dataDir=\(dataDirectory) database=\(databaseSummary) "
            + "masterKeys=\(masterKeys == nil ? (masterKeyFile.map { "file \($0)" } ?? "unset") : "set (redacted)") "
            + "publicURL=\(publicURL) payOS=\(payOSBaseURL) payOSCheckout=\(payOSCheckoutURL) smtp=\(smtpURL == nil ? "unset" : "set (redacted)") "
            + "rateLimit=\(rateLimitRPS)/s burst \(rateLimitBurst) payOSRateLimit=\(payOSRateLimitRPS)/s burst \(payOSRateLimitBurst) "
            + "ipRateLimit=\(ipRateLimitRPS)/s burst \(ipRateLimitBurst) trustedProxies=\(trustedProxies.isEmpty ? "none" : trustedProxies)" + " "
            + "idleTimeout=\(idleTimeoutSeconds)s requestHeadTimeout=\(requestHeadTimeoutSeconds)s maxLongPolls=\(maxLongPolls) "
            + "metricsToken=\(metricsToken == nil ? "unset" : "set (redacted)")"
    }
}

/// A configuration value that cannot be used, with the variable's name and the problem.
public struct ConfigurationError: Error, Hashable, CustomStringConvertible {
    public let variable: String
    public let problem: String

    public var description: String { "configuration error: \(variable) \(problem)" }
}
