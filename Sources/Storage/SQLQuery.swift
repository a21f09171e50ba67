// Copyright (c) the Gatehouse authors

/// A SQL statement whose interpolated values become bound parameters (`?`), never spliced text.
///
/// ```swift
/// let q: SQLQuery = "SELECT id FROM payment WHERE owner_id = \(ownerID) AND status = \(status)"
/// // sql: "SELECT id FROM payment WHERE owner_id = ? AND status = ?", binds: [.integer(7), .text("pending")]
/// ```
/// Identifiers and dialect fragments that cannot be parameters go through `\(unescaped:)`, which
/// must only ever be given text the code itself chose (never user input).
public struct SQLQuery: Sendable, Hashable, ExpressibleByStringInterpolation {
    public private(set) var sql: String
    public private(set) var binds: [SQLValue]

    /// Raw SQL with no parameters. The label makes every use visible in review.
    public init(unsafeSQL sql: String, binds: [SQLValue] = []) {
        self.sql = sql
        self.binds = binds
    }

    public init(stringLiteral value: String) {
        self.sql = value
        self.binds = []
    }

    public init(stringInterpolation: StringInterpolation) {
        self.sql = stringInterpolation.sql
        self.binds = stringInterpolation.binds
    }

    public struct StringInterpolation: StringInterpolationProtocol {
        var sql = ""
        var binds: [SQLValue] = []

        public init(literalCapacity: Int, interpolationCount: Int) {
            sql.reserveCapacity(literalCapacity + interpolationCount)
        }

        public mutating func appendLiteral(_ literal: String) { sql += literal }

        /// Binds a value as a parameter.
        public mutating func appendInterpolation(_ value: some SQLBindable) {
            sql += "?"
            binds.append(value.sqlValue)
        }

        /// Binds an optional value: `nil` binds SQL `NULL`.
        public mutating func appendInterpolation<Value: SQLBindable>(_ value: Value?) {
            sql += "?"
            binds.append(value?.sqlValue ?? .null)
        }

        /// Binds a list as `(?, ?, …)`, e.g. for `IN`. An empty list becomes `(NULL)`, which matches nothing.
        public mutating func appendInterpolation(list values: [some SQLBindable]) {
            if values.isEmpty {
                sql += "(NULL)"
                return
            }
            sql += "(" + Array(repeating: "?", count: values.count).joined(separator: ", ") + ")"
            binds.append(contentsOf: values.map(\.sqlValue))
        }

        /// Splices code-chosen SQL text (an identifier, a dialect fragment). Never user input.
        public mutating func appendInterpolation(unescaped text: String) { sql += text }
    }

    /// Appends another query, keeping its parameters in order.
    public static func + (lhs: SQLQuery, rhs: SQLQuery) -> SQLQuery {
        SQLQuery(unsafeSQL: lhs.sql + rhs.sql, binds: lhs.binds + rhs.binds)
    }

    /// `parts` one after another with `separator` between them, their parameters in order: the rows of a multi-row
    /// `VALUES` list, for instance.
    public static func joined(_ parts: some Sequence<SQLQuery>, separator: String) -> SQLQuery {
        var result = SQLQuery(unsafeSQL: "")
        for (index, part) in parts.enumerated() {
            if index > 0 { result.sql += separator }
            result += part
        }
        return result
    }

    /// Appends another query in place, keeping its parameters in order. Build multi-row statements with this: in a
    /// loop, `query = query + row` copies everything so far each time (quadratic in the rows).
    public static func += (lhs: inout SQLQuery, rhs: SQLQuery) {
        lhs.sql += rhs.sql
        lhs.binds.append(contentsOf: rhs.binds)
    }
}
