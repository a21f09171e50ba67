// Copyright (c) the Gatehouse authors
import Foundation
public import Logging

/// One schema change, identified by an increasing version.
///
/// **Write every statement so it can run twice** (`CREATE TABLE IF NOT EXISTS`, `CREATE INDEX IF NOT
/// EXISTS`, `ADD COLUMN IF NOT EXISTS` on MariaDB…). On SQLite a migration and its bookkeeping row commit
/// in one transaction, so it is all-or-nothing. MariaDB commits every DDL statement on its own, so a
/// crash can stop a migration halfway; the next run re-runs that migration from its first statement,
/// and idempotent statements make the re-run finish the job. (The alternative — recording progress per
/// statement — still needs idempotent statements, because a crash can fall between a DDL statement and
/// its progress row; so idempotency is the one rule, and it is enough.)
public struct Migration: Sendable {
    public let version: Int
    public let name: String
    private let makeStatements: @Sendable (SQLDialect) -> [SQLQuery]

    public init(version: Int, name: String, statements: @escaping @Sendable (SQLDialect) -> [SQLQuery]) {
        self.version = version
        self.name = name
        self.makeStatements = statements
    }

    /// A migration that creates tables (with their indexes and foreign keys) through ``SQLDialect/createTable(_:)``.
    public init(version: Int, name: String, tables: [SQLTable]) {
        self.init(version: version, name: name) { dialect in tables.flatMap(dialect.createTable) }
    }

    public func statements(for dialect: SQLDialect) -> [SQLQuery] { makeStatements(dialect) }
}

/// A migration that ``Migrator/migrate(_:logger:)`` applied.
public struct AppliedMigration: Sendable, Hashable {
    public let version: Int
    public let name: String
}

/// Applies pending ``Migration``s in version order and records them in
/// `schema_migrations(version, name, applied_at)`.
///
/// - Refuses to touch a database whose recorded version is newer than the newest migration it knows
///   (an older build must not run against a newer schema): ``StorageError/Code/migrationFailed``.
/// - Safe against concurrent runs: on SQLite each migration runs in a `BEGIN IMMEDIATE` transaction
///   that re-reads what is applied; on MariaDB the whole run holds the named lock
///   `gatehouse.migrate.<SHA-1 of the database name>` (`GET_LOCK`), released when done or when the session ends.
public struct Migrator: Sendable {
    public let migrations: [Migration]
    private let now: @Sendable () -> Int64

    /// - Parameters:
    ///   - migrations: Every migration the code knows, in any order; versions must be positive and unique.
    ///   - now: Unix milliseconds for `applied_at` (injectable for tests).
    public init(migrations: [Migration], now: (@Sendable () -> Int64)? = nil) {
        self.migrations = migrations.sorted { $0.version < $1.version }
        self.now = now ?? { Int64(Date().timeIntervalSince1970 * 1000) }
    }

    /// The newest version this code knows (0 without migrations).
    public var latestVersion: Int { migrations.last?.version ?? 0 }

    /// Applies every pending migration, in order.
    ///
    /// - Returns: The migrations applied by this call (empty when the schema was already current).
    public func migrate(_ database: any SQLDatabase, logger: Logger) async throws -> [AppliedMigration] {
        try validate()
        try await database.execute(Self.createBookkeeping(database.dialect), logger: logger)
        switch database.dialect.supportsTransactionalDDL {
        case true: return try await migrateTransactionally(database, logger: logger)
        case false: return try await migrateUnderLock(database, logger: logger)
        }
    }

    /// Versions recorded in `schema_migrations`, ascending (empty when the table does not exist yet).
    public func appliedVersions(_ database: any SQLDatabase, logger: Logger) async throws -> [Int] {
        try await database.execute(Self.createBookkeeping(database.dialect), logger: logger)
        return try await database.withConnection(logger: logger) { try await Self.appliedVersions($0) }
    }

    // MARK: Implementation

