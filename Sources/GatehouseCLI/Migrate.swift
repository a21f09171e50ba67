// Copyright (c) the Gatehouse authors
import ArgumentParser
import GatehouseApp
import Logging
import Storage

/// `gatehouse migrate`: applies pending database migrations and exits.
struct Migrate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Apply pending database migrations, then exit.")

    func run() async throws {
        let (configuration, logger) = try loadConfiguration()
        let database = try configuration.database()
        let applied = try await database.withDatabase(logger: logger) { try await $0.migrate(logger: logger) }
        if applied.isEmpty {
            print("database is up to date (\(configuration.databaseSummary))")
        } else {
            for migration in applied { print("applied migration \(migration.version): \(migration.name)") }
        }
    }
}
