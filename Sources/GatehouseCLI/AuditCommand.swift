// Copyright (c) the Gatehouse authors
import ArgumentParser
import Foundation
import GatehouseApp
import Logging
import Storage
import Vault

/// `gatehouse audit …`: the tamper-evident audit log.
struct AuditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit", abstract: "Check the audit log.", subcommands: [Verify.self])

    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Walk the audit chain; exit 1 naming the first row that was edited, removed, inserted or reordered.")

        func run() async throws {
            // Needs only the database: no master keys, so an auditor can run it without access to secrets.
            let (configuration, logger) = try loadConfiguration()
            let database = try configuration.database()
            let report = try await database.withDatabase(logger: logger) { database in
                try await database.migrate(logger: logger)
                return try await AuditLog().verify(database: database, logger: logger)
            }
            if let broken = report.firstBreak {
                let why =
                    switch broken.problem {
                    case .hashMismatch: "its stored hash does not match its fields (the row was edited)"
                    case .prevHashMismatch: "its prev_hash does not match the row before it (a row was removed, inserted or reordered)"
                    }
                FileHandle.standardError.write(Data("audit chain BROKEN at row \(broken.id): \(why); \(report.rowsChecked) row(s) checked\n".utf8))
                throw ExitCode(1)
            }
            let head = report.headID.map { "head row \($0), hash \(Self.hex(report.headHash ?? []))" } ?? "empty log"
            print("audit chain intact: \(report.rowsChecked) row(s) checked, \(head)")
        }

        static func hex(_ bytes: [UInt8]) -> String {
            bytes.map { String($0, radix: 16).count == 1 ? "0" + String($0, radix: 16) : String($0, radix: 16) }.joined()
        }
    }
}
