// Copyright (c) the Gatehouse authors
import Foundation
public import Logging
public import Storage
public import GatehouseCore

/// The payments of one owner or all owners created within a range of Vietnam days, as CSV, read in keyset batches
/// so an export of any size holds one batch in memory (1,000,000 rows are 1,000 queries of 1,000, never a list).
///
/// The CSV opens correctly in a spreadsheet: UTF-8 with a byte-order mark (Excel reads Vietnamese text right only
/// then), CRLF lines, RFC 4180 quoting, amounts as plain integers of VND, times in Vietnam time (ISO 8601 with
/// `+07:00`). A text cell that a spreadsheet would run as a formula (`=`, `+`, `-`, `@`, tab, CR) gets a leading `'`:
/// renter names and descriptions come from outside.
public struct PaymentExport: Sendable {
    /// What to export: payments created in `[from, to)` (Unix ms), of `owner` or of all owners.
    public struct Filter: Sendable, Hashable {
        public var owner: OwnerID?
        public var from: Int64
        public var to: Int64

        public init(owner: OwnerID?, from: Int64, to: Int64) {
            self.owner = owner
            self.from = from
            self.to = to
        }
    }

    public static let header = [
        "payment_id", "payment_code", "order_code", "owner_id", "owner_name", "booking_id", "room_title", "renter_name",
        "renter_email", "renter_phone", "amount_vnd", "amount_paid_vnd", "status", "underpaid", "settled_by", "refund_reason",
        "description", "created_at", "paid_at",
    ]

    let database: any SQLDatabase
    let batchSize: Int

    public init(database: any SQLDatabase, batchSize: Int = 1_000) {
        self.database = database
        self.batchSize = max(1, batchSize)
    }

    /// Writes the whole CSV through `write`, one batch of rows per call after the header; returns the rows written.
    @discardableResult
    public func write(_ filter: Filter, logger: Logger, to write: (String) async throws -> Void) async throws -> Int {
        try await write("\u{FEFF}" + Self.line(Self.header))
        var after: (createdAt: Int64, id: Int64)? = nil
        var total = 0
        while true {
            let rows = try await batch(filter, after: after, logger: logger)
            guard !rows.isEmpty else { return total }
            try await write(rows.map { Self.line($0.cells) }.joined())
            total += rows.count
            after = (rows[rows.count - 1].createdAt, rows[rows.count - 1].id)
            if rows.count < batchSize { return total }
        }
    }

    struct Row {
        let id: Int64
        let createdAt: Int64
        let cells: [String]
    }

    /// The next batch after `after` in (created_at, id) order.
    func batch(_ filter: Filter, after: (createdAt: Int64, id: Int64)?, logger: Logger) async throws -> [Row] {
        var query: SQLQuery = """
            SELECT p.id, p.payment_code, p.order_code, p.owner_id, o.name AS owner_name, p.booking_id, b.room_title,
                p.customer_name, p.customer_email, p.customer_phone, p.amount, p.amount_paid, p.status, p.underpaid, p.settled_by,
                p.refund_reason, p.description, p.created_at, p.paid_at
            FROM payment p JOIN owner o ON o.id = p.owner_id LEFT JOIN booking b ON b.id = p.booking_id
            WHERE p.created_at >= \(filter.from) AND p.created_at < \(filter.to)
            """
        if let owner = filter.owner { query = query + " AND p.owner_id = \(owner)" }
        if let after {
            query = query + " AND (p.created_at > \(after.createdAt) OR (p.created_at = \(after.createdAt) AND p.id > \(after.id)))"
        }
        query = query + " ORDER BY p.created_at, p.id LIMIT \(unescaped: String(batchSize))"
        return try await database.query(query, logger: logger).map { row in
            let id: Int64 = try row.decode("id")
            let createdAt: Int64 = try row.decode("created_at")
            let paidAt: Int64? = try row.decodeIfPresent("paid_at")
            let underpaid: Bool = try row.decode("underpaid")
            let cells: [String] = [
                String(id), try row.decode("payment_code"), String(try row.decode("order_code", as: Int64.self)),
                String(try row.decode("owner_id", as: Int64.self)), try row.decode("owner_name"),
                String(try row.decode("booking_id", as: Int64.self)), try row.decodeIfPresent("room_title") ?? "",
                try row.decodeIfPresent("customer_name") ?? "", try row.decodeIfPresent("customer_email") ?? "",
                try row.decodeIfPresent("customer_phone") ?? "", String(try row.decode("amount", as: Int64.self)),
                String(try row.decode("amount_paid", as: Int64.self)), try row.decode("status"), underpaid ? "true" : "false",
                try row.decodeIfPresent("settled_by") ?? "", try row.decodeIfPresent("refund_reason") ?? "",
                try row.decodeIfPresent("description") ?? "", Self.vietnamTime(createdAt), paidAt.map(Self.vietnamTime) ?? "",
            ]
            return Row(id: id, createdAt: createdAt, cells: cells)
        }
    }

