// Copyright (c) the Gatehouse authors
import GatehouseApp
import Foundation
public import Logging
public import Storage
public import Testing

/// A backend a test can run against.
public enum TestBackend: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    case sqlite
    case mariadb

    public var description: String { rawValue }
}

/// Per-test settings for ``withTestDatabase(_:options:logger:_:)``.
public struct TestDatabaseOptions: Sendable {
    /// Apply ``Schema/migrations`` before the body runs (default `true`).
    public var migrate: Bool
    /// Pool size (default: the backend's default).
    public var maxConnections: Int?
    /// Pool acquire timeout (default ``TestDatabases/patientWait``).
    public var acquireTimeout: Duration?
    /// SQLite busy timeout (default ``TestDatabases/patientWait``).
    public var busyTimeout: Duration?

    public init(migrate: Bool = true, maxConnections: Int? = nil, acquireTimeout: Duration? = nil, busyTimeout: Duration? = nil) {
        self.migrate = migrate
        self.maxConnections = maxConnections
        self.acquireTimeout = acquireTimeout
        self.busyTimeout = busyTimeout
    }
}

/// Fresh databases for tests: a new SQLite file in its own temporary directory, or a new MariaDB
/// database `gh_test_<random>` on the server named by `GATEHOUSE_TEST_MARIADB_URL`; removed afterwards.
///
/// Use the same test code for both backends:
/// ```swift
/// @Test(arguments: TestDatabases.backends)
/// func paymentIsStored(backend: TestBackend) async throws {
///     try await withTestDatabase(backend) { db in … }
/// }
/// ```
/// MariaDB availability:
/// - `GATEHOUSE_TEST_MARIADB_URL` set (e.g. from `scripts/mariadb-test-server start DIR`): both backends run;
/// - unset and `CI=true`: `.mariadb` stays in ``backends`` and every MariaDB test **fails** with a message
///   saying the variable is missing — CI never silently skips the production backend;
/// - unset elsewhere: ``backends`` is `[.sqlite]`, a note is printed once, and tests marked
///   `.mariaDBAvailable` show as skipped with that reason.
public enum TestDatabases {
    public static let mariaDBURLVariable = "GATEHOUSE_TEST_MARIADB_URL"

    /// How long a test's borrower waits for a pool connection, and an SQLite write for the write lock, unless the test
    /// sets its own: 60 s rather than production's 5 s. Tests share two cores with browsers and other suites, so a wait
    /// can outlast 5 s without anything being wrong; what they assert is never that wait. A test about the timeouts sets
    /// them (`exhaustedPoolFailsWithPoolTimeout`, `writeLockHeldLongerThanTheBusyTimeoutIsBusy`).
    public static let patientWaitMilliseconds = 60_000
    public static var patientWait: Duration { .milliseconds(patientWaitMilliseconds) }

    /// The MariaDB server URL for tests (user must be allowed to create and drop databases).
    public static var mariaDBURL: String? {
        guard let url = ProcessInfo.processInfo.environment[mariaDBURLVariable], !url.isEmpty else { return nil }
        return url
    }

    /// `CI=true` (or `1`) in the environment.
    public static var isCI: Bool {
        guard let value = ProcessInfo.processInfo.environment["CI"]?.lowercased() else { return false }
        return value == "true" || value == "1"
    }

    /// Whether MariaDB tests run: when a server is configured, and always on CI (where they fail loudly
    /// without one).
    public static var mariaDBEnabled: Bool { mariaDBURL != nil || isCI }

    /// Why MariaDB tests are skipped, for test output.
    public static let mariaDBSkipReason: Comment = """
        \(mariaDBURLVariable) is not set: MariaDB tests skipped. \
        Start a server with `scripts/mariadb-test-server start /tmp/gh-mdb` and export the printed variable \
        (with CI=true a missing server is a failure, not a skip).
        """

    /// The backends to pass to `@Test(arguments:)`.
    public static let backends: [TestBackend] = {
        if mariaDBEnabled { return TestBackend.allCases }
        FileHandle.standardError.write(Data("note: \(mariaDBSkipReason)\n".utf8))
        return [.sqlite]
    }()

    /// A quiet logger, or a stderr logger at the level in `GATEHOUSE_TEST_LOG_LEVEL` (e.g. `debug`).
    public static let logger: Logger = {
        if let level = ProcessInfo.processInfo.environment["GATEHOUSE_TEST_LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) {
            var logger = Logger(label: "gatehouse.test", factory: { label in StreamLogHandler.standardError(label: label) })
            logger.logLevel = level
            return logger
        }
        return Logger(label: "gatehouse.test", factory: { _ in SwiftLogNoOpLogHandler() })
    }()

