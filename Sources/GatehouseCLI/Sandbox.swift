// Copyright (c) the Gatehouse authors
import ArgumentParser
import Foundation
import Logging
import PayOSSandbox
import ServiceLifecycle
import UnixSignals

/// `gatehouse sandbox`: the local payOS sandbox on its own, for scripts and manual testing.
struct Sandbox: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the local payOS sandbox (payOS's API at the root of its address, control API under /sandbox/)."
    )

    @Option(help: "Address to bind. The control API has no authentication: keep it on loopback.")
    var host: String = "127.0.0.1"

    @Option(help: "Port to bind.")
    var port: Int = 8089

    @Option(help: "JSON array of merchant channels: [{clientId, apiKey, checksumKey, bin?, accountNumber?, accountName?}].")
    var channels: String?

    @Option(name: .customLong("public-url"), help: "Base URL of checkout links, when the sandbox is reached through another address.")
    var publicURL: String?

    @Option(name: .customLong("fault-seed"), help: "Seed for fault injection, for reproducible runs.")
    var faultSeed: UInt64?

    func run() async throws {
        let logger = bootstrapLogging(level: .info)
        let options = SandboxCommandOptions(host: host, port: port, channelsFile: channels, publicBaseURL: publicURL, faultSeed: faultSeed)
        let sandbox: PayOSSandbox
        do {
            sandbox = try options.makeSandbox(logger: logger)
        } catch {
            FileHandle.standardError.write(Data("gatehouse sandbox: \(error)\n".utf8))
            throw ExitCode(64)
        }
        let group = ServiceGroup(
            configuration: .init(services: [sandbox], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
    }
}
