// Copyright (c) the Gatehouse authors
import Foundation
public import GatehouseCore
public import Logging
public import Storage
public import Tenancy

/// The admins' owners list at platform scale: search, sort and keyset paging over `owner_window_stats` joined with
/// `owner`, on indexes, so a page costs the same with 10 owners or 10,000 and never aggregates payments.
///
/// Sorting is a total order: the chosen key, then the owner id, both in the chosen direction, so pages neither repeat
/// nor skip an owner when many share a value (every owner without payments has rate -1, volume 0). The cursor is the
/// last row's key and id. Figures are ``AdminStatsRefresher``'s (at most its interval old).
public struct AdminOwnerList: Sendable {
    public enum Sort: String, Sendable, CaseIterable {
        case id, rate, volume, last, status

        /// The sorted column (code-chosen, spliced).
        var column: String {
            switch self {
            case .id: "s.owner_id"
            case .rate: "s.rate_key"
            case .volume: "s.volume_vnd"
            case .last: "s.last_payment_at"
            case .status: "o.status"
            }
        }
    }

    /// A position in the list: the last row's sort value and owner id. As text: `<value>_<id>`.
    public struct Cursor: Sendable, Hashable {
        public var value: String
        public var ownerID: Int64

        public init(value: String, ownerID: Int64) {
            self.value = value
            self.ownerID = ownerID
        }

        public init?(_ text: String, sort: Sort) {
            guard let split = text.lastIndex(of: "_"), let id = Int64(text[text.index(after: split)...]) else { return nil }
            let value = String(text[..<split])
            switch sort {
            case .status: guard Owner.Status(rawValue: value) != nil else { return nil }
            default: guard Int64(value) != nil else { return nil }
            }
            self.init(value: value, ownerID: id)
        }

        public var text: String { "\(value)_\(ownerID)" }
    }

    public struct Request: Sendable, Hashable {
        public var window: Int
        public var sort: Sort
        public var descending: Bool
        public var search: String?
        public var after: Cursor?
        public var limit: Int

        public init(window: Int = 7, sort: Sort = .id, descending: Bool = false, search: String? = nil, after: Cursor? = nil, limit: Int = 50) {
            self.window = AdminStatsRefresher.windows.contains(window) ? window : 7
            self.sort = sort
            self.descending = descending
            self.search = search.map { $0.trimmingCharacters(in: .whitespaces) }.flatMap { $0.isEmpty ? nil : $0 }
            self.after = after
            self.limit = max(1, min(limit, 200))
        }
    }

    public struct Row: Sendable, Hashable {
        public var owner: Owner
        public var created: Int64
        public var succeeded: Int64
        public var volumeVND: Int64
        /// Basis points; `nil` without payments in the window.
        public var successRateBasisPoints: Int64?
        /// Unix ms of the newest payment ever; `nil` without any.
        public var lastPaymentAt: Int64?
    }

    public struct Page: Sendable, Hashable {
        public var rows: [Row]
        /// The cursor of the next page; `nil` on the last page.
        public var next: Cursor?
        /// When the statistics round last finished this window (Unix ms): the figures' age. `nil` before the first round.
        public var refreshedAt: Int64?
    }

    let database: any SQLDatabase
    let refresher: AdminStatsRefresher

    public init(database: any SQLDatabase, refresher: AdminStatsRefresher) {
        self.database = database
        self.refresher = refresher
    }

