// Copyright (c) the Gatehouse authors
import Foundation
import GatehouseApp
import Gateway
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import PayOS
import PayOSSandbox
import Storage
import StorageTestSupport
import Synchronization
import Tenancy
import Testing
import Vault

/// Two Gatehouse instances on one database, as behind a load balancer, with an in-process payOS sandbox:
/// - the **receiver** is where payOS's webhooks (and so confirm-webhook's probe) arrive;
/// - the **initiator** takes the owner's `PUT /api/owner/payos-credentials`; its public URL points at the receiver, so
///   the probe that proves the credentials always reaches the *other* instance.
/// Every log line of both instances is captured so tests can prove keys never reach the logs.
struct OnboardingCluster: Sendable {
    let initiatorPort: Int
    let receiverPort: Int
    let initiator: GatehouseComponents
    let receiver: GatehouseComponents
    let sandbox: PayOSSandbox
    let logs: LogCapture
    let logger: Logger

    static let channelA = GatewayHarness.channelA
    static let channelB = GatewayHarness.channelB

    /// - Parameters:
    ///   - initiatorPublicURL: the initiator's public URL given the receiver's port (default: the receiver).
    ///   - initiatorPayOSURL: where the initiator reaches payOS (default: the sandbox).
    static func run<T: Sendable>(
        _ backend: TestBackend, initiatorPublicURL: @escaping @Sendable (Int) -> String = { "http://127.0.0.1:\($0)" },
        initiatorPayOSURL: String? = nil,
        _ body: @Sendable (OnboardingCluster) async throws -> T
    ) async throws -> T {
        let logs = LogCapture()
        let logger = logs.logger()
        return try await TestDatabaseURL.withURL(backend, logger: logger) { databaseURL in
            let sandbox = PayOSSandbox(
                configuration: .init(channels: [channelA, channelB], webhookTimeout: .seconds(2)), logger: TestDatabases.logger)
            return try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await sandbox.run() }
                defer { group.cancelAll() }
                let sandboxURL = try await sandbox.baseURL()
                let dataDirectory = FileManager.default.temporaryDirectory.appendingPathComponent("gh-onb-\(UUID().uuidString)").path
                defer { try? FileManager.default.removeItem(atPath: dataDirectory) }
                let masterKeys = MasterKeyRing.generateEntry(version: 1)
                @Sendable func open(publicURL: String, payOSURL: String = sandboxURL) async throws -> GatehouseComponents {
                    let configuration = try GatehouseConfiguration(environment: [
                        "GATEHOUSE_DATABASE_URL": databaseURL, "GATEHOUSE_MASTER_KEYS": masterKeys, "GATEHOUSE_PAYOS_BASE_URL": payOSURL,
                        "GATEHOUSE_PUBLIC_URL": publicURL, "GATEHOUSE_DATA_DIR": dataDirectory,
                    ])
                    return try await GatehouseComponents.open(
                        configuration: configuration, masterKeys: try MasterKeyRing.load(configuration: configuration), logger: logger)
                }
                let receiver = try await open(publicURL: "http://receiver.invalid")
                do {
                    let result = try await buildApplication(components: receiver, logger: logger).test(.live) { receiverClient in
                        let receiverPort = try #require(receiverClient.port)
                        let initiator = try await open(publicURL: initiatorPublicURL(receiverPort), payOSURL: initiatorPayOSURL ?? sandboxURL)
                        do {
                            let result = try await buildApplication(components: initiator, logger: logger).test(.live) { initiatorClient in
                                try await body(
                                    OnboardingCluster(
                                        initiatorPort: try #require(initiatorClient.port), receiverPort: receiverPort, initiator: initiator,
                                        receiver: receiver, sandbox: sandbox, logs: logs, logger: logger))
                            }
                            await initiator.database.shutdown()
                            return result
                        } catch {
                            await initiator.database.shutdown()
                            throw error
                        }
                    }
                    await receiver.database.shutdown()
                    return result
                } catch {
                    await receiver.database.shutdown()
                    throw error
                }
            }
        }
    }

    /// A new owner without credentials, and its API key.
    func makeOwner(_ name: String) async throws -> (owner: Owner, bearer: HTTPFields) {
        let owner = try await initiator.owners.create(name: name, email: "\(name)@example.vn", logger: logger)
        let key = try await initiator.apiKeys.issue(owner: owner.id, name: "tests", logger: logger)
        return (owner, [.authorization: "Bearer \(key.secret)"])
    }

    static func body(clientID: String, apiKey: String, checksumKey: String) -> String {
        JSONValue.object(["client_id": .string(clientID), "api_key": .string(apiKey), "checksum_key": .string(checksumKey)]).compactText
    }

    static func body(_ channel: SandboxChannel) -> String {
        body(clientID: channel.clientId, apiKey: channel.apiKey, checksumKey: channel.checksumKey)
    }

    /// One request to an instance on a fresh connection.
    func request(
        _ method: HTTPRequest.Method, _ path: String, port: Int? = nil, headers: HTTPFields = [:], body: String? = nil
    ) async throws -> HTTPResult {
        var headers = headers
        if body != nil { headers[.contentType] = "application/json" }
        let request = TestClient.Request(path, method: method, authority: "localhost", headers: headers, body: body.map { ByteBuffer(string: $0) })
        let response = try await TestClient.withClient(host: "localhost", port: port ?? initiatorPort) { try await $0.execute(request) }
        return HTTPResult(status: response.status, headers: response.headers, body: response.body.map { String(buffer: $0) } ?? "")
    }

    func count(_ sql: String) async throws -> Int64 {
        try await initiator.database.query(SQLQuery(unsafeSQL: sql), logger: logger).first?.decode("n") ?? -1
    }
}

/// Collects every log line (message and metadata) of the instances under test.
final class LogCapture: Sendable {
    private let lines = Mutex<[String]>([])

    var text: String { lines.withLock { $0.joined(separator: "\n") } }

    func logger() -> Logger {
        var logger = Logger(label: "gatehouse.test") { _ in Handler(capture: self) }
        logger.logLevel = .trace
        return logger
    }

    fileprivate func append(_ line: String) { lines.withLock { $0.append(line) } }

    struct Handler: LogHandler {
        let capture: LogCapture
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            let merged = metadata.merging(event.metadata ?? [:]) { $1 }
            capture.append("\(event.level) \(event.message) \(merged)")
        }
    }
}

extension PayOSWebhookBody {
    /// The body as payOS sends it.
    var jsonText: String { JSONValue.object(toJSON()).compactText }
}
