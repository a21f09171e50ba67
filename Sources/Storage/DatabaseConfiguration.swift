// Copyright (c) the Gatehouse authors
import GatehouseCore
public import Logging

/// Which database to open, decided from one optional URL. `description` never shows a password.
///
/// | URL | Database |
/// |---|---|
/// | `nil` or empty | SQLite file `<dataDirectory>/gatehouse.sqlite` |
/// | `sqlite:///absolute/path.sqlite` | SQLite file at that absolute path |
/// | `sqlite:relative/path.sqlite` | SQLite file relative to the working directory |
/// | `mysql://user:pass@host:port/db`, `mariadb://…` | MariaDB over TCP (port 3306 by default) |
/// | `mysql://user:pass@localhost/db?socket=/path/to/sock` | MariaDB over a unix socket |
///
/// ```swift
/// let configuration = try DatabaseConfiguration(url: urlFromConfig, dataDirectory: "/var/lib/gatehouse")
/// // In an application: register the database as the first service, migrate before serving.
/// let database = try configuration.makeDatabase(logger: logger)
/// // In a CLI command or a test: a scoped database, shut down when the closure ends.
/// let applied = try await configuration.withDatabase(logger: logger) { try await Migrator(migrations: migrations).migrate($0, logger: logger) }
/// ```
public enum DatabaseConfiguration: Sendable, Hashable, CustomStringConvertible {
    case sqlite(SQLiteConfiguration)
    case mariadb(MariaDBConfiguration)

    /// The SQLite file name used inside the data directory when no URL is configured.
    public static let defaultSQLiteFileName = "gatehouse.sqlite"

    /// - Parameters:
    ///   - url: The database URL (see the table above); `nil` or empty selects the embedded SQLite file.
    ///   - dataDirectory: Where the default SQLite file lives.
    /// - Throws: ``StorageError/Code/invalidConfiguration`` naming what is wrong (never the password).
    public init(url: String?, dataDirectory: String) throws(StorageError) {
        let url = url?.trimmingWhitespace ?? ""
        if url.isEmpty {
            guard !dataDirectory.isEmpty else {
                throw StorageError(code: .invalidConfiguration, message: "no database URL and no data directory are configured")
            }
            let separator = dataDirectory.hasSuffix("/") ? "" : "/"
            self = .sqlite(SQLiteConfiguration(path: dataDirectory + separator + Self.defaultSQLiteFileName))
            return
        }
        switch DatabaseURL.scheme(of: url) {
        case "sqlite":
            self = .sqlite(SQLiteConfiguration(path: try Self.sqlitePath(url)))
        case "mysql", "mariadb":
            self = .mariadb(try MariaDBConfiguration(url: url))
        default:
            throw StorageError(
                code: .invalidConfiguration,
                message: "unsupported database URL scheme (expected sqlite:, mysql:// or mariadb://)"
            )
        }
    }

    /// `sqlite:///abs/path` → `/abs/path`; `sqlite:relative/path` → `relative/path`.
    private static func sqlitePath(_ url: String) throws(StorageError) -> String {
        let rest = url.dropFirst("sqlite:".count)
        let path: Substring
        if rest.hasPrefix("///") {
            path = rest.dropFirst(2)
        } else if rest.hasPrefix("//") {
            throw StorageError(code: .invalidConfiguration, message: "a SQLite URL has no host: use sqlite:///absolute/path or sqlite:relative/path")
        } else {
            path = rest
        }
        guard !path.contains("?"), !path.contains("#") else {
            throw StorageError(code: .invalidConfiguration, message: "a SQLite URL takes no parameters")
        }
        guard let decoded = PercentDecoding.decode(path), !decoded.isEmpty, decoded != "/" else {
            throw StorageError(code: .invalidConfiguration, message: "the SQLite URL has no file path")
        }
        return decoded
    }

    /// Overrides of the backend's connection pool defaults; `nil` keeps the backend's own.
    public struct PoolSettings: Sendable, Hashable {
        /// Connections kept open at most (SQLite default 4, MariaDB 8).
        public var maxConnections: Int?
        /// How long a borrower waits for a free connection before ``StorageError/Code/poolTimeout`` (default 5 s).
        public var acquireTimeout: Duration?
        /// SQLite only: how long a statement waits for another connection's write lock before
        /// ``StorageError/Code/busy`` (default 5 s). MariaDB's lock waits are the server's `innodb_lock_wait_timeout`.
        public var sqliteBusyTimeout: Duration?

        public init(maxConnections: Int? = nil, acquireTimeout: Duration? = nil, sqliteBusyTimeout: Duration? = nil) {
            self.maxConnections = maxConnections
            self.acquireTimeout = acquireTimeout
            self.sqliteBusyTimeout = sqliteBusyTimeout
        }
    }

    /// This configuration with `settings` applied to its pool.
    public func applying(_ settings: PoolSettings) -> DatabaseConfiguration {
        switch self {
        case .sqlite(var configuration):
            if let value = settings.maxConnections { configuration.maxConnections = value }
            if let value = settings.acquireTimeout { configuration.acquireTimeout = value }
            if let value = settings.sqliteBusyTimeout { configuration.busyTimeout = value }
            return .sqlite(configuration)
        case .mariadb(var configuration):
            if let value = settings.maxConnections { configuration.maxConnections = value }
            if let value = settings.acquireTimeout { configuration.acquireTimeout = value }
            return .mariadb(configuration)
        }
    }

    /// Creates the database. Connections open on first use.
    public func makeDatabase(logger: Logger) throws(StorageError) -> any SQLDatabase {
        switch self {
        case .sqlite(let configuration): try SQLiteDatabase(configuration: configuration, logger: logger)
        case .mariadb(let configuration): try MariaDBDatabase(configuration: configuration, logger: logger)
        }
    }

    /// Opens the database, runs `body`, and shuts the database down whether `body` returns or throws:
    /// the pattern for CLI commands and tests, which have no service group.
    @discardableResult
    public func withDatabase<Result: Sendable>(
        logger: Logger,
        _ body: (any SQLDatabase) async throws -> Result
    ) async throws -> Result {
        let database = try makeDatabase(logger: logger)
        do {
            let result = try await body(database)
            await database.shutdown()
            return result
        } catch {
            await database.shutdown()
            throw error
        }
    }

    public var description: String {
        switch self {
        case .sqlite(let configuration): "sqlite:\(configuration.path)"
        case .mariadb(let configuration): configuration.description
        }
    }
}

extension String {
    fileprivate var trimmingWhitespace: String {
        String(drop(while: \.isWhitespace).reversed().drop(while: \.isWhitespace).reversed())
    }
}
