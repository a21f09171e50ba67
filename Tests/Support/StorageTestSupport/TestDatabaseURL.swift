// Copyright (c) the Gatehouse authors
import Foundation
public import Logging
public import Storage

/// Fresh, empty databases named by URL, for code that opens its own database from a URL (`GatehouseComponents.open`
/// reads `GATEHOUSE_DATABASE_URL`; a `gatehouse` process gets it in its environment).
public enum TestDatabaseURL {
    /// Runs `body` with the URL of a fresh, empty database of `backend`: an SQLite file in a temporary directory, or a
    /// new MariaDB database on the test server, removed afterwards (also when `body` throws).
    public static func withURL<T: Sendable>(_ backend: TestBackend, logger: Logger, _ body: (String) async throws -> T) async throws -> T {
        switch backend {
        case .sqlite:
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("gatehouse-gw-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: directory) }
            return try await body("sqlite://" + directory.appendingPathComponent("gatehouse.sqlite").path)
        case .mariadb:
            var server = try TestDatabases.mariaDBServerConfiguration()
            server.maxConnections = 1
            // Code-generated name (hex only), so splicing it into DDL is safe.
            let name = "gh_gw_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(16).lowercased()
            let admin = try MariaDBDatabase(configuration: server, logger: logger)
            let result: Result<T, any Error>
            do {
                try await admin.execute(SQLQuery(unsafeSQL: "CREATE DATABASE \(name) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin"), logger: logger)
                result = .success(try await body(url(server, database: name)))
            } catch {
                result = .failure(error)
            }
            logger.debug("test database: dropping \(name)")
            _ = try? await admin.execute(SQLQuery(unsafeSQL: "DROP DATABASE IF EXISTS \(name)"), logger: logger)
            await admin.shutdown()
            logger.debug("test database: \(name) dropped")
            return try result.get()
        }
    }

    /// `mysql://user:password@host:port/database` (or `…@localhost/database?socket=…`), every part percent-encoded.
    public static func url(_ server: MariaDBConfiguration, database: String) -> String {
        func encoded(_ text: String) -> String { text.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? text }
        let credentials = "\(encoded(server.username)):\(encoded(server.password))"
        switch server.endpoint {
        case .tcp(let host, let port):
            return "mysql://\(credentials)@\(host.contains(":") ? "[\(host)]" : host):\(port)/\(database)"
        case .unixSocket(let path):
            return "mysql://\(credentials)@localhost/\(database)?socket=\(encoded(path))"
        }
    }
}
