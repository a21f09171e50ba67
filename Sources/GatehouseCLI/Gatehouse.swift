// Copyright (c) the Gatehouse authors
import ArgumentParser
import Foundation
import GatehouseApp
import Hummingbird
import Logging
import Vault

@main
struct Gatehouse: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gatehouse",
        abstract: "Multi-tenant payOS payment gateway.",
        subcommands: [
            Serve.self, Dev.self, Migrate.self, VaultCommand.self, OwnerCommand.self, AdminCommand.self, AuditCommand.self, Sandbox.self,
        ]
    )
}

/// Options shared by the commands that bind an HTTP server.
struct ServerOptions: ParsableArguments {
    @Option(help: "Address to bind (overrides GATEHOUSE_HOST).")
    var host: String?

    @Option(help: "Port to bind (overrides GATEHOUSE_PORT).")
    var port: Int?
}

/// Reads the configuration and bootstraps logging once for the process.
func loadConfiguration(_ options: ServerOptions? = nil) throws -> (GatehouseConfiguration, Logger) {
    let configuration: GatehouseConfiguration
    do {
        configuration = try GatehouseConfiguration(
            environment: ProcessInfo.processInfo.environment, host: options?.host, port: options?.port)
    } catch {
        // A configuration problem is not a usage problem: say what is wrong, without the usage text.
        FileHandle.standardError.write(Data("gatehouse: \(error.description)\n".utf8))
        throw ExitCode(78)  // EX_CONFIG
    }
    return (configuration, bootstrapLogging(level: Logger.Level(rawValue: configuration.logLevel) ?? .info))
}

/// Bootstraps swift-log once for the process (standard error) and returns the root logger.
func bootstrapLogging(level: Logger.Level) -> Logger {
    LoggingSystem.bootstrap { label in
        var handler = StreamLogHandler.standardError(label: label)
        handler.logLevel = level
        return handler
    }
    return Logger(label: "gatehouse")
}

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the gateway (production).")

    @OptionGroup var server: ServerOptions

    func run() async throws {
        let (configuration, logger) = try loadConfiguration(server)
        logger.info("starting gatehouse", metadata: ["config": "\(configuration)"])
        let masterKeys = try loadMasterKeys(configuration)
        // The process's one metrics backend: Hummingbird's request metrics and Gatehouse's own share `GET /metrics`.
        let observability = Observability()
        observability.bootstrapProcessMetrics()
        let components = try await GatehouseComponents.open(
            configuration: configuration, masterKeys: masterKeys, observability: observability, logger: logger)
        let app = buildApplication(components: components, logger: logger)
        try await app.runService()
    }
}

/// The vault's master keys from the configuration. A missing, malformed or insecure key is reported as a
/// configuration error that says what is wrong (versions, lengths, the file and its mode — never key material).
func loadMasterKeys(_ configuration: GatehouseConfiguration) throws -> MasterKeyRing {
    func fail(_ text: String) -> ExitCode {
        FileHandle.standardError.write(Data("gatehouse: \(text)\n".utf8))
        return ExitCode(78)  // EX_CONFIG
    }
    do {
        return try MasterKeyRing.load(configuration: configuration)
    } catch let error as ConfigurationError {
        throw fail(error.description)
    } catch let error as VaultError where [.invalidMasterKey, .insecureKeyFile, .keyFileUnreadable].contains(error.code) {
        // The detail of these codes is written by MasterKeyRing and names versions, lengths and paths only.
        throw fail("vault master keys: " + String(reflecting: error))
    }
}
