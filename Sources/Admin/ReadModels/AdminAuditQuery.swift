// Copyright (c) the Gatehouse authors
public import Logging
public import Storage
public import GatehouseCore
import Tenancy

/// Filters for reading the audit log, newest first, a page at a time.
public struct AdminAuditFilter: Sendable, Hashable {
    public var owner: OwnerID? = nil
    public var action: String? = nil
    /// Unix ms, inclusive.
    public var from: Int64? = nil
    /// Unix ms, exclusive.
    public var to: Int64? = nil
    /// Rows per page (1…500).
    public var limit: Int = 50
    /// Keyset cursor: only rows with a smaller id (the previous page's `nextBefore`).
    public var before: Int64? = nil
}

/// One audit row as admins read it (the chain hashes stay with ``AuditLog/verify(database:logger:batchSize:)``).
public struct AdminAuditEntry: Sendable, Hashable {
    public let id: Int64
    /// Unix ms.
    public let at: Int64
    public let actor: String
    public let ownerID: OwnerID?
    public let action: String
    /// Compact JSON, never secrets (see ``AuditDetail``).
    public let detail: String?
    public let requestID: String?
}

/// One page of audit rows.
public struct AdminAuditPage: Sendable, Hashable {
    public let records: [AdminAuditEntry]
    /// Pass as ``AdminAuditFilter/before`` for the next (older) page; `nil` on the last page.
    public let nextBefore: Int64?
}

/// Reads `audit_log` for admins: filtered by owner, action and time, newest first, keyset-paginated by id
/// (ids grow with time because appends are serialised on the chain lock, so id order is time order).
public struct AdminAuditQuery: Sendable {
    let database: any SQLDatabase

    public init(database: any SQLDatabase) {
        self.database = database
    }

    /// - Throws: ``TenancyError/Code/validation`` for a limit outside 1…500 or `from` after `to`.
    public func page(_ filter: AdminAuditFilter, logger: Logger) async throws -> AdminAuditPage {
        guard (1...500).contains(filter.limit) else { throw TenancyError.validation("limit must be 1 to 500") }
        if let from = filter.from, let to = filter.to, from > to { throw TenancyError.validation("from must not be after to") }
        var query: SQLQuery = "SELECT id, at, actor, owner_id, action, detail, request_id FROM audit_log WHERE 1 = 1"
        if let owner = filter.owner { query = query + " AND owner_id = \(owner)" }
        if let action = filter.action { query = query + " AND action = \(action)" }
        if let from = filter.from { query = query + " AND at >= \(from)" }
        if let to = filter.to { query = query + " AND at < \(to)" }
        if let before = filter.before { query = query + " AND id < \(before)" }
        // One extra row says whether there is a next page.
        query = query + " ORDER BY id DESC LIMIT \(unescaped: String(filter.limit + 1))"
        var records = try await database.query(query, logger: logger).map(Self.record)
        var next: Int64? = nil
        if records.count > filter.limit {
            records.removeLast()
            next = records.last?.id
        }
        return AdminAuditPage(records: records, nextBefore: next)
    }

    static func record(_ row: SQLRow) throws -> AdminAuditEntry {
        AdminAuditEntry(
            id: try row.decode("id"), at: try row.decode("at"), actor: try row.decode("actor"), ownerID: try row.decodeIfPresent("owner_id"),
            action: try row.decode("action"), detail: try row.decodeIfPresent("detail"), requestID: try row.decodeIfPresent("request_id"))
    }
}
