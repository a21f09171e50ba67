// Copyright (c) the Gatehouse authors
public import GatehouseCore
public import Logging
import Payments
public import Storage

/// Keeps the console statistics the admin pages read, so no page aggregates payments per request:
/// `owner_window_stats` (every owner over the last 1, 7 and 30 Vietnam days, from the exact `payment_owner_day`
/// rollup) and `platform_bucket_stats` (the platform per hour for 48 hours, from the payments, webhooks and refusals of
/// those hours; per Vietnam day for 30 days, from the rollup).
///
/// A background service runs ``refresh(logger:)`` every ``interval`` on every instance (each round is idempotent and
/// commits per table), so the figures are at most that old; the pages say when they were computed. The cost is
/// bounded by the window, not by the number of requests: at 10,000 owners / 1,000,000 payments a round reads about
/// 300,000 rollup rows and the last 48 hours of payments (see bench/README.md).
public struct AdminStatsRefresher: Sendable {
    /// The windows of the owners list, in Vietnam days (today counts as one).
    public static let windows = [1, 7, 30]
    /// How often the background service refreshes.
    public static let interval: Duration = .seconds(60)

    let database: any SQLDatabase
    let clock: WallClock
    /// Rounds in this process run one at a time (every refresher value shares this gate: the composition root makes
    /// a new one per use): each reads before it writes, so a round that overlapped a later one could otherwise write
    /// older figures over newer ones.
    static let rounds = KeyedSerialGate<Int>()

    public init(database: any SQLDatabase, clock: WallClock = .system) {
        self.database = database
        self.clock = clock
    }

    /// One full round: every window of every owner, then the platform buckets. A round waits for this instance's
    /// round in progress, if any. (Rounds of two instances may overlap: the later write wins and the next round
    /// corrects it, within the figures' stated age of one interval.)
    public func refresh(logger: Logger) async throws {
        try await Self.rounds.withTurn(for: 0) {
            let now = clock.now()
            for window in Self.windows { try await refreshOwners(window: window, now: now, logger: logger) }
            try await refreshPlatform(now: now, logger: logger)
        }
    }

    /// Adds zero rows for owners created since the last round (ids only grow), so a new owner is listed at once; its
    /// figures come with the next round. Cheap when there is none: two index lookups.
    public func addNewOwners(logger: Logger) async throws {
        let newest = try await database.query("SELECT COALESCE(MAX(id), 0) AS n FROM owner", logger: logger).first?.decode("n", as: Int64.self) ?? 0
        let known = try await database.query(
            "SELECT COALESCE(MAX(owner_id), 0) AS n FROM owner_window_stats WHERE window_days = \(Self.windows[0])", logger: logger
        ).first?.decode("n", as: Int64.self) ?? 0
        guard newest > known else { return }
        let now = clock.now()
        try await database.withTransaction(logger: logger) { connection in
            for window in Self.windows {
                try await connection.execute(
                    """
                    \(unescaped: connection.dialect.insertIgnore) INTO owner_window_stats
                        (window_days, owner_id, created, succeeded, volume_vnd, rate_key, last_payment_at, refreshed_at)
                    SELECT \(window), id, 0, 0, 0, -1, 0, \(now) FROM owner WHERE id > \(known)
                    """)
            }
        }
    }

