// Copyright (c) the Gatehouse authors
import ArgumentParser
import Foundation
import GatehouseApp
import Logging
import Storage
import Vault
import GatehouseCore

/// `gatehouse vault …`: the vault's master keys.
struct VaultCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vault",
        abstract: "Manage the vault's master keys.",
        subcommands: [Status.self, RotateMasterKey.self, RetireKEK.self, GenerateMasterKey.self]
    )

    /// Opens the database and the vault for one command, then shuts the database down.
    static func withVault<Result: Sendable>(_ body: @Sendable (Vault, Logger) async throws -> Result) async throws -> Result {
        let (configuration, logger) = try loadConfiguration()
        let masterKeys = try loadMasterKeys(configuration)
        let database = try configuration.database()
        return try await database.withDatabase(logger: logger) { database in
            try await database.migrate(logger: logger)
            return try await body(Vault(database: database, masterKeys: masterKeys), logger)
        }
    }

    static let operator_ = AuditContext(actor: "cli:\(ProcessInfo.processInfo.environment["USER"] ?? "operator")")

    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show how many keys each master key version still protects.")

        func run() async throws {
            let status = try await VaultCommand.withVault { vault, logger in try await vault.status(logger: logger) }
            print("active master key version: \(status.activeVersion)")
            print("versions in the key ring: \(status.ringVersions.map(String.init).joined(separator: ", "))")
            let versions = Set(status.ringVersions).union(status.dataKeysByVersion.keys).sorted(by: >)
            for version in versions {
                let inRing = status.ringVersions.contains(version) ? "" : "  (NOT in the key ring: those keys cannot be opened)"
                print("  version \(version): protects \(status.dataKeysByVersion[version] ?? 0) key(s)\(inRing)")
            }
            for run in status.unfinishedRotations {
                print("unfinished rotation run \(run.runID) to version \(run.targetVersion): \(run.rewrapped) re-wrapped so far (rerun rotate-master-key)")
            }
        }
    }

    struct RotateMasterKey: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "rotate-master-key",
            abstract: "Re-wrap every key under the active (or given) master key version, in resumable batches.")

        @Option(help: "Target master key version (default: the active one, the highest in the ring).")
        var to: Int?

        @Option(help: "Keys re-wrapped per transaction.")
        var batchSize: Int = 100

        func run() async throws {
            let report = try await VaultCommand.withVault { vault, logger in
                try await vault.rotateMasterKey(to: to, batchSize: batchSize, audit: VaultCommand.operator_, logger: logger)
            }
            print("rotation run \(report.runID) to version \(report.targetVersion): \(report.rewrapped) key(s) re-wrapped, finished: \(report.finished)")
        }
    }

    struct RetireKEK: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "retire-kek", abstract: "Check that a master key version protects nothing and record its retirement.")

        @Argument(help: "The master key version to retire.")
        var version: Int

        func run() async throws {
            try await VaultCommand.withVault { vault, logger in
                try await vault.retire(kekVersion: version, audit: VaultCommand.operator_, logger: logger)
            }
            print("master key version \(version) protects nothing and is retired: remove it from GATEHOUSE_MASTER_KEYS / the key file on every node")
        }
    }

    struct GenerateMasterKey: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "generate-master-key",
            abstract: "Print a new master key entry (`VERSION:<base64>`) to add to the key ring, or create a key file.")

        @Option(help: "Version number of the new key.")
        var version: Int = 1

        @Option(help: "Create this key file (mode 0600, never overwritten) instead of printing.")
        var file: String?

        func run() async throws {
            if let file {
                _ = try MasterKeyRing.generateFile(at: file)
                print("created \(file) (mode 0600)")
            } else {
                // The operator asked for key material on standard output, to put in a secret store.
                let entry = MasterKeyRing.generateEntry(version: version)
                FileHandle.standardOutput.write(Data((entry + "\n").utf8))
            }
        }
    }
}
