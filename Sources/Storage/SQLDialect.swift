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

    /// A binary column type for sealed blobs and hashes (at most ``blobMaximumBytes``).
    public var blob: String {
        switch self {
        case .sqlite: "BLOB"
        case .mariadb: "VARBINARY(\(Self.blobMaximumBytes))"
        }
    }

    /// The largest value a ``blob`` column holds; ``createTable(_:)`` enforces it on SQLite too.
    public static let blobMaximumBytes = 4096

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

    /// The clause that ends a one-row `INSERT … VALUES` so that, when a row with that unique `key` already exists, it
    /// is kept unchanged and this transaction holds it exclusively either way. MariaDB's `INSERT IGNORE` would only
    /// share-lock the existing row: two transactions that both hit it and then lock it for update wait for each other
    /// (a deadlock), whereas `ON DUPLICATE KEY UPDATE` takes the exclusive lock at once, so they queue. SQLite's writer
    /// already excludes every other one: `ON CONFLICT DO NOTHING`. `key` is code-chosen text, never input.
    public func onConflictKeepLocked(key: String) -> String {
        switch self {
        case .sqlite: " ON CONFLICT (\(key)) DO NOTHING"
        case .mariadb: " ON DUPLICATE KEY UPDATE \(key) = \(key)"
        }
    }

    /// An index hint for an `UPDATE` that finds its one row by `id` (after the table name): read the primary key, never
    /// a secondary index. With a condition on a small index too (`WHERE id = ? AND status = 'pending'` when few rows are
    /// pending) MariaDB's optimizer may read that index first and lock its record before the row's primary key, the
    /// opposite order from a transaction that locked the row with `SELECT … FOR UPDATE` and then updates that index:
    /// a deadlock. SQLite has no row locks and needs none.
    public var byPrimaryKey: String {
        switch self {
        case .sqlite: ""
        case .mariadb: " FORCE INDEX (PRIMARY)"
        }
    }

    /// The clause that ends an `INSERT … VALUES` so a row whose unique `key` already exists takes the new values of
    /// `columns` instead (an upsert that overwrites): SQLite's `ON CONFLICT (key) DO UPDATE SET c = excluded.c`,
    /// MariaDB's `ON DUPLICATE KEY UPDATE c = VALUES(c)`. Names are code-chosen text, never input.
    public func onConflictReplace(key: [String], columns: [String]) -> String {
        switch self {
        case .sqlite:
            " ON CONFLICT (\(key.joined(separator: ", "))) DO UPDATE SET "
                + columns.map { "\($0) = excluded.\($0)" }.joined(separator: ", ")
        case .mariadb:
            " ON DUPLICATE KEY UPDATE " + columns.map { "\($0) = VALUES(\($0))" }.joined(separator: ", ")
        }
    }
}

// MARK: - Schema

extension SQLDialect {
    /// A 0/1 column type.
    public var boolean: String {
        switch self {
        case .sqlite: "INTEGER"
        case .mariadb: "TINYINT(1)"
        }
    }

    /// Whether `CREATE`/`ALTER`/`DROP` take part in transactions. SQLite: yes, so a migration commits or
    /// rolls back as a whole. MariaDB: no, every DDL statement commits implicitly, so migrations must be
    /// written to be re-runnable (`IF NOT EXISTS`), see ``Migration``.
    public var supportsTransactionalDDL: Bool {
        switch self {
        case .sqlite: true
        case .mariadb: false
        }
    }

    /// The column type for a portable ``SQLColumn/ColumnType``.
    ///
    /// SQLite tables are created `STRICT` (types are enforced, as on MariaDB), which only knows
    /// `INTEGER`, `TEXT` and `BLOB`; `VARCHAR(n)`'s length is enforced by a `CHECK` instead.
    public func columnType(_ type: SQLColumn.ColumnType) -> String {
        switch (self, type) {
        case (_, .bigint): bigint
        case (.sqlite, .integer): "INTEGER"
        case (.mariadb, .integer): "INT"
        case (_, .boolean): boolean
        case (.sqlite, .varchar): "TEXT"
        case (.mariadb, .varchar(let length)): "VARCHAR(\(length))"
        case (_, .text): text
        case (_, .blob): blob
        }
    }

    /// The statements that create `table` with its indexes and foreign keys, each safe to run again
    /// (`IF NOT EXISTS`).
    ///
    /// - MariaDB: one `CREATE TABLE` holding its indexes, unique keys and foreign keys — one DDL
    ///   statement per table, so a crash can never leave a table without its indexes, and one implicit
    ///   commit instead of one per index.
    /// - SQLite: `CREATE TABLE … STRICT` with `CHECK(length(…) <= n)` for `VARCHAR(n)` and blobs, then one
    ///   `CREATE [UNIQUE] INDEX IF NOT EXISTS` per index (all inside the migration's transaction).
    public func createTable(_ table: SQLTable) -> [SQLQuery] {
        var definitions: [String] = []
        switch table.primaryKey {
        case .autoIncrementID:
            definitions.append("id \(autoIncrementPrimaryKey)")
        case .column(let name):
            definitions.append("\(name) \(bigint) NOT NULL PRIMARY KEY")
        }
        for column in table.columns {
            var definition = "\(column.name) \(columnType(column.type))"
            definition += column.isNullable ? " NULL" : " NOT NULL"
            if let value = column.defaultSQL { definition += " DEFAULT \(value)" }
            if self == .sqlite {
                // The limits MariaDB's column types impose, enforced on SQLite too.
                switch column.type {
                case .varchar(let length): definition += " CHECK (length(\(column.name)) <= \(length))"
                case .blob: definition += " CHECK (length(\(column.name)) <= \(Self.blobMaximumBytes))"
                default: break
                }
            }
            definitions.append(definition)
        }
        if self == .mariadb {
            for index in table.indexes {
                definitions.append("\(index.isUnique ? "UNIQUE KEY" : "KEY") \(index.name) (\(index.columns.joined(separator: ", ")))")
            }
        }
        for key in table.foreignKeys {
            definitions.append(
                "CONSTRAINT \(key.name) FOREIGN KEY (\(key.columns.joined(separator: ", "))) "
                    + "REFERENCES \(key.referencedTable) (\(key.referencedColumns.joined(separator: ", ")))"
            )
        }
        let suffix = self == .sqlite ? " STRICT" : tableOptions
        var statements = [
            SQLQuery(unsafeSQL: "CREATE TABLE IF NOT EXISTS \(table.name) (\n    \(definitions.joined(separator: ",\n    "))\n)\(suffix)")
        ]
        if self == .sqlite {
            for index in table.indexes {
                statements.append(
                    SQLQuery(
                        unsafeSQL: "CREATE \(index.isUnique ? "UNIQUE " : "")INDEX IF NOT EXISTS \(index.name) "
                            + "ON \(table.name) (\(index.columns.joined(separator: ", ")))"
                    )
                )
            }
        }
        return statements
    }
}
