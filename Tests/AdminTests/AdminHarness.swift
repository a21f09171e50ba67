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
import Tenancy
import Testing
import Vault
import GatehouseCore

/// The admin suites, serialized: each test runs a whole Gatehouse (database, payOS sandbox, HTTP server).
@Suite(.serialized) enum AdminSuites {}

/// An owner as the tests use it: its row and a working API key.
struct AdminTestOwner: Sendable {
    let owner: Owner
    let apiKey: String
    var id: OwnerID { owner.id }
    var bearer: HTTPFields { [.authorization: "Bearer \(apiKey)"] }
}

/// A real Gatehouse for admin tests, built as `gatehouse serve` builds it (the GatewayHarness recipe, reduced to what
/// the admin side needs; GatewayHarness stays in GatewayTests because the rate-limit and metrics work extend it now):
/// a fresh database of the backend named by URL, an in-process payOS sandbox with one channel, `GatehouseComponents.open`
/// and `buildApplication` served on a live socket; an admin token, owner A (onboarded, with payOS credentials) and
/// owner B (not onboarded), each owner with an API key.
struct AdminHarness: Sendable {
    static let channel = SandboxChannel(
        clientId: "gh-admin-test-owner-a", apiKey: "sandbox-api-key-admin-a", checksumKey: "sandbox-checksum-key-admin-a-9b4e71",
        accountName: "NHA TRO HOA SEN")

    let backend: TestBackend
    let components: GatehouseComponents
    let port: Int
    let adminToken: IssuedAdminToken
    let ownerA: AdminTestOwner
    let ownerB: AdminTestOwner
    let logger: Logger

    var baseURL: String { "http://localhost:\(port)" }
    var admin: HTTPFields { [.authorization: "Bearer \(adminToken.token)"] }