    private static func createBookkeeping(_ dialect: SQLDialect) -> SQLQuery {
        SQLQuery(
            unsafeSQL: """
                CREATE TABLE IF NOT EXISTS schema_migrations (
                    version \(dialect.bigint) NOT NULL PRIMARY KEY,
                    name VARCHAR(200) NOT NULL,
                    applied_at \(dialect.bigint) NOT NULL
                )\(dialect.tableOptions)
                """
        )
    }

    private func validate() throws(StorageError) {
        var previous = 0
        for migration in migrations {
            guard migration.version > previous else {
                throw StorageError(code: .migrationFailed, message: "migration versions must be positive and unique (version \(migration.version))")
            }
            previous = migration.version
        }
    }

    private static func appliedVersions(_ connection: any SQLConnection) async throws -> [Int] {
        try await connection.query("SELECT version FROM schema_migrations ORDER BY version").map { try $0.decode("version") }
    }

    private func checkNotNewer(_ applied: [Int]) throws(StorageError) {
        if let newest = applied.last, newest > latestVersion {
            throw StorageError(
                code: .migrationFailed,
                message: "the database schema is at version \(newest), newer than this build knows (\(latestVersion)); refusing to run"
            )
        }
    }

    private func apply(_ migration: Migration, on connection: any SQLConnection, logger: Logger) async throws {
        logger.info("applying migration", metadata: ["migration.version": "\(migration.version)", "migration.name": "\(migration.name)"])
        for (index, statement) in migration.statements(for: connection.dialect).enumerated() {
            do {
                try await connection.execute(statement)
            } catch let error as StorageError {
                throw StorageError(
                    code: .migrationFailed,
                    message: "migration \(migration.version) (\(migration.name)) failed at statement \(index + 1)",
                    detail: error.debugDescription
                )
            }
        }
        try await connection.execute(
            "INSERT INTO schema_migrations (version, name, applied_at) VALUES (\(migration.version), \(migration.name), \(now()))"
        )
    }

    /// SQLite: each migration and its bookkeeping row in one write transaction.
    private func migrateTransactionally(_ database: any SQLDatabase, logger: Logger) async throws -> [AppliedMigration] {
        var applied: [AppliedMigration] = []
        for migration in migrations {
            let didApply = try await database.withTransaction(logger: logger) { connection in
                let versions = try await Self.appliedVersions(connection)
                try checkNotNewer(versions)
                if versions.contains(migration.version) { return false }
                try await apply(migration, on: connection, logger: logger)
                return true
            }
            if didApply { applied.append(AppliedMigration(version: migration.version, name: migration.name)) }
        }
        return applied
    }

    /// MariaDB: one session holding a named lock; statements auto-commit, so migrations are idempotent.
    private func migrateUnderLock(_ database: any SQLDatabase, logger: Logger) async throws -> [AppliedMigration] {
        try await database.withConnection(logger: logger) { connection in
            // Named locks are server-wide: the name carries the database's, so migrating one database never waits on
            // another's (several Gatehouse databases — or test databases — on one server). Hashed: lock names stop at 64.
            let lockName = try await connection.query("SELECT CONCAT('gatehouse.migrate.', SHA1(DATABASE())) AS name")
                .first?.decode("name", as: String.self) ?? "gatehouse.schema_migrations"
            let locked = try await connection.query("SELECT GET_LOCK(\(lockName), 60) AS locked")
            guard try locked.first?.decodeIfPresent("locked", as: Int.self) == 1 else {
                throw StorageError(code: .migrationFailed, message: "another process held the migration lock for 60 s")
            }
            do {
                let versions = try await Self.appliedVersions(connection)
                try checkNotNewer(versions)
                var applied: [AppliedMigration] = []
                for migration in migrations where !versions.contains(migration.version) {
                    try await apply(migration, on: connection, logger: logger)
                    applied.append(AppliedMigration(version: migration.version, name: migration.name))
                }
                _ = try? await connection.query("SELECT RELEASE_LOCK(\(lockName)) AS released")
                return applied
            } catch {
                _ = try? await connection.query("SELECT RELEASE_LOCK(\(lockName)) AS released")
                throw error
            }
        }
    }
}