    /// Recomputes one window's figures per owner and writes only the rows that changed, then the window's round time
    /// (``roundTime(window:)``). The figures are read first, by a plain (non-locking) read, and so are the stored rows;
    /// the changes are written after in a short transaction of multi-row upserts: an `INSERT … SELECT` would hold shared
    /// locks on the rollup rows it reads (InnoDB, repeatable read) for the whole statement, stalling the payment inserts
    /// and settlements that update those rows. Rewriting every row instead cost about 1.7 s of database work per round
    /// at 10,000 owners (3 windows × 10,000 rows, 4 indexes each, every minute on every instance) whether or not anything
    /// had changed; now a round's writes are proportional to the owners whose figures moved.
    private func refreshOwners(window: Int, now: Int64, logger: Logger) async throws {
        let firstDay = PaymentRollup.day(of: now) - Int64(window) + 1
        let division = database.dialect == .mariadb ? "DIV" : "/"
        var computed: [Int64: OwnerFigures] = [:]
        for row in try await database.query(
            """
            SELECT o.id AS owner_id, COALESCE(SUM(d.created), 0) AS created, COALESCE(SUM(d.succeeded), 0) AS succeeded,
                COALESCE(SUM(d.volume_vnd), 0) AS volume_vnd,
                CASE WHEN COALESCE(SUM(d.created), 0) = 0 THEN -1
                    ELSE (SUM(d.succeeded) * 20000 \(unescaped: division) SUM(d.created) + 1) \(unescaped: division) 2 END AS rate_key,
                COALESCE((SELECT MAX(l.last_created_at) FROM payment_owner_day l WHERE l.owner_id = o.id), 0) AS last_payment_at
            FROM owner o LEFT JOIN payment_owner_day d ON d.owner_id = o.id AND d.day >= \(firstDay)
            GROUP BY o.id
            """, logger: logger)
        {
            computed[try row.decode("owner_id")] = try OwnerFigures(row)
        }
        var stored: [Int64: OwnerFigures] = [:]
        stored.reserveCapacity(computed.count)
        for row in try await database.query(
            "SELECT owner_id, created, succeeded, volume_vnd, rate_key, last_payment_at FROM owner_window_stats WHERE window_days = \(window)",
            logger: logger)
        {
            stored[try row.decode("owner_id")] = try OwnerFigures(row)
        }
        let changes = OwnerFigures.changes(from: stored, to: computed)
        var values: [SQLQuery] = []
        values.reserveCapacity(changes.changed.count)
        for (owner, f) in changes.changed {
            values.append("(\(window), \(owner), \(f.created), \(f.succeeded), \(f.volumeVND), \(f.rateKey), \(f.lastPaymentAt), \(now))")
        }
        let upsert = database.dialect.onConflictReplace(
            key: ["window_days", "owner_id"], columns: ["created", "succeeded", "volume_vnd", "rate_key", "last_payment_at", "refreshed_at"])
        let round = database.dialect.onConflictReplace(key: ["window_days"], columns: ["refreshed_at"])
        try await database.withTransaction(logger: logger) { [values, removed = changes.removed] connection in
            for chunk in removed.chunks(of: Self.insertChunk) {
                try await connection.execute("DELETE FROM owner_window_stats WHERE window_days = \(window) AND owner_id IN \(list: Array(chunk))")
            }
            for chunk in values.chunks(of: Self.insertChunk) {
                let insert: SQLQuery =
                    "INSERT INTO owner_window_stats (window_days, owner_id, created, succeeded, volume_vnd, rate_key, last_payment_at, refreshed_at) VALUES "
                try await connection.execute(insert + .joined(chunk, separator: ", ") + "\(unescaped: upsert)")
            }
            try await connection.execute(
                "INSERT INTO owner_window_round (window_days, refreshed_at) VALUES (\(window), \(now))\(unescaped: round)")
        }
        logger.debug(
            "owner statistics refreshed",
            metadata: ["window_days": "\(window)", "owners": "\(computed.count)", "changed": "\(values.count)", "removed": "\(changes.removed.count)"])
    }

    /// When the last round finished `window`'s figures (Unix ms); `nil` before the first round.
    public func roundTime(window: Int, logger: Logger) async throws -> Int64? {
        try await database.query("SELECT refreshed_at FROM owner_window_round WHERE window_days = \(window)", logger: logger)
            .first?.decode("refreshed_at", as: Int64.self)
    }

    /// Rows per multi-row insert (8 binds each: well under SQLite's and MariaDB's placeholder limits).
    static let insertChunk = 500