    static func run<T: Sendable>(
        _ backend: TestBackend, environment extra: [String: String] = [:], _ body: @Sendable (AdminHarness) async throws -> T
    ) async throws -> T {
        let logger = TestDatabases.logger
        return try await TestDatabaseURL.withURL(backend, logger: logger) { databaseURL in
            let sandbox = PayOSSandbox(configuration: .init(channels: [channel], webhookTimeout: .seconds(2)), logger: logger)
            return try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await sandbox.run() }
                defer { group.cancelAll() }
                let sandboxURL = try await sandbox.baseURL()
                let dataDirectory = FileManager.default.temporaryDirectory.appendingPathComponent("gh-admin-\(UUID().uuidString)").path
                defer { try? FileManager.default.removeItem(atPath: dataDirectory) }
                let configuration = try GatehouseConfiguration(environment: extra.merging([
                    "GATEHOUSE_DATABASE_URL": databaseURL,
                    "GATEHOUSE_MASTER_KEYS": extra["GATEHOUSE_MASTER_KEYS"] ?? MasterKeyRing.generateEntry(version: 1),
                    "GATEHOUSE_PAYOS_BASE_URL": sandboxURL,
                    "GATEHOUSE_PUBLIC_URL": "http://gatehouse.test",
                    "GATEHOUSE_DATA_DIR": dataDirectory,
                ]) { given, _ in given })
                let components = try await GatehouseComponents.open(
                    configuration: configuration, masterKeys: try MasterKeyRing.load(configuration: configuration), logger: logger)
                do {
                    let token = try await components.adminTokens.create(name: "tests", logger: logger)
                    let ownerA = try await makeOwner(components, name: "Nhà trọ Hoa Sen", email: "owner-a@example.vn", logger: logger)
                    _ = try await components.credentials.store(
                        owner: ownerA.id, clientID: channel.clientId, apiKey: channel.apiKey, checksumKey: channel.checksumKey,
                        audit: AuditContext(actor: "test:setup"), logger: logger)
                    let ownerB = try await makeOwner(components, name: "Căn hộ Bình Minh", email: "owner-b@example.vn", logger: logger)
                    let app = buildApplication(components: components, logger: logger)
                    let result = try await app.test(.live) { client in
                        try await body(
                            AdminHarness(
                                backend: backend, components: components, port: try #require(client.port), adminToken: token, ownerA: ownerA,
                                ownerB: ownerB, logger: logger))
                    }
                    await components.database.shutdown()
                    return result
                } catch {
                    await components.database.shutdown()
                    throw error
                }
            }
        }
    }

    static func makeOwner(_ components: GatehouseComponents, name: String, email: String, logger: Logger) async throws -> AdminTestOwner {
        let owner = try await components.owners.create(name: name, email: email, logger: logger)
        let key = try await components.apiKeys.issue(owner: owner.id, name: "tests", logger: logger)
        return AdminTestOwner(owner: owner, apiKey: key.secret)
    }

    // MARK: HTTP

    /// One request on a fresh connection; checks the edge's invariants (request id; `{error, code}` on JSON errors;
    /// no secret of the harness in any body).
    @discardableResult
    func request(
        _ method: HTTPRequest.Method, _ path: String, headers: HTTPFields = [:], body: String? = nil,
        sourceLocation: SourceLocation = #_sourceLocation
    ) async throws -> AdminResult {
        var headers = headers
        if body != nil, headers[.contentType] == nil { headers[.contentType] = "application/json" }
        let request = TestClient.Request(path, method: method, authority: "localhost", headers: headers, body: body.map { ByteBuffer(string: $0) })
        let response = try await TestClient.withClient(host: "localhost", port: port) { client in try await client.execute(request) }
        let result = AdminResult(status: response.status, headers: response.headers, body: response.body.map { String(buffer: $0) } ?? "")
        let what = "\(method) \(path) → \(result.status.code)"
        #expect(result.headers[HTTPField.Name("X-Request-ID")!]?.isEmpty == false, "X-Request-ID: \(what)", sourceLocation: sourceLocation)
        for secret in [Self.channel.apiKey, Self.channel.checksumKey, adminToken.token, ownerA.apiKey, ownerB.apiKey]
        where result.body.contains(secret) {
            Issue.record("response body contains a secret: \(what)", sourceLocation: sourceLocation)
        }
        if result.status.code >= 400, result.isJSON {
            #expect(result.json?["code"]?.stringValue?.isEmpty == false, "error JSON has a code: \(what)", sourceLocation: sourceLocation)
            #expect(result.json?["error"]?.stringValue?.isEmpty == false, "error JSON has a message: \(what)", sourceLocation: sourceLocation)
        }
        return result
    }

    @discardableResult
    func get(_ path: String, headers: HTTPFields? = nil, sourceLocation: SourceLocation = #_sourceLocation) async throws -> AdminResult {
        try await request(.get, path, headers: headers ?? admin, sourceLocation: sourceLocation)
    }

    @discardableResult
    func post(_ path: String, _ body: String? = nil, headers: HTTPFields? = nil, sourceLocation: SourceLocation = #_sourceLocation) async throws -> AdminResult {
        try await request(.post, path, headers: headers ?? admin, body: body, sourceLocation: sourceLocation)
    }

    /// The newest audit rows with this action.
    func auditRows(action: String) async throws -> [AuditRecord] {
        try await AuditLog().records(action: action, database: components.database, logger: logger)
    }
}

/// A response as the tests see it.
struct AdminResult: Sendable {
    let status: HTTPResponse.Status
    let headers: HTTPFields
    let body: String

    var json: JSONValue? { try? JSONValue(parsing: body) }
    var isJSON: Bool { headers[.contentType]?.hasPrefix("application/json") == true }
    var errorCode: String? { json?["code"]?.stringValue }
    var requestID: String? { headers[HTTPField.Name("X-Request-ID")!] }
    var setCookies: [String] { headers[values: .setCookie] }
    var location: String? { headers[.location] }
}
