// Copyright (c) the Gatehouse authors
import GatehouseApp
import Foundation
import Logging
import Sodium
import Storage
import StorageTestSupport
import Testing
import Vault

/// Sealed secrets never reach storage in plaintext: not in the SQLite file or its WAL, not in a
/// MariaDB dump.
@Suite struct PlaintextAtRestTests {
    private let logger = Fixtures.logger

    // MARK: Tests

    @Test func sqliteFileAndWALNeverContainThePlaintext() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("gatehouse-vault-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("gatehouse.sqlite").path
        let samples = [SampleCredentials("one"), SampleCredentials("two")]
        try await DatabaseConfiguration.sqlite(SQLiteConfiguration(path: path)).withDatabase(logger: logger) { database in
            try await database.migrate(logger: logger)
            let vault = Vault(database: database, masterKeys: try Fixtures.ring([1]))
            let owner = try await Fixtures.makeOwner(database)
            for sample in samples { try await Fixtures.store(sample, owner: owner, in: vault) }
            #expect(try await Fixtures.unsealed(owner: owner, from: vault) == samples[1].all)
            // While open, recent pages live in the WAL: check it and the main file.
            let files = [path, path + "-wal"].filter { FileManager.default.fileExists(atPath: $0) }
            #expect(files.contains(path + "-wal"))
            try expectAbsent(samples.flatMap(\.all), in: files)
            // Control: a value written in plaintext is found by the same search.
            try await database.execute("UPDATE owner SET name = \(samples[0].apiKey) WHERE id = \(owner)", logger: logger)
            #expect(try files.contains { try contains(Data(contentsOf: URL(fileURLWithPath: $0)), samples[0].apiKey) })
            try await database.execute("UPDATE owner SET name = 'x' WHERE id = \(owner)", logger: logger)
        }
        // After shutdown (checkpointed), only the control value may linger in free pages; credentials never.
        let remaining = [path, path + "-wal"].filter { FileManager.default.fileExists(atPath: $0) }
        try expectAbsent([samples[0].clientID, samples[0].checksumKey] + samples[1].all, in: remaining)
    }

    @Test(.mariaDBAvailable)
    func mariadbDumpNeverContainsThePlaintext() async throws {
        try await withTestDatabase(.mariadb) { database in
            let vault = Vault(database: database, masterKeys: try Fixtures.ring([1]))
            let owner = try await Fixtures.makeOwner(database)
            let samples = [SampleCredentials("one"), SampleCredentials("two")]
            for sample in samples { try await Fixtures.store(sample, owner: owner, in: vault) }
            #expect(try await Fixtures.unsealed(owner: owner, from: vault) == samples[1].all)
            let name: String = try await database.query("SELECT DATABASE() AS name", logger: logger)[0].decode("name")

            let dump = try mariadbDump(database: name)
            #expect(contains(dump, "CREATE TABLE `vault_credential`"))
            #expect(contains(dump, "INSERT INTO `vault_credential`"))
            for secret in samples.flatMap(\.all) { #expect(!contains(dump, secret), "plaintext found in dump") }
            // Control: the same search finds a value stored in plaintext.
            try await database.execute("UPDATE owner SET name = 'control-plaintext-1234' WHERE id = \(owner)", logger: logger)
            #expect(contains(try mariadbDump(database: name), "control-plaintext-1234"))
        }
    }

    // MARK: Helpers

    private func expectAbsent(_ secrets: [String], in files: [String], sourceLocation: SourceLocation = #_sourceLocation) throws {
        for file in files {
            let bytes = try Data(contentsOf: URL(fileURLWithPath: file))
            #expect(!bytes.isEmpty, sourceLocation: sourceLocation)
            for secret in secrets {
                #expect(!contains(bytes, secret), "plaintext found in \(file)", sourceLocation: sourceLocation)
            }
        }
    }

    private func contains(_ haystack: Data, _ needle: String) -> Bool {
        haystack.range(of: Data(needle.utf8)) != nil
    }

    /// `mariadb-dump --no-defaults` of one database on the test server (password through `MYSQL_PWD`,
    /// not the command line).
    private func mariadbDump(database: String) throws -> Data {
        let server = try TestDatabases.mariaDBServerConfiguration()
        var arguments = ["--no-defaults", "--user=\(server.username)", "--skip-extended-insert"]
        switch server.endpoint {
        case .tcp(let host, let port): arguments += ["--host=\(host)", "--port=\(port)", "--protocol=TCP"]
        case .unixSocket(let socket): arguments += ["--socket=\(socket)"]
        }
        arguments.append(database)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try executable("mariadb-dump"))
        process.arguments = arguments
        var environment = ProcessInfo.processInfo.environment
        environment["MYSQL_PWD"] = server.password
        process.environment = environment
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        try #require(process.terminationStatus == 0, "mariadb-dump exited with \(process.terminationStatus)")
        return data
    }

    private func executable(_ name: String) throws -> String {
        for directory in ["/usr/bin", "/usr/local/bin", "/usr/sbin"] where FileManager.default.isExecutableFile(atPath: "\(directory)/\(name)") {
            return "\(directory)/\(name)"
        }
        throw TestFailure("\(name) is not installed")
    }
}