    private func refreshPlatform(now: Int64, logger: Logger) async throws {
        let hour = MetricsBucket.hour, day = MetricsBucket.day
        let firstHour = hour.index(of: now) - 47
        let from = hour.start(ofIndex: firstHour)
        let division = database.dialect == .mariadb ? "DIV" : "/"
        // Code-chosen integers only.
        func key(_ column: String) -> String { "((\(column) + \(MetricsBucket.zoneOffsetMillis)) \(division) \(hour.millis))" }
        var hours: [Int64: PlatformBucket] = [:]
        for index in firstHour...(firstHour + 47) { hours[index] = PlatformBucket(start: hour.start(ofIndex: index)) }
        // The last 48 hours of payments: a range on idx_payment_created_at, once per round (never per request).
        for row in try await database.query(
            """
            SELECT \(unescaped: key("created_at")) AS k, COUNT(*) AS n, SUM(CASE WHEN status = 'success' THEN 1 ELSE 0 END) AS ok,
                SUM(CASE WHEN status = 'success' THEN amount_paid ELSE 0 END) AS vnd,
                SUM(CASE WHEN status = 'success' AND settled_by = 'webhook' THEN 1 ELSE 0 END) AS wh,
                SUM(CASE WHEN status = 'success' AND settled_by = 'reconciliation' THEN 1 ELSE 0 END) AS rc
            FROM payment WHERE created_at >= \(from) GROUP BY k
            """, logger: logger)
        {
            let k: Int64 = try row.decode("k")
            guard hours[k] != nil else { continue }
            hours[k]!.created = try row.decode("n")
            hours[k]!.succeeded = try row.decodeIfPresent("ok") ?? 0
            hours[k]!.volumeVND = try row.decodeIfPresent("vnd") ?? 0
            hours[k]!.byWebhook = try row.decodeIfPresent("wh") ?? 0
            hours[k]!.byReconciliation = try row.decodeIfPresent("rc") ?? 0
        }
        for row in try await database.query(
            """
            SELECT \(unescaped: key("received_at")) AS k, COUNT(*) AS n, SUM(received_at - transaction_at) AS lag, MAX(received_at - transaction_at) AS max_lag
            FROM webhook_inbox WHERE received_at >= \(from) AND transaction_at IS NOT NULL AND outcome IS NOT NULL AND outcome <> 'unknown_order'
            GROUP BY k
            """, logger: logger)
        {
            let k: Int64 = try row.decode("k")
            guard hours[k] != nil else { continue }
            hours[k]!.webhooks = try row.decode("n")
            hours[k]!.webhookLagMillis = try row.decodeIfPresent("lag") ?? 0
            hours[k]!.webhookLagMaxMillis = try row.decodeIfPresent("max_lag") ?? 0
        }
        for row in try await database.query(
            "SELECT \(unescaped: key("hour_start")) AS k, SUM(count) AS n FROM webhook_rejection WHERE hour_start >= \(from) GROUP BY k", logger: logger)
        {
            let k: Int64 = try row.decode("k")
            guard hours[k] != nil else { continue }
            hours[k]!.invalidSignatures = try row.decodeIfPresent("n") ?? 0
        }
        let lastDay = day.index(of: now), firstDay = lastDay - 29
        var days: [Int64: PlatformBucket] = [:]
        for index in firstDay...lastDay { days[index] = PlatformBucket(start: day.start(ofIndex: index)) }
        for row in try await database.query(
            """
            SELECT day, SUM(created) AS n, SUM(succeeded) AS ok, SUM(volume_vnd) AS vnd, SUM(by_webhook) AS wh, SUM(by_reconciliation) AS rc
            FROM payment_owner_day WHERE day >= \(firstDay) GROUP BY day
            """, logger: logger)
        {
            let k: Int64 = try row.decode("day")
            guard days[k] != nil else { continue }
            days[k]!.created = try row.decodeIfPresent("n") ?? 0
            days[k]!.succeeded = try row.decodeIfPresent("ok") ?? 0
            days[k]!.volumeVND = try row.decodeIfPresent("vnd") ?? 0
            days[k]!.byWebhook = try row.decodeIfPresent("wh") ?? 0
            days[k]!.byReconciliation = try row.decodeIfPresent("rc") ?? 0
        }
        let rows = [("hour", hours), ("day", days)]
        try await database.withTransaction(logger: logger) { connection in
            try await connection.execute("DELETE FROM platform_bucket_stats")
            for (name, buckets) in rows {
                for bucket in buckets.values {
                    try await connection.execute(
                        """
                        INSERT INTO platform_bucket_stats (bucket, bucket_start, created, succeeded, volume_vnd, by_webhook, by_reconciliation,
                            webhooks, webhook_lag_ms, webhook_lag_max_ms, invalid_signatures, refreshed_at)
                        VALUES (\(name), \(bucket.start), \(bucket.created), \(bucket.succeeded), \(bucket.volumeVND), \(bucket.byWebhook),
                            \(bucket.byReconciliation), \(bucket.webhooks), \(bucket.webhookLagMillis), \(bucket.webhookLagMaxMillis),
                            \(bucket.invalidSignatures), \(now))
                        """)
                }
            }
        }
    }
}

/// One owner's figures over one window, as `owner_window_stats` holds them.
struct OwnerFigures: Sendable, Hashable {
    var created: Int64
    var succeeded: Int64
    var volumeVND: Int64
    /// Success rate in basis points, -1 without payments.
    var rateKey: Int64
    /// Unix ms of the newest payment ever, 0 without any.
    var lastPaymentAt: Int64

    /// From a row with the table's column names (the round's aggregate reads them under the same names).
    init(_ row: SQLRow) throws {
        created = try row.decode("created")
        succeeded = try row.decode("succeeded")
        volumeVND = try row.decode("volume_vnd")
        rateKey = try row.decode("rate_key")
        lastPaymentAt = try row.decode("last_payment_at")
    }

    /// What a round must write to turn `stored` into `computed`: the owners whose figures are new or differ (in owner
    /// order), and the stored owners no longer computed.
    static func changes(from stored: [Int64: OwnerFigures], to computed: [Int64: OwnerFigures]) -> (changed: [(Int64, OwnerFigures)], removed: [Int64]) {
        let changed = computed.filter { stored[$0.key] != $0.value }.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
        let removed = stored.keys.filter { computed[$0] == nil }.sorted()
        return (changed, removed)
    }
}

extension Array {
    /// Consecutive slices of at most `size` elements.
    fileprivate func chunks(of size: Int) -> [ArraySlice<Element>] {
        stride(from: 0, to: count, by: size).map { self[$0..<Swift.min($0 + size, count)] }
    }
}

/// One bucket of platform-wide figures (``AdminStatsRefresher`` writes them, ``AdminOverviewQuery`` reads them).
public struct PlatformBucket: Sendable, Hashable {
    /// Unix ms, the bucket's first instant.
    public var start: Int64
    public var created: Int64 = 0
    public var succeeded: Int64 = 0
    /// VND received by the successful payments.
    public var volumeVND: Int64 = 0
    public var byWebhook: Int64 = 0
    public var byReconciliation: Int64 = 0
    /// Webhooks received about a payment, their total and largest lag (payOS's transaction time → receipt).
    public var webhooks: Int64 = 0
    public var webhookLagMillis: Int64 = 0
    public var webhookLagMaxMillis: Int64 = 0
    /// Webhooks refused for a bad or missing signature.
    public var invalidSignatures: Int64 = 0

    public init(start: Int64) {
        self.start = start
    }
}
