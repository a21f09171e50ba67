// Copyright (c) the Gatehouse authors

/// One result row: column names (lower-case, as written in the query) and values.
public struct SQLRow: Sendable, Hashable {
    public let columns: [String]
    public let values: [SQLValue]

    /// The value of a column; `nil` when the row has no such column.
    public subscript(column: String) -> SQLValue? {
        guard let index = columns.firstIndex(of: column) else { return nil }
        return values[index]
    }

    /// Decodes a non-null column.
    public func decode<T: SQLDecodable>(_ column: String, as type: T.Type = T.self) throws(StorageError) -> T {
        guard let value = self[column] else { throw StorageError.decoding(column: column) }
        guard let decoded = T(sqlValue: value) else { throw StorageError.decoding(column: column) }
        return decoded
    }

    /// The select list that reads `columns` (comma-separated names) of the table aliased `alias` in a join, each as
    /// `alias_name`: `select("id, name", of: "o")` is `o.id AS o_id, o.name AS o_name`. ``part(_:)`` gives them back
    /// under their own names, so one table's decoder reads its part of a joined row. Names are code-chosen text.
    public static func select(_ columns: String, of alias: String) -> String {
        columns.split(separator: ",").map { column in
            let name = String(column.filter { !$0.isWhitespace })
            return "\(alias).\(name) AS \(alias)_\(name)"
        }.joined(separator: ", ")
    }

    /// The columns of this row that ``select(_:of:)`` read for `alias`, under the table's own column names.
    public func part(_ alias: String) -> SQLRow {
        let prefix = alias + "_"
        var names: [String] = [], parts: [SQLValue] = []
        for (name, value) in zip(columns, values) where name.hasPrefix(prefix) {
            names.append(String(name.dropFirst(prefix.count)))
            parts.append(value)
        }
        return SQLRow(columns: names, values: parts)
    }

    /// Decodes a nullable column.
    public func decodeIfPresent<T: SQLDecodable>(_ column: String, as type: T.Type = T.self) throws(StorageError) -> T? {
        guard let value = self[column] else { throw StorageError.decoding(column: column) }
        if case .null = value { return nil }
        guard let decoded = T(sqlValue: value) else { throw StorageError.decoding(column: column) }
        return decoded
    }
}

/// A Swift value that can be read from a column.
public protocol SQLDecodable: Sendable {
    init?(sqlValue: SQLValue)
}

extension Int64: SQLDecodable {
    public init?(sqlValue: SQLValue) {
        switch sqlValue {
        case .integer(let i): self = i
        case .text(let t): guard let i = Int64(t) else { return nil }; self = i
        default: return nil
        }
    }
}

extension Int: SQLDecodable {
    public init?(sqlValue: SQLValue) {
        guard let i = Int64(sqlValue: sqlValue) else { return nil }
        self = Int(i)
    }
}

extension Bool: SQLDecodable {
    public init?(sqlValue: SQLValue) {
        guard let i = Int64(sqlValue: sqlValue) else { return nil }
        self = i != 0
    }
}

extension String: SQLDecodable {
    public init?(sqlValue: SQLValue) {
        switch sqlValue {
        case .text(let t): self = t
        case .blob(let b): guard let s = String(validating: b, as: UTF8.self) else { return nil }; self = s
        case .integer(let i): self = String(i)
        case .null: return nil
        }
    }
}

extension Array: SQLDecodable where Element == UInt8 {
    public init?(sqlValue: SQLValue) {
        switch sqlValue {
        case .blob(let b): self = b
        case .text(let t): self = Array(t.utf8)
        default: return nil
        }
    }
}
