// Copyright (c) the Gatehouse authors

/// A portable table definition: one description, rendered per backend by ``SQLDialect/createTable(_:)``,
/// so the SQLite and MariaDB schemas cannot drift apart.
///
/// Names and default values are code-chosen text (they are spliced into DDL), never user input.
public struct SQLTable: Sendable, Hashable {
    public enum PrimaryKey: Sendable, Hashable {
        /// `id`, the dialect's auto-increment 64-bit key.
        case autoIncrementID
        /// A 64-bit column supplied by the caller (e.g. `owner_id` in a one-row-per-owner table).
        case column(String)
    }

    public var name: String
    public var primaryKey: PrimaryKey
    public var columns: [SQLColumn]
    public var indexes: [SQLIndex]
    public var foreignKeys: [SQLForeignKey]

    public init(
        _ name: String,
        primaryKey: PrimaryKey = .autoIncrementID,
        columns: [SQLColumn],
        indexes: [SQLIndex] = [],
        foreignKeys: [SQLForeignKey] = []
    ) {
        self.name = name
        self.primaryKey = primaryKey
        self.columns = columns
        self.indexes = indexes
        self.foreignKeys = foreignKeys
    }
}

/// A column of an ``SQLTable``.
public struct SQLColumn: Sendable, Hashable {
    public enum ColumnType: Sendable, Hashable {
        /// 64-bit integer: ids, times (Unix ms), money (VND).
        case bigint
        /// 32-bit-range integer: counters, versions, status codes.
        case integer
        /// 0/1.
        case boolean
        /// Indexable text of at most `n` characters (enforced on both backends).
        case varchar(Int)
        /// Long text, not indexable on MariaDB.
        case text
        /// Bytes (hashes, sealed secrets).
        case blob
    }

    public var name: String
    public var type: ColumnType
    public var isNullable: Bool
    /// A SQL literal written by the schema's author (`'active'`, `0`).
    public var defaultSQL: String?

    public init(_ name: String, _ type: ColumnType, nullable: Bool = false, defaultSQL: String? = nil) {
        self.name = name
        self.type = type
        self.isNullable = nullable
        self.defaultSQL = defaultSQL
    }

    public static func bigint(_ name: String, nullable: Bool = false, default value: Int64? = nil) -> Self {
        Self(name, .bigint, nullable: nullable, defaultSQL: value.map(String.init))
    }

    public static func integer(_ name: String, nullable: Bool = false, default value: Int64? = nil) -> Self {
        Self(name, .integer, nullable: nullable, defaultSQL: value.map(String.init))
    }

    public static func boolean(_ name: String, nullable: Bool = false, default value: Bool? = nil) -> Self {
        Self(name, .boolean, nullable: nullable, defaultSQL: value.map { $0 ? "1" : "0" })
    }

    public static func varchar(_ name: String, _ length: Int, nullable: Bool = false, default value: String? = nil) -> Self {
        Self(name, .varchar(length), nullable: nullable, defaultSQL: value.map(quoted))
    }

    public static func text(_ name: String, nullable: Bool = false) -> Self {
        Self(name, .text, nullable: nullable)
    }

    public static func blob(_ name: String, nullable: Bool = false) -> Self {
        Self(name, .blob, nullable: nullable)
    }

    private static func quoted(_ literal: String) -> String {
        "'" + literal.replacingAll("'", with: "''") + "'"
    }
}

/// A named index (or unique key) of an ``SQLTable``. Unique constraints are always named indexes, so
/// both backends expose the same names.
public struct SQLIndex: Sendable, Hashable {
    public var name: String
    public var columns: [String]
    public var isUnique: Bool

    public init(_ name: String, _ columns: [String], unique: Bool = false) {
        self.name = name
        self.columns = columns
        self.isUnique = unique
    }

    public static func unique(_ name: String, _ columns: [String]) -> Self {
        Self(name, columns, unique: true)
    }
}

/// A foreign key from columns of an ``SQLTable`` to another table's columns.
public struct SQLForeignKey: Sendable, Hashable {
    public var name: String
    public var columns: [String]
    public var referencedTable: String
    public var referencedColumns: [String]

    public init(_ name: String, _ columns: [String], references table: String, _ referencedColumns: [String] = ["id"]) {
        self.name = name
        self.columns = columns
        self.referencedTable = table
        self.referencedColumns = referencedColumns
    }
}

extension String {
    fileprivate func replacingAll(_ target: String, with replacement: String) -> String {
        split(separator: target, omittingEmptySubsequences: false).joined(separator: replacement)
    }
}
