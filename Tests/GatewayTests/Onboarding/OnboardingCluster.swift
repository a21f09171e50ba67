// Copyright (c) the Gatehouse authors
import GatehouseApp
import GatehouseTestSupport
import HTTPTypes
import Logging
import LogTestSupport
import PayOS
import PayOSSandbox
import Storage
import StorageTestSupport
import Tenancy
import Testing

/// Two Gatehouse instances on one database, as behind a load balancer, with an in-process payOS sandbox:
/// - the **receiver** is where payOS's webhooks (and so confirm-webhook's probe) arrive;
/// - the **initiator** takes the owner's `PUT /api/owner/payos-credentials`; its public URL points at the receiver, so
///   the probe that proves the credentials always reaches the *other* instance.
/// Every log record of both instances is captured (a ``LogCapture``) so tests can prove keys never reach the logs.
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
        let sandbox = PayOSSandbox.Configuration(channels: [channelA, channelB], webhookTimeout: .seconds(2))
        return try await GatehouseTestBed.run(backend, sandbox: sandbox, logs: logs) { bed in
            try await bed.serve(publicURL: "http://receiver.invalid") { receiver in
                let initiatorEnvironment = initiatorPayOSURL.map { ["GATEHOUSE_PAYOS_BASE_URL": $0] } ?? [:]
                return try await bed.serve(publicURL: initiatorPublicURL(receiver.port), environment: initiatorEnvironment) { initiator in
                    try await body(
                        OnboardingCluster(
                            initiatorPort: initiator.port, receiverPort: receiver.port, initiator: initiator.components,
                            receiver: receiver.components, sandbox: bed.sandbox, logs: logs, logger: bed.logger))
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

    /// One request to an instance on a fresh connection, its answer held to the API contract.
    func request(
        _ method: HTTPRequest.Method, _ path: String, port: Int? = nil, headers: HTTPFields = [:], body: String? = nil
    ) async throws -> HTTPResult {
        let result = try await HTTPResult.fetch(port: port ?? initiatorPort, method, path, headers: headers, body: body)
        APIContract.shared.expectConforms(method, path, result)
        return result
    }

    func count(_ sql: String) async throws -> Int64 {
        try await initiator.database.query(SQLQuery(unsafeSQL: sql), logger: logger).first?.decode("n") ?? -1
    }
}

extension PayOSWebhookBody {
    /// The body as payOS sends it.
    var jsonText: String { JSONValue.object(toJSON()).compactText }
}