    /// The configured server's settings with no database selected.
    ///
    /// - Throws: ``TestDatabaseError`` when `GATEHOUSE_TEST_MARIADB_URL` is unset.
    public static func mariaDBServerConfiguration() throws -> MariaDBConfiguration {
        guard let url = mariaDBURL else { throw TestDatabaseError.mariaDBNotConfigured }
        var configuration = try MariaDBConfiguration(url: url)
        configuration.database = nil
        return configuration
    }
}

/// Why a test database could not be made.
public enum TestDatabaseError: Error, CustomStringConvertible {
    case mariaDBNotConfigured

    public var description: String {
        switch self {
        case .mariaDBNotConfigured:
            "\(TestDatabases.mariaDBURLVariable) is not set but CI=true: MariaDB tests must run on CI. "
                + "Start a server with `scripts/mariadb-test-server start DIR` and export the variable it prints."
        }
    }
}

extension Trait where Self == ConditionTrait {
    /// Runs the test when MariaDB tests are enabled (see ``TestDatabases``); otherwise it is reported as
    /// skipped with the reason. On CI it always runs, and fails if no server is configured.
    public static var mariaDBAvailable: Self {
        .enabled(if: TestDatabases.mariaDBEnabled, TestDatabases.mariaDBSkipReason)
    }
}

/// Runs `body` with a fresh database of `backend`, migrated to the current schema unless
/// `options.migrate` is false, and removes it afterwards (also when `body` throws).
public func withTestDatabase<Result: Sendable>(
    _ backend: TestBackend,
    options: TestDatabaseOptions = TestDatabaseOptions(),
    logger: Logger = TestDatabases.logger,
    _ body: (any SQLDatabase) async throws -> Result
) async throws -> Result {
    switch backend {
    case .sqlite:
        return try await withSQLiteTestDatabase(options: options, logger: logger, body)
    case .mariadb:
        return try await withMariaDBTestDatabase(options: options, logger: logger, body)
    }
}

private func withSQLiteTestDatabase<Result: Sendable>(
    options: TestDatabaseOptions,
    logger: Logger,
    _ body: (any SQLDatabase) async throws -> Result
) async throws -> Result {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("gatehouse-test-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: directory) }
    var configuration = SQLiteConfiguration(path: directory.appendingPathComponent("gatehouse.sqlite").path)
    if let value = options.maxConnections { configuration.maxConnections = value }
    configuration.acquireTimeout = options.acquireTimeout ?? TestDatabases.patientWait
    configuration.busyTimeout = options.busyTimeout ?? TestDatabases.patientWait
    return try await DatabaseConfiguration.sqlite(configuration).withDatabase(logger: logger) { database in
        if options.migrate { try await database.migrate(logger: logger) }
        return try await body(database)
    }
}

private func withMariaDBTestDatabase<Result: Sendable>(
    options: TestDatabaseOptions,
    logger: Logger,
    _ body: (any SQLDatabase) async throws -> Result
) async throws -> Result {
    var server = try TestDatabases.mariaDBServerConfiguration()
    server.maxConnections = 1
    // Code-generated name (hex only), so splicing it into DDL is safe.
    let name = "gh_test_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(16).lowercased()
    let admin = try MariaDBDatabase(configuration: server, logger: logger)
    do {
        try await admin.execute(SQLQuery(unsafeSQL: "CREATE DATABASE \(name) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin"), logger: logger)
    } catch {
        await admin.shutdown()
        throw error
    }

    var configuration = try TestDatabases.mariaDBServerConfiguration()
    configuration.database = name
    if let value = options.maxConnections { configuration.maxConnections = value }
    configuration.acquireTimeout = options.acquireTimeout ?? TestDatabases.patientWait

    let result: Swift.Result<Result, any Error>
    do {
        result = .success(
            try await DatabaseConfiguration.mariadb(configuration).withDatabase(logger: logger) { database in
                if options.migrate { try await database.migrate(logger: logger) }
                return try await body(database)
            }
        )
    } catch {
        result = .failure(error)
    }
    do {
        try await admin.execute(SQLQuery(unsafeSQL: "DROP DATABASE IF EXISTS \(name)"), logger: logger)
    } catch {
        logger.warning("could not drop test database", metadata: ["db.name": "\(name)", "error": "\(String(reflecting: error))"])
    }
    await admin.shutdown()
    return try result.get()
}
