// Copyright (c) the Gatehouse authors
import GatehouseApp
import GatehouseCore
import GatehouseTestSupport
import HTTPTypes
import Logging
import PayOSSandbox
import StorageTestSupport
import Tenancy
import Testing
import Vault

/// The admin suites, serialized: each test runs a whole Gatehouse (database, payOS sandbox, HTTP server).
@Suite(.serialized) enum AdminSuites {}

/// An owner as the tests use it: its row and a working API key.
struct AdminTestOwner: Sendable {
    let owner: Owner
    let apiKey: String
    var id: OwnerID { owner.id }
    var bearer: HTTPFields { [.authorization: "Bearer \(apiKey)"] }
}

/// A real Gatehouse for admin tests: a ``TestGatehouse`` (fresh database of the backend, in-process payOS sandbox with
/// one channel, `gatehouse serve`'s composition on a live socket) with an admin token, owner A (onboarded, with payOS
/// credentials) and owner B (not onboarded), each owner with an API key.
struct AdminHarness: Sendable {
    static let channel = SandboxChannel(
        clientId: "gh-admin-test-owner-a", apiKey: "sandbox-api-key-admin-a", checksumKey: "sandbox-checksum-key-admin-a-9b4e71",
        accountName: "NHA TRO HOA SEN")

    let backend: TestBackend
    let components: GatehouseComponents
    let port: Int
    let adminToken: IssuedCredential
    let ownerA: AdminTestOwner
    let ownerB: AdminTestOwner
    let logger: Logger

    var baseURL: String { "http://localhost:\(port)" }
    var admin: HTTPFields { [.authorization: "Bearer \(adminToken.secret)"] }

    static func run<T: Sendable>(
        _ backend: TestBackend, environment extra: [String: String] = [:], _ body: @Sendable (AdminHarness) async throws -> T
    ) async throws -> T {
        try await TestGatehouse.run(backend, sandbox: .init(channels: [channel], webhookTimeout: .seconds(2)), environment: extra) { gatehouse in
            let components = gatehouse.components, logger = gatehouse.logger
            let token = try await components.adminTokens.create(name: "tests", logger: logger)
            let ownerA = try await makeOwner(components, name: "Nhà trọ Hoa Sen", email: "owner-a@example.vn", logger: logger)
            _ = try await components.credentials.store(
                owner: ownerA.id, clientID: channel.clientId, apiKey: channel.apiKey, checksumKey: channel.checksumKey,
                audit: AuditContext(actor: "test:setup"), logger: logger)
            let ownerB = try await makeOwner(components, name: "Căn hộ Bình Minh", email: "owner-b@example.vn", logger: logger)
            return try await body(
                AdminHarness(
                    backend: backend, components: components, port: gatehouse.port, adminToken: token, ownerA: ownerA, ownerB: ownerB,
                    logger: logger))
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
    ) async throws -> HTTPResult {
        let result = try await HTTPResult.fetch(port: port, method, path, headers: headers, body: body)
        result.expectEdgeInvariants(
            method, path, forbiddenText: [Self.channel.apiKey, Self.channel.checksumKey, adminToken.secret, ownerA.apiKey, ownerB.apiKey],
            sourceLocation: sourceLocation)
        return result
    }

    @discardableResult
    func get(_ path: String, headers: HTTPFields? = nil, sourceLocation: SourceLocation = #_sourceLocation) async throws -> HTTPResult {
        try await request(.get, path, headers: headers ?? admin, sourceLocation: sourceLocation)
    }

    @discardableResult
    func post(_ path: String, _ body: String? = nil, headers: HTTPFields? = nil, sourceLocation: SourceLocation = #_sourceLocation) async throws -> HTTPResult {
        try await request(.post, path, headers: headers ?? admin, body: body, sourceLocation: sourceLocation)
    }

    /// The newest audit rows with this action.
    func auditRows(action: String) async throws -> [AuditRecord] {
        try await AuditLog().records(action: action, database: components.database, logger: logger)
    }
}
