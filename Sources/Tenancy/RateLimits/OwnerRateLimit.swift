// Copyright (c) the Gatehouse authors
public import Logging
public import Storage
public import GatehouseCore

/// The limits an admin set for one owner (a row of `owner_rate_limit`); owners without a row get the
/// configured defaults.
public struct OwnerRateLimit: Sendable, Hashable {
    public let ownerID: OwnerID
    /// The owner's API and renter traffic, summed over every instance.
    public var requestsPerSecond: Int
    public var burst: Int
    /// Calls to payOS made for this owner; `nil` = the configured default.
    public var payOSRequestsPerSecond: Int?
    public var payOSBurst: Int?
    /// Unix ms of the last change.
    public var updatedAt: Int64

    public init(
        ownerID: OwnerID, requestsPerSecond: Int, burst: Int, payOSRequestsPerSecond: Int? = nil, payOSBurst: Int? = nil,
        updatedAt: Int64 = 0
    ) {
        self.ownerID = ownerID
        self.requestsPerSecond = requestsPerSecond
        self.burst = burst
        self.payOSRequestsPerSecond = payOSRequestsPerSecond
        self.payOSBurst = payOSBurst
        self.updatedAt = updatedAt
    }

    /// Accepted ranges: requests 1…100 000 per second, burst 1…1 000 000; payOS calls 1…10 000 per second, burst 1…100 000.
    public static let requestsRange = 1...100_000
    public static let burstRange = 1...1_000_000
    public static let payOSRequestsRange = 1...10_000
    public static let payOSBurstRange = 1...100_000

    /// Checks every field, naming the first one that is out of range.
    /// - Throws: ``TenancyError/Code/validation``.
    public func validate() throws(TenancyError) {
        guard Self.requestsRange.contains(requestsPerSecond) else {
            throw .validation("requests_per_second must be an integer from 1 to \(Self.requestsRange.upperBound)")
        }
        guard Self.burstRange.contains(burst) else {
            throw .validation("burst must be an integer from 1 to \(Self.burstRange.upperBound)")
        }
        if payOSBurst != nil, payOSRequestsPerSecond == nil {
            throw .validation("payos_burst needs payos_requests_per_second")
        }
        if let payOSRequestsPerSecond, !Self.payOSRequestsRange.contains(payOSRequestsPerSecond) {
            throw .validation("payos_requests_per_second must be an integer from 1 to \(Self.payOSRequestsRange.upperBound)")
        }
        if let payOSBurst, !Self.payOSBurstRange.contains(payOSBurst) {
            throw .validation("payos_burst must be an integer from 1 to \(Self.payOSBurstRange.upperBound)")
        }
    }
}

/// `owner_rate_limit`: per-owner limits, read by every instance's ``RateLimitReloader``.
public struct RateLimitRepository: SQLRepository {
    public let storage: RepositoryStorage

    public init(storage: RepositoryStorage) {
        self.storage = storage
    }

    /// The owner's stored limits, or `nil` when the owner runs on the defaults.
    public func get(owner: OwnerID, logger: Logger) async throws -> OwnerRateLimit? {
        try await database.query(
            """
            SELECT owner_id, requests_per_second, burst, payos_per_second, payos_burst, updated_at
            FROM owner_rate_limit WHERE owner_id = \(owner)
            """, logger: logger
        ).first.map(Self.decode)
    }

    /// Sets the owner's limits in a transaction of its own. See ``set(_:on:)``.
    @discardableResult
    public func set(
        owner: OwnerID, requestsPerSecond: Int, burst: Int, payOSRequestsPerSecond: Int? = nil, payOSBurst: Int? = nil,
        logger: Logger
    ) async throws -> OwnerRateLimit {
        let limit = OwnerRateLimit(
            ownerID: owner, requestsPerSecond: requestsPerSecond, burst: burst, payOSRequestsPerSecond: payOSRequestsPerSecond,
            payOSBurst: payOSBurst)
        return try await database.withTransaction(logger: logger) { connection in try await set(limit, on: connection) }
    }

    /// Validates and stores `limit` (insert or replace) inside the caller's transaction, stamping `updated_at`
    /// with a time later than the row's previous stamp (so every instance's reload sees the change even when
    /// two writes land in one millisecond). The owner must exist (foreign key).
    /// - Returns: the row as stored.
    public func set(_ limit: OwnerRateLimit, on connection: any SQLConnection) async throws -> OwnerRateLimit {
        try limit.validate()
        let existing = try await connection.query(
            "SELECT updated_at FROM owner_rate_limit WHERE owner_id = \(limit.ownerID)\(unescaped: connection.dialect.forUpdate)"
        ).first
        var stored = limit
        if let existing {
            let previous: Int64 = try existing.decode("updated_at")
            stored.updatedAt = max(clock.now(), previous + 1)
            try await connection.execute(
                """
                UPDATE owner_rate_limit SET requests_per_second = \(Int64(limit.requestsPerSecond)), burst = \(Int64(limit.burst)),
                    payos_per_second = \(limit.payOSRequestsPerSecond.map(Int64.init)), payos_burst = \(limit.payOSBurst.map(Int64.init)),
                    updated_at = \(stored.updatedAt)
                WHERE owner_id = \(limit.ownerID)
                """)
        } else {
            stored.updatedAt = clock.now()
            try await connection.execute(
                """
                INSERT INTO owner_rate_limit (owner_id, requests_per_second, burst, payos_per_second, payos_burst, updated_at)
                VALUES (\(limit.ownerID), \(Int64(limit.requestsPerSecond)), \(Int64(limit.burst)),
                    \(limit.payOSRequestsPerSecond.map(Int64.init)), \(limit.payOSBurst.map(Int64.init)), \(stored.updatedAt))
                """)
        }
        return stored
    }

    /// Rows changed at or after `since` (Unix ms), oldest change first, at most `limit`.
    public func changed(since: Int64, limit: Int = 5_000, logger: Logger) async throws -> [OwnerRateLimit] {
        try await database.query(
            """
            SELECT owner_id, requests_per_second, burst, payos_per_second, payos_burst, updated_at
            FROM owner_rate_limit WHERE updated_at >= \(since) ORDER BY updated_at LIMIT \(Int64(limit))
            """, logger: logger
        ).map(Self.decode)
    }

    static func decode(_ row: SQLRow) throws -> OwnerRateLimit {
        OwnerRateLimit(
            ownerID: try row.decode("owner_id"), requestsPerSecond: Int(try row.decode("requests_per_second", as: Int64.self)),
            burst: Int(try row.decode("burst", as: Int64.self)),
            payOSRequestsPerSecond: try row.decodeIfPresent("payos_per_second", as: Int64.self).map { Int($0) },
            payOSBurst: try row.decodeIfPresent("payos_burst", as: Int64.self).map { Int($0) },
            updatedAt: try row.decode("updated_at"))
    }
}
