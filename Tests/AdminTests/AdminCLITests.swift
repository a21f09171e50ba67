// Copyright (c) the Gatehouse authors
import Foundation
import GatehouseApp
import PayOS
import Storage
import StorageTestSupport
import Tenancy
import Testing
import Vault

/// `gatehouse admin …` and `gatehouse audit verify`, run as the built executable against an SQLite file, checked
/// through the same database in-process.
@Suite(.enabled(if: AdminCLI.executable != nil, "the gatehouse executable is not built (swift build)"))
struct AdminCLITests {
    @Test func tokensAreCreatedShownOnceListedRevokedAndTheAuditChainIsVerified() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("gh-admin-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let environment = [
            "GATEHOUSE_DATABASE_URL": "sqlite://" + directory.appendingPathComponent("db.sqlite").path,
            "GATEHOUSE_MASTER_KEYS": MasterKeyRing.generateEntry(version: 1), "GATEHOUSE_DATA_DIR": directory.path,
            "GATEHOUSE_LOG_LEVEL": "error",
        ]

        let created = try await AdminCLI.run(["admin", "create-token", "--name", "alice laptop", "--json"], environment: environment)
        try #require(created.status == 0, "\(created.stderr)")
        let token = try #require(try JSONValue(parsing: created.stdout)["token"]?.stringValue)
        let prefix = try #require(AdminTokenRepository.prefix(of: token))

        let listed = try await AdminCLI.run(["admin", "list-tokens"], environment: environment)
        #expect(listed.status == 0)
        #expect(listed.stdout.contains(prefix) && listed.stdout.contains("alice laptop"))
        #expect(!listed.stdout.contains(token))

        // The token the CLI printed is a working admin token.
        let configuration = try GatehouseConfiguration(environment: environment)
        let logger = TestDatabases.logger
        let components = try await GatehouseComponents.open(
            configuration: configuration, masterKeys: try MasterKeyRing.load(configuration: configuration), logger: logger)
        do {
            #expect(try await components.adminTokens.authenticate(token, logger: logger)?.prefix == prefix)

            #expect(try await AdminCLI.run(["admin", "revoke-token", prefix], environment: environment).status == 0)
            #expect(try await components.adminTokens.authenticate(token, logger: logger) == nil)
            let again = try await AdminCLI.run(["admin", "revoke-token", prefix], environment: environment)
            #expect(again.status == 1)
            #expect(again.stderr.contains("no active admin token"))
            #expect(try await AdminCLI.run(["admin", "create-token", "--name", " "], environment: environment).status == 64)

            let actions = try await AuditLog().records(limit: 100, database: components.database, logger: logger).map(\.action)
            #expect(actions.contains("admin.token.create") && actions.contains("admin.token.revoke"))

            let intact = try await AdminCLI.run(["audit", "verify"], environment: environment)
            #expect(intact.status == 0)
            #expect(intact.stdout.contains("audit chain intact"))
            // Edit one row behind the log's back: verify names it and fails.
            let edited = try #require(try await AuditLog().records(action: "admin.token.create", database: components.database, logger: logger).first)
            try await components.database.execute("UPDATE audit_log SET actor = 'cli:mallory' WHERE id = \(edited.id)", logger: logger)
            let broken = try await AdminCLI.run(["audit", "verify"], environment: environment)
            #expect(broken.status == 1)
            #expect(broken.stderr.contains("BROKEN at row \(edited.id)"))
            await components.database.shutdown()
        } catch {
            await components.database.shutdown()
            throw error
        }
    }
}

enum AdminCLI {
    /// The `gatehouse` executable next to the test bundle (`swift build` puts both in the same folder).
    static var executable: String? {
        let candidates = [
            Bundle.main.bundleURL.appendingPathComponent("gatehouse").path,
            URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
                .appendingPathComponent(".build/debug/gatehouse").path,
        ]
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    struct Output: Sendable {
        let status: Int32
        let stdout: String
        let stderr: String
    }

    /// Runs `gatehouse arguments…` with exactly `environment` (plus PATH), to completion.
    static func run(_ arguments: [String], environment: [String: String]) async throws -> Output {
        let executable = try #require(Self.executable)
        return try await withCheckedThrowingContinuation { continuation in
            let process = Process()
            process.executableURL = URL(fileURLWithPath: executable)
            process.arguments = arguments
            process.environment = environment.merging(["PATH": "/usr/bin:/bin"]) { given, _ in given }
            let out = Pipe(), err = Pipe()
            process.standardOutput = out
            process.standardError = err
            process.terminationHandler = { process in
                let stdout = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
                let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
                continuation.resume(returning: Output(status: process.terminationStatus, stdout: stdout, stderr: stderr))
            }
            do {
                try process.run()
            } catch {
                continuation.resume(throwing: error)
            }
        }
    }
}