    public func page(_ request: Request, logger: Logger) async throws -> Page {
        try await refresher.addNewOwners(logger: logger)
        let direction = request.descending ? "DESC" : "ASC"
        let column = request.sort.column
        var query: SQLQuery =
            """
            SELECT o.id, o.name, o.email, o.status, o.onboarding_state, o.webhook_key, o.created_at, o.updated_at,
                s.created AS n_created, s.succeeded AS n_succeeded, s.volume_vnd, s.rate_key, s.last_payment_at
            FROM owner_window_stats s JOIN owner o ON o.id = s.owner_id
            WHERE s.window_days = \(request.window)
            """
        if let search = request.search, search.hasPrefix("#"), let id = Int64(search.dropFirst()) {
            query = query + " AND o.id = \(id)"  // "#42": that owner only
        } else if let search = request.search {
            let pattern = "%" + Self.escapeLike(search.lowercased()) + "%"
            var match: SQLQuery = " AND (LOWER(o.name) LIKE \(pattern) ESCAPE '!' OR LOWER(o.email) LIKE \(pattern) ESCAPE '!'"
            if let id = Int64(search) { match = match + " OR o.id = \(id)" }
            query = query + match + ")"
        }
        if let after = request.after {
            let comparison = request.descending ? "<" : ">"
            switch request.sort {
            case .id:
                query = query + " AND s.owner_id \(unescaped: comparison) \(after.ownerID)"
            case .status:
                query = query
                    + " AND (o.status \(unescaped: comparison) \(after.value) OR (o.status = \(after.value) AND o.id \(unescaped: comparison) \(after.ownerID)))"
            default:
                let value = Int64(after.value) ?? 0
                query = query
                    + " AND (\(unescaped: column) \(unescaped: comparison) \(value) OR (\(unescaped: column) = \(value) AND s.owner_id \(unescaped: comparison) \(after.ownerID)))"
            }
        }
        let tieBreak = request.sort == .status ? "o.id" : "s.owner_id"
        query = query + (request.sort == .id
            ? " ORDER BY s.owner_id \(unescaped: direction)"
            : " ORDER BY \(unescaped: column) \(unescaped: direction), \(unescaped: tieBreak) \(unescaped: direction)")
        query = query + " LIMIT \(request.limit + 1)"
        var rows: [Row] = []
        for row in try await database.query(query, logger: logger) {
            let rate: Int64 = try row.decode("rate_key"), last: Int64 = try row.decode("last_payment_at")
            rows.append(
                Row(
                    owner: try OwnerRepository.decode(row), created: try row.decode("n_created"), succeeded: try row.decode("n_succeeded"),
                    volumeVND: try row.decode("volume_vnd"), successRateBasisPoints: rate < 0 ? nil : rate, lastPaymentAt: last > 0 ? last : nil))
        }
        var next: Cursor?
        if rows.count > request.limit {
            rows.removeLast()
            if let last = rows.last { next = Self.cursor(of: last, sort: request.sort) }
        }
        return Page(rows: rows, next: next, refreshedAt: try await refresher.roundTime(window: request.window, logger: logger))
    }

    /// The cursor just after `row` in `sort` order.
    public static func cursor(of row: Row, sort: Sort) -> Cursor {
        let value: String
        switch sort {
        case .id: value = "0"
        case .rate: value = String(row.successRateBasisPoints ?? -1)
        case .volume: value = String(row.volumeVND)
        case .last: value = String(row.lastPaymentAt ?? 0)
        case .status: value = row.owner.status.rawValue
        }
        return Cursor(value: value, ownerID: row.owner.id.rawValue)
    }

    /// What a row shows besides its figures, for the owners of one page in three queries (never one per row):
    /// the active payOS credentials' version and client-id hint (Vault's `vault_credential`), the stored rate limit
    /// (Tenancy's `owner_rate_limit`) and open refunds (flagged, not resolved: `idx_payment_refund_flagged`).
    public struct RowDetails: Sendable, Hashable {
        public var credentialsVersion: Int?
        public var clientIDHint: String?
        public var requestsPerSecond: Int?
        public var burst: Int?
        public var openRefunds: Int64 = 0
    }

    public func details(owners: [OwnerID], logger: Logger) async throws -> [OwnerID: RowDetails] {
        guard !owners.isEmpty else { return [:] }
        var list: SQLQuery = ""
        for (index, owner) in owners.enumerated() { list += index == 0 ? "\(owner)" : ", \(owner)" }
        var result: [OwnerID: RowDetails] = [:]
        for row in try await database.query(
            "SELECT owner_id, version, hint FROM vault_credential WHERE state = 'active' AND kind = 'client_id' AND owner_id IN (" + list + ")",
            logger: logger)
        {
            let owner: OwnerID = try row.decode("owner_id")
            result[owner, default: RowDetails()].credentialsVersion = try row.decode("version")
            result[owner, default: RowDetails()].clientIDHint = try row.decodeIfPresent("hint")
        }
        for row in try await database.query(
            "SELECT owner_id, requests_per_second, burst FROM owner_rate_limit WHERE owner_id IN (" + list + ")", logger: logger)
        {
            let owner: OwnerID = try row.decode("owner_id")
            result[owner, default: RowDetails()].requestsPerSecond = try row.decode("requests_per_second")
            result[owner, default: RowDetails()].burst = try row.decode("burst")
        }
        for row in try await database.query(
            "SELECT owner_id, COUNT(*) AS n FROM payment WHERE refund_flagged_at IS NOT NULL AND refund_resolved_at IS NULL AND owner_id IN ("
                + list + ") GROUP BY owner_id", logger: logger)
        {
            result[try row.decode("owner_id"), default: RowDetails()].openRefunds = try row.decode("n")
        }
        return result
    }

    /// `LIKE` wildcards and the escape character taken literally (escape `!`, the same on both backends).
    static func escapeLike(_ text: String) -> String {
        var out = ""
        for character in text {
            if character == "%" || character == "_" || character == "!" { out.append("!") }
            out.append(character)
        }
        return out
    }
}
