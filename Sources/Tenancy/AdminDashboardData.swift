// Copyright (c) the Gatehouse authors
public import Logging
public import Storage

// MARK: Rate limits

/// An owner's request rate limit as the dashboard shows and edits it.
public struct AdminRateLimit: Sendable, Hashable {
    public var requestsPerSecond: Int
    public var burst: Int

    public init(requestsPerSecond: Int, burst: Int) {
        self.requestsPerSecond = requestsPerSecond
        self.burst = burst
    }
}

/// Where the dashboard reads and writes per-owner rate limits.
///
/// The rate-limit work (branch `limits`, `RateLimitRepository` over `owner_rate_limit`) is the real home of limits;
/// until it is merged the dashboard uses ``TenantSettingRateLimits`` over v1's `tenant_setting` columns. On merge,
/// conform `RateLimitRepository` to this protocol (its `get(owner:)` / `set(owner:requestsPerSecond:burst:)` map
/// one to one) and pass it instead — the dashboard does not change.
public protocol AdminRateLimitStore: Sendable {
    /// The owner's explicit limit, or `nil` when it uses the configured default.
    func rateLimit(owner: OwnerID, logger: Logger) async throws -> AdminRateLimit?
    /// Sets (replaces) the owner's limit. Values are validated by the caller's rules (positive, bounded).
    func setRateLimit(owner: OwnerID, _ limit: AdminRateLimit, logger: Logger) async throws
}

/// Rate limits in v1's `tenant_setting.rate_limit_rps` / `rate_limit_burst`.
public struct TenantSettingRateLimits: AdminRateLimitStore {
    let database: any SQLDatabase
    let clock: WallClock

    public init(database: any SQLDatabase, clock: WallClock = .system) {
        self.database = database
        self.clock = clock
    }

    public func rateLimit(owner: OwnerID, logger: Logger) async throws -> AdminRateLimit? {
        guard let row = try await database.query(
            "SELECT rate_limit_rps, rate_limit_burst FROM tenant_setting WHERE owner_id = \(owner)", logger: logger
        ).first,
            let rps = try row.decodeIfPresent("rate_limit_rps", as: Int.self), let burst = try row.decodeIfPresent("rate_limit_burst", as: Int.self)
        else { return nil }
        return AdminRateLimit(requestsPerSecond: rps, burst: burst)
    }

    public func setRateLimit(owner: OwnerID, _ limit: AdminRateLimit, logger: Logger) async throws {
        let now = clock.now()
        try await database.withTransaction(logger: logger) { connection in
            let updated = try await connection.execute(
                """
                UPDATE tenant_setting SET rate_limit_rps = \(limit.requestsPerSecond), rate_limit_burst = \(limit.burst), updated_at = \(now)
                WHERE owner_id = \(owner)
                """)
            if updated.affectedRows == 0 {
                try await connection.execute(
                    """
                    INSERT INTO tenant_setting (owner_id, rate_limit_rps, rate_limit_burst, updated_at)
                    VALUES (\(owner), \(limit.requestsPerSecond), \(limit.burst), \(now))
                    """)
            }
        }
    }
}

// MARK: Payment series

/// How wide one point of a chart is.
public enum AdminSeriesBucket: String, Sendable, Hashable, CaseIterable {
    case hour
    case day

    public var millis: Int64 { self == .hour ? 3_600_000 : 86_400_000 }
}

/// One bucket of an owner's payments.
public struct AdminPaymentPoint: Sendable, Hashable {
    /// Unix ms, the bucket's start (UTC).
    public let start: Int64
    /// Payments created in the bucket.
    public let created: Int
    /// Of those, paid (`success`).
    public let succeeded: Int
    /// Mean created → paid time of the paid ones, in ms; `nil` when none was paid.
    public let averageProcessingMillis: Int64?

    /// Paid / created, 0…1; `nil` without payments.
    public var successRate: Double? { created == 0 ? nil : Double(succeeded) / Double(created) }
}

/// Where the dashboard's per-owner charts get their series.
///
/// The metrics work (branch `metrics`, `PaymentMetrics`) is the real source; until it is merged the dashboard uses
/// ``PaymentTableSeries``. On merge, conform `PaymentMetrics` to this protocol and pass it instead.
public protocol AdminPaymentSeries: Sendable {
    /// Points from `from` (inclusive) to `to` (exclusive), one per bucket, empty buckets included.
    func series(owner: OwnerID, from: Int64, to: Int64, bucket: AdminSeriesBucket, logger: Logger) async throws -> [AdminPaymentPoint]
}

/// Series computed from the `payment` table: payments bucketed by `created_at` in UTC.
///
/// Buckets are filled in Swift rather than SQL because the two backends disagree on integer division and on the type
/// `AVG` returns; the range is capped (``maxBuckets``) so the read stays bounded.
public struct PaymentTableSeries: AdminPaymentSeries {
    public static let maxBuckets = 24 * 31

    let database: any SQLDatabase

    public init(database: any SQLDatabase) {
        self.database = database
    }

    public func series(owner: OwnerID, from: Int64, to: Int64, bucket: AdminSeriesBucket, logger: Logger) async throws -> [AdminPaymentPoint] {
        let start = from - (from % bucket.millis)
        let count = Int((to - start + bucket.millis - 1) / bucket.millis)
        guard count > 0 else { return [] }
        guard count <= Self.maxBuckets else { throw TenancyError.validation("the range is too long for \(bucket.rawValue) buckets") }
        var created = [Int](repeating: 0, count: count)
        var succeeded = [Int](repeating: 0, count: count)
        var processing = [Int64](repeating: 0, count: count)
        let rows = try await database.query(
            """
            SELECT created_at, status, paid_at FROM payment
            WHERE owner_id = \(owner) AND created_at >= \(start) AND created_at < \(to)
            """, logger: logger)
        for row in rows {
            let createdAt: Int64 = try row.decode("created_at")
            let index = Int((createdAt - start) / bucket.millis)
            guard (0..<count).contains(index) else { continue }
            created[index] += 1
            if try row.decode("status", as: String.self) == "success", let paidAt = try row.decodeIfPresent("paid_at", as: Int64.self) {
                succeeded[index] += 1
                processing[index] += max(0, paidAt - createdAt)
            }
        }
        return (0..<count).map { i in
            AdminPaymentPoint(
                start: start + Int64(i) * bucket.millis, created: created[i], succeeded: succeeded[i],
                averageProcessingMillis: succeeded[i] == 0 ? nil : processing[i] / Int64(succeeded[i]))
        }
    }
}
