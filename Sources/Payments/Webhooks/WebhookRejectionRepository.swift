// Copyright (c) the Gatehouse authors
public import Logging
public import Storage
public import GatehouseCore

/// Hourly counts of webhooks refused for an invalid or missing signature, per owner (`webhook_rejection`).
///
/// One row per (owner, hour), bumped by a single upsert statement, so concurrent refusals on any number of instances
/// never lose a count (no read-modify-write). A webhook that cannot be attributed to an owner (unknown webhook key,
/// unknown orderCode on the shared route) is counted under ``unknownOwner``.
public struct WebhookRejectionRepository: Sendable {
    /// The `owner_id` stored for refusals no owner could be resolved for (ids start at 1 on both backends).
    public static let unknownOwner: Int64 = 0
    public static let hourMillis: Int64 = 3_600_000

    let database: any SQLDatabase
    let clock: WallClock

    public init(database: any SQLDatabase, clock: WallClock = .system) {
        self.database = database
        self.clock = clock
    }

    /// Counts one refused webhook in the current hour.
    /// - Parameter owner: the resolved owner, or `nil` when none could be resolved.
    public func record(owner: OwnerID?, logger: Logger) async throws {
        let ownerID = owner?.rawValue ?? Self.unknownOwner
        let now = clock.now()
        let hourStart = now - now % Self.hourMillis
        try await database.execute(Self.upsert(ownerID: ownerID, hourStart: hourStart, dialect: database.dialect), logger: logger)
    }

    /// Adds `count` refusals to the owner's row of the hour starting at `hourStart` (a flush of in-memory counts).
    public func add(ownerID: Int64, hourStart: Int64, count: Int64, logger: Logger) async throws {
        try await database.execute(Self.upsert(ownerID: ownerID, hourStart: hourStart, dialect: database.dialect, count: count), logger: logger)
    }

    /// The portable "insert 1 or add 1" statement: SQLite's `ON CONFLICT … DO UPDATE`, MariaDB's `ON DUPLICATE KEY UPDATE`,
    /// both keyed by `ux_webhook_rejection_owner_hour`.
    static func upsert(ownerID: Int64, hourStart: Int64, dialect: SQLDialect, count: Int64 = 1) -> SQLQuery {
        switch dialect {
        case .sqlite:
            """
            INSERT INTO webhook_rejection (owner_id, hour_start, count) VALUES (\(ownerID), \(hourStart), \(count))
            ON CONFLICT (owner_id, hour_start) DO UPDATE SET count = count + \(count)
            """
        case .mariadb:
            """
            INSERT INTO webhook_rejection (owner_id, hour_start, count) VALUES (\(ownerID), \(hourStart), \(count))
            ON DUPLICATE KEY UPDATE count = count + \(count)
            """
        }
    }

    /// The total refused in `[from, to)` (hour rows whose start lies in the range), for one owner or all.
    public func total(owner: OwnerFilter, from: Int64, to: Int64, logger: Logger) async throws -> Int64 {
        let query: SQLQuery =
            switch owner {
            case .all: "SELECT SUM(count) AS n FROM webhook_rejection WHERE hour_start >= \(from) AND hour_start < \(to)"
            case .owner(let id):
                "SELECT SUM(count) AS n FROM webhook_rejection WHERE owner_id = \(id) AND hour_start >= \(from) AND hour_start < \(to)"
            case .unknown:
                "SELECT SUM(count) AS n FROM webhook_rejection WHERE owner_id = \(Self.unknownOwner) AND hour_start >= \(from) AND hour_start < \(to)"
            }
        return try await database.query(query, logger: logger).first.flatMap { try $0.decodeIfPresent("n", as: Int64.self) } ?? 0
    }

    /// Which refusals to count.
    public enum OwnerFilter: Sendable, Hashable {
        case all
        case owner(OwnerID)
        /// Refusals no owner could be resolved for.
        case unknown
    }
}
