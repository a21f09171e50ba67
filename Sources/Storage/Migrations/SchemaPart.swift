// Copyright (c) the Gatehouse authors

/// One module's share of one schema version: the tables (and other statements) that module owns.
///
/// Each module that stores something declares its parts next to its repositories (`TenancySchema`, `VaultSchema`,
/// `PaymentsSchema`, `NotificationsSchema`, `AdminSchema`); the composition root assembles them into the versioned
/// ``Migration``s the ``Migrator`` applies. A version is one migration however many modules contribute to it, so
/// databases migrated before the schema was split by module see the same versions.
///
/// Conventions: every `id` is the dialect's auto-increment key; times are `BIGINT` Unix milliseconds; money is `BIGINT`
/// VND; booleans are 0/1; unique constraints are named indexes (`ux_…`), plain indexes `idx_…`, foreign keys `fk_…`.
/// Every statement can run twice (see ``Migration``). A part whose tables refer to another module's table comes after
/// that module's part of the same version (the assembling order).
public struct SchemaPart: Sendable {
    public let version: Int
    /// The module that owns these tables (for logs and the migration's name).
    public let owner: String
    let statements: @Sendable (SQLDialect) -> [SQLQuery]

    public init(version: Int, owner: String, statements: @escaping @Sendable (SQLDialect) -> [SQLQuery]) {
        self.version = version
        self.owner = owner
        self.statements = statements
    }

    /// A part that creates tables (with their indexes and foreign keys), referenced tables first.
    public init(version: Int, owner: String, tables: [SQLTable]) {
        self.init(version: version, owner: owner) { dialect in tables.flatMap(dialect.createTable) }
    }
}

extension Migration {
    /// The migrations made of `parts`: one per version, its statements in the order the parts are given.
    ///
    /// - Parameter names: each version's name as recorded in `schema_migrations` (a version without one is named
    ///   after the modules that contribute to it).
    public static func assemble(_ parts: [SchemaPart], names: [Int: String] = [:]) -> [Migration] {
        let versions = Dictionary(grouping: parts, by: \.version)
        return versions.keys.sorted().map { version in
            let parts = versions[version] ?? []
            return Migration(version: version, name: names[version] ?? parts.map(\.owner).joined(separator: " + ")) { dialect in
                parts.flatMap { $0.statements(dialect) }
            }
        }
    }
}
