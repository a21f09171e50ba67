// Copyright (c) the Gatehouse authors
import ArgumentParser
import Foundation
import GatehouseApp
import Logging
import Storage
import Tenancy
import Vault

/// `gatehouse admin …`: platform admin tokens (the `Authorization: Bearer` of `/admin` and the dashboard sign-in).
struct AdminCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "admin", abstract: "Manage platform admin tokens.", subcommands: [CreateToken.self, ListTokens.self, RevokeToken.self])

    /// Opens the components for one command and shuts the database down afterwards (also on failure).
    static func withComponents<Result: Sendable>(_ body: @Sendable (GatehouseComponents, Logger) async throws -> Result) async throws -> Result {
        let (configuration, logger) = try loadConfiguration()
        let components = try await GatehouseComponents.open(configuration: configuration, masterKeys: try loadMasterKeys(configuration), logger: logger)
        do {
            let result = try await body(components, logger)
            await components.database.shutdown()
            return result
        } catch {
            await components.database.shutdown()
            throw error
        }
    }

    /// Who ran the command, for the audit log.
    static var actor: String { "cli:\(ProcessInfo.processInfo.environment["USER"] ?? "operator")" }

    struct CreateToken: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "create-token", abstract: "Create an admin token and print it (shown once; stored only as a keyed hash).")

        @Option(help: "What the token is for, e.g. \"alice laptop\" (1 to 100 characters).")
        var name: String

        @Flag(help: "Print {\"token\": \"…\"}.")
        var json = false

        func run() async throws {
            let name = self.name.trimmingCharacters(in: .whitespacesAndNewlines)
            guard (1...100).contains(name.count), !name.contains(where: \.isNewline) else {
                // A usage problem: say so plainly, before opening anything.
                FileHandle.standardError.write(Data("gatehouse: --name must be 1 to 100 characters on one line\n".utf8))
                throw ExitCode(64)  // EX_USAGE
            }
            let issued = try await AdminCommand.withComponents { components, logger in
                let issued = try await components.adminTokens.create(name: name, logger: logger)
                try await AuditLog(clock: components.clock).append(
                    AuditEntry(actor: AdminCommand.actor, ownerID: nil, action: "admin.token.create",
                        detail: ["prefix": .string(issued.prefix), "name": .string(name)]),
                    database: components.database, logger: logger)
                return issued
            }
            // The one moment the token exists in clear: handed to the operator who asked for it, never logged.
            let output: String
            if json {
                output = String(decoding: try JSONSerialization.data(withJSONObject: ["token": issued.secret], options: [.sortedKeys]), as: UTF8.self)
            } else {
                output = "admin token \(issued.prefix) created (\(name))\ntoken (shown once): \(issued.secret)"
            }
            FileHandle.standardOutput.write(Data((output + "\n").utf8))
        }
    }

    struct ListTokens: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list-tokens", abstract: "List admin tokens (prefix, name, dates; never secrets).")

        func run() async throws {
            let tokens = try await AdminCommand.withComponents { components, logger in try await components.adminTokens.list(logger: logger) }
            if tokens.isEmpty { print("no admin tokens") }
            for token in tokens {
                var line = "\(token.prefix)  \(token.name ?? "")  created \(APITimeText.format(token.createdAt))"
                line += token.lastUsedAt.map { "  last used \(APITimeText.format($0))" } ?? "  never used"
                if let revoked = token.revokedAt { line += "  REVOKED \(APITimeText.format(revoked))" }
                print(line)
            }
        }
    }

    struct RevokeToken: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "revoke-token", abstract: "Revoke an admin token by its prefix.")

        @Argument(help: "The token's prefix (as list-tokens shows it).")
        var prefix: String

        func run() async throws {
            let revoked = try await AdminCommand.withComponents { components, logger in
                let revoked = try await components.adminTokens.revoke(prefix: prefix, logger: logger)
                if revoked {
                    try await AuditLog(clock: components.clock).append(
                        AuditEntry(actor: AdminCommand.actor, ownerID: nil, action: "admin.token.revoke", detail: ["prefix": .string(prefix)]),
                        database: components.database, logger: logger)
                }
                return revoked
            }
            guard revoked else {
                FileHandle.standardError.write(Data("gatehouse: no active admin token with prefix \(prefix)\n".utf8))
                throw ExitCode(1)
            }
            print("admin token \(prefix) revoked")
        }
    }
}

/// UTC ISO 8601 text of Unix milliseconds, for CLI listings.
enum APITimeText {
    static func format(_ millis: Int64) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.timeZone = TimeZone(identifier: "UTC")
        return formatter.string(from: Date(timeIntervalSince1970: Double(millis) / 1000))
    }
}
