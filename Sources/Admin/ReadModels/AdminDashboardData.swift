// Copyright (c) the Gatehouse authors
public import Logging
public import Storage
public import Vault
public import GatehouseCore
public import Tenancy

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

/// Where the dashboard reads and writes per-owner rate limits (a protocol so the dashboard does not depend on how
/// limits are stored and enforced).
public protocol AdminRateLimitStore: Sendable {
    /// The owner's explicit limit, or `nil` when it uses the configured default.
    func rateLimit(owner: OwnerID, logger: Logger) async throws -> AdminRateLimit?
    /// Sets the owner's request limit (its payOS cap unchanged), audited, effective on this instance at once.
    /// - Throws: ``TenancyError/Code/validation`` naming an out-of-range field.
    func setRateLimit(owner: OwnerID, _ limit: AdminRateLimit, audit: AuditContext, logger: Logger) async throws
}

/// The dashboard's limits in `owner_rate_limit` (``RateLimitRepository``), applied to this instance's
/// ``TenantRateLimiter`` at once (other instances reload within a second), audited like `PUT /admin/owners/{id}/rate-limit`.
public struct OwnerRateLimitStore: AdminRateLimitStore {
    /// The audit action of a limit change (the same as the JSON API's).
    public static let auditAction = "owner.rate_limit.set"

    let database: any SQLDatabase
    let limits: RateLimitRepository
    let limiter: TenantRateLimiter
    let auditLog: AuditLog

    public init(database: any SQLDatabase, limits: RateLimitRepository, limiter: TenantRateLimiter, clock: WallClock = .system) {
        self.database = database
        self.limits = limits
        self.limiter = limiter
        self.auditLog = AuditLog(clock: clock)
    }

    public func rateLimit(owner: OwnerID, logger: Logger) async throws -> AdminRateLimit? {
        try await limits.get(owner: owner, logger: logger).map { AdminRateLimit(requestsPerSecond: $0.requestsPerSecond, burst: $0.burst) }
    }

    public func setRateLimit(owner: OwnerID, _ limit: AdminRateLimit, audit: AuditContext, logger: Logger) async throws {
        let stored = try await database.withTransaction(logger: logger) { connection in
            let current = try await connection.query(
                "SELECT payos_per_second, payos_burst FROM owner_rate_limit WHERE owner_id = \(owner)\(unescaped: connection.dialect.forUpdate)")
            var wanted = OwnerRateLimit(ownerID: owner, requestsPerSecond: limit.requestsPerSecond, burst: limit.burst)
            if let row = current.first {
                wanted.payOSRequestsPerSecond = try row.decodeIfPresent("payos_per_second")
                wanted.payOSBurst = try row.decodeIfPresent("payos_burst")
            }
            let stored = try await limits.set(wanted, on: connection)
            try await auditLog.append(
                actor: audit.actor, ownerID: owner.rawValue, action: Self.auditAction,
                detail: [
                    "requests_per_second": .int(stored.requestsPerSecond), "burst": .int(stored.burst),
                    "payos_requests_per_second": .int(stored.payOSRequestsPerSecond), "payos_burst": .int(stored.payOSBurst),
                ], requestID: audit.requestID, on: connection)
            return stored
        }
        limiter.apply([stored])
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

/// Where the dashboard's per-owner charts get their series (a protocol so the dashboard does not depend on how
/// metrics are computed).
public protocol AdminPaymentSeries: Sendable {
    /// Points from `from` (inclusive) to `to` (exclusive), one per bucket, empty buckets included.
    func series(owner: OwnerID, from: Int64, to: Int64, bucket: AdminSeriesBucket, logger: Logger) async throws -> [AdminPaymentPoint]
}

/// The dashboard's series from ``PaymentMetrics`` (the same figures as `GET /admin/metrics`: payments counted in the
/// bucket of their creation, day buckets in Vietnam time).
public struct PaymentMetricsSeries: AdminPaymentSeries {
    let metrics: PaymentMetrics

    public init(metrics: PaymentMetrics) {
        self.metrics = metrics
    }

    public func series(owner: OwnerID, from: Int64, to: Int64, bucket: AdminSeriesBucket, logger: Logger) async throws -> [AdminPaymentPoint] {
        let request = try PaymentMetrics.Request(owner: owner, from: from, to: to, bucket: bucket == .hour ? .hour : .day)
        return try await metrics.report(request, logger: logger).buckets.map { point in
            AdminPaymentPoint(
                start: point.start, created: Int(point.summary.paymentsCreated), succeeded: Int(point.summary.paymentsByStatus["success"] ?? 0),
                averageProcessingMillis: point.summary.averageProcessingMillis)
        }
    }
}
