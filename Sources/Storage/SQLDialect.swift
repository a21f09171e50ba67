// Copyright (c) the Gatehouse authors

/// The differences between the two backends' SQL, in one place.
///
/// Portable rules every statement in Gatehouse follows: `?` placeholders; times as `BIGINT` Unix
/// milliseconds; money as `BIGINT` VND; booleans as `0`/`1` integers; indexed text as `VARCHAR(n)`.
public enum SQLDialect: String, Sendable, Hashable {
    case sqlite
    case mariadb

    /// An auto-incrementing 64-bit primary key column definition (without the column name).
    public var autoIncrementPrimaryKey: String {
        switch self {
        case .sqlite: "INTEGER PRIMARY KEY AUTOINCREMENT"
        case .mariadb: "BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY"
        }
    }

    /// A 64-bit integer column type.
    public var bigint: String {
        switch self {
        case .sqlite: "INTEGER"
        case .mariadb: "BIGINT"
        }
    }

    /// A binary column type for sealed blobs and hashes.
    public var blob: String {
        switch self {
        case .sqlite: "BLOB"
        case .mariadb: "VARBINARY(4096)"
        }
    }

    /// A long text column type (not indexable on MariaDB).
    public var text: String {
        switch self {
        case .sqlite: "TEXT"
        case .mariadb: "MEDIUMTEXT"
        }
    }

    /// Text appended to every `CREATE TABLE`.
    public var tableOptions: String {
        switch self {
        case .sqlite: ""
        case .mariadb: " ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin"
        }
    }

    /// Suffix for a `SELECT` that must lock the rows it reads until the transaction ends.
    /// SQLite needs none: its write transactions (`BEGIN IMMEDIATE`) already exclude other writers.
    public var forUpdate: String {
        switch self {
        case .sqlite: ""
        case .mariadb: " FOR UPDATE"
        }
    }

    /// `INSERT` that silently skips a row whose unique key already exists.
    public var insertIgnore: String {
        switch self {
        case .sqlite: "INSERT OR IGNORE"
        case .mariadb: "INSERT IGNORE"
        }
    }
}
