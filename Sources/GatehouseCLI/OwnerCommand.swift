// Copyright (c) the Gatehouse authors
import ArgumentParser
import Foundation
import GatehouseApp
import Logging
import Storage
import Tenancy
import Vault
import GatehouseCore

/// `gatehouse owner …`: property owners (tenants).
struct OwnerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "owner", abstract: "Manage property owners.", subcommands: [Create.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create an owner and print its id and first API key (shown once).")

        @Option(help: "The owner's name.")
        var name: String

        @Option(help: "The owner's email address.")
        var email: String

        @Flag(help: "Print {\"owner_id\": …, \"api_key\": \"…\"}.")
        var json = false

        func run() async throws {
            let (configuration, logger) = try loadConfiguration()
            let components = try await GatehouseComponents.open(
                configuration: configuration, masterKeys: try loadMasterKeys(configuration), logger: logger)
            do {
                let owner = try await components.owners.create(name: name, email: email, logger: logger)
                let key = try await components.apiKeys.issue(owner: owner.id, name: "first key", logger: logger)
                await components.database.shutdown()
                // The one moment the key exists in clear: handed to the operator who asked for it, never logged.
                let output: String
                if json {
                    let object: [String: any Sendable] = ["owner_id": owner.id.rawValue, "api_key": key.secret]
                    output = String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self)
                } else {
                    output = "owner \(owner.id.rawValue) created (\(owner.name) <\(owner.email)>)\nAPI key (shown once): \(key.secret)"
                }
                FileHandle.standardOutput.write(Data((output + "\n").utf8))
            } catch {
                await components.database.shutdown()
                throw error
            }
        }
    }
}
