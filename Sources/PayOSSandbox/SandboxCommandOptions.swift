// Copyright (c) the Gatehouse authors
public import AsyncHTTPClient
public import Logging

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// What `gatehouse sandbox --host H --port N --channels FILE --public-url URL --fault-seed S` needs; the CLI
/// parses flags into this and calls ``makeSandbox(httpClient:logger:)``.
public struct SandboxCommandOptions: Sendable, Hashable {
    /// Interface to bind (default 127.0.0.1).
    public var host: String
    /// Port to bind (default 8089; 0 picks a free one).
    public var port: Int
    /// JSON array of channel objects `{clientId, apiKey, checksumKey, bin?, accountNumber?, accountName?, webhookUrl?, extraFields?}`
    /// (`extraFields`: an object of fields payOS does not document, added to webhooks and answers; see ``SandboxChannel``).
    public var channelsFile: String?
    /// Base of `checkoutUrl` when the sandbox is reached through another address (phone on the LAN, tunnel).
    public var publicBaseURL: String?
    /// Seed for reproducible fault injection; random when nil.
    public var faultSeed: UInt64?

    public init(host: String = "127.0.0.1", port: Int = 8089, channelsFile: String? = nil, publicBaseURL: String? = nil, faultSeed: UInt64? = nil) {
        self.host = host
        self.port = port
        self.channelsFile = channelsFile
        self.publicBaseURL = publicBaseURL
        self.faultSeed = faultSeed
    }

    /// Reads the channels file (if any) and builds the configuration.
    /// - Throws: ``PayOSSandboxError/channelsFile(_:)`` naming the path and the first bad entry,
    ///   ``PayOSSandboxError/invalidOption(_:)`` for a bad port or public URL.
    public func makeConfiguration() throws(PayOSSandboxError) -> PayOSSandbox.Configuration {
        var channels: [SandboxChannel] = []
        if let channelsFile {
            let bytes: [UInt8]
            do {
                bytes = Array(try Data(contentsOf: URL(fileURLWithPath: channelsFile)))
            } catch {
                throw .channelsFile("\(channelsFile) cannot be read")
            }
            do {
                channels = try SandboxChannel.parseChannelsFile(bytes)
            } catch {
                throw .channelsFile("\(channelsFile): \(error.message)")
            }
        }
        if let publicBaseURL, WebhookURL(publicBaseURL) == nil {
            throw .invalidOption("public base URL must be an absolute http or https URL")
        }
        guard (0...65_535).contains(port) else { throw .invalidOption("port must be between 0 and 65535") }
        return PayOSSandbox.Configuration(
            host: host,
            port: port,
            publicBaseURL: publicBaseURL,
            channels: channels,
            faultRandomSource: faultSeed.map { SeededRandomNumberGenerator(seed: $0) as any RandomNumberGenerator & Sendable }
                ?? SystemRandomNumberGenerator()
        )
    }

    /// A sandbox ready to ``PayOSSandbox/run()``.
    public func makeSandbox(httpClient: HTTPClient = PayOSSandbox.webhookHTTPClient, logger: Logger) throws(PayOSSandboxError) -> PayOSSandbox {
        PayOSSandbox(configuration: try makeConfiguration(), httpClient: httpClient, logger: logger)
    }
}