    // MARK: CSV

    /// One CSV record with its CRLF.
    static func line(_ cells: [String]) -> String {
        cells.map(cell).joined(separator: ",") + "\r\n"
    }

    /// A cell: defused when a spreadsheet would read it as a formula, quoted when it holds a separator, a quote or a
    /// line break (quotes doubled).
    static func cell(_ value: String) -> String {
        var text = value
        if let first = text.unicodeScalars.first, ["=", "+", "-", "@", "\t", "\r"].contains(first), Int64(text) == nil {
            text = "'" + text
        }
        guard text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return text }
        return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    /// `2026-12-02T14:05:09+07:00`.
    static func vietnamTime(_ unixMillis: Int64) -> String {
        let t = CivilDateTime(unixMillis: unixMillis, utcOffsetSeconds: CivilDateTime.vietnamOffsetSeconds)
        func two(_ n: Int) -> String { n < 10 ? "0\(n)" : String(n) }
        return "\(t.year)-\(two(t.month))-\(two(t.day))T\(two(t.hour)):\(two(t.minute)):\(two(t.second))+07:00"
    }

    /// The longest range one export may span: a year of days keeps one request's work bounded.
    public static let maximumDays: Int64 = 366

    /// The Vietnam days `from` … `to` (`YYYY-MM-DD`, both included) as `[from, to)` in Unix ms.
    /// - Throws: ``TenancyError/validation(_:)`` naming the parameter: not a date, `to` before `from`, or more than
    ///   ``maximumDays`` days.
    public static func days(from: String?, to: String?) throws(TenancyError) -> (from: Int64, to: Int64) {
        func day(_ name: String, _ text: String?) throws(TenancyError) -> Int64 {
            guard let text else { throw .validation("\(name) is required (a Vietnam date, YYYY-MM-DD)") }
            guard let start = vietnamDayStart(text) else { throw .validation("\(name) must be a date, YYYY-MM-DD") }
            return start
        }
        let start = try day("from", from), end = try day("to", to) + 86_400_000
        guard end > start else { throw .validation("to must not be before from") }
        guard end - start <= maximumDays * 86_400_000 else { throw .validation("an export spans at most \(maximumDays) days") }
        return (start, end)
    }

    /// The first instant (Unix ms) of the Vietnam day `yyyy-mm-dd`; `nil` when the text is not such a date.
    public static func vietnamDayStart(_ text: String) -> Int64? {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
            parts.allSatisfy({ $0.utf8.allSatisfy { (0x30...0x39).contains($0) } }),
            let year = Int64(parts[0]), let month = Int(parts[1]), let day = Int(parts[2]), (1...12).contains(month), day >= 1
        else { return nil }
        let days = CivilDateTime.daysSinceEpoch(year: year, month: month, day: day)
        // Round-trip: 2026-02-30 is not a date.
        let check = CivilDateTime(unixSeconds: days * 86_400)
        guard check.month == month, check.day == day else { return nil }
        return (days * 86_400 - CivilDateTime.vietnamOffsetSeconds) * 1000
    }
}
