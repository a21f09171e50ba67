// Copyright (c) the Gatehouse authors
import Admin
import Foundation
import GatehouseApp
import GatehouseTestSupport
import Gateway
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import PayOS
import StorageTestSupport
import Tenancy
import Testing
import Vault
import GatehouseHTTP
import GatehouseCore

extension GatewayAPITests {
    /// `PUT` / `GET /admin/owners/{id}/rate-limit`, mounted on an `/admin` group behind admin authentication
    /// (the audit actor comes from the admin request context): validated, audited, and in force on the running gateway at once.
    @Suite struct RateLimitAdminTests {
        /// The controller on `/admin` of a router with the gateway's error edge and admin authentication, sharing the
        /// harness's components; `token` is an admin token the calls present.
        static func adminApp(_ gw: GatewayHarness) async throws -> (app: some ApplicationProtocol, token: IssuedCredential) {
            let token = try await gw.components.adminTokens.create(name: "test", logger: gw.logger)
            let router = Router(context: GatehouseRequestContext.self)
            router.add(middleware: ErrorMiddleware())
            router.group("/admin").add(middleware: AdminAuthMiddleware(
                tokens: gw.components.adminTokens, failures: AuthFailureLimiter(trustedProxies: TrustedProxies(), metrics: gw.components.observability.factory)))
                .group(context: AdminRequestContext.self).addRoutes(AdminController(operations: gw.components.adminOperations).endpoints)
            return (Application(router: router), token)
        }

        struct Answer {
            let status: HTTPResponse.Status
            let json: JSONValue?
        }

        static func call(
            _ client: some TestClientProtocol, _ token: IssuedCredential, _ method: HTTPRequest.Method, _ path: String, body: String? = nil
        ) async throws -> Answer {
            let headers: HTTPFields = [.contentType: "application/json", .authorization: "Bearer \(token.secret)"]
            return try await client.execute(uri: path, method: method, headers: headers, body: body.map { ByteBuffer(string: $0) }) {
                Answer(status: $0.status, json: try? JSONValue(parsing: String(buffer: $0.body)))
            }
        }

        @Test(arguments: TestDatabases.backends)
        func anAdminSetsAndReadsAnOwnersLimitAndTheGatewayEnforcesItAtOnce(backend: TestBackend) async throws {
            try await GatewayHarness.run(backend) { gw in
                let path = "/admin/owners/\(gw.ownerA.id.rawValue)/rate-limit"
                let admin = try await Self.adminApp(gw)
                try await admin.app.test(.router) { client in
                    let before = try await Self.call(client, admin.token, .get, path)
                    #expect(before.status == .ok)
                    #expect(before.json?["is_default"]?.boolValue == true)
                    #expect(before.json?["requests_per_second"]?.int64Value == 1_000)
                    #expect(before.json?["burst"]?.int64Value == 2_000)
                    #expect(before.json?["payos_requests_per_second"]?.int64Value == 100)
                    #expect(before.json?["payos_burst"]?.int64Value == 200)
                    #expect(before.json?["updated_at"] == .null)

                    let put = try await Self.call(client, admin.token, .put, path, body: #"{"requests_per_second": 1, "burst": 2}"#)
                    #expect(put.status == .ok)
                    #expect(put.json?["is_default"]?.boolValue == false)
                    #expect(put.json?["payos_is_default"]?.boolValue == true)
                    #expect(put.json?["requests_per_second"]?.int64Value == 1)
                    #expect(put.json?["burst"]?.int64Value == 2)
                    #expect(put.json?["updated_at"]?.stringValue != nil)

                    let withPayOS = try await Self.call(
                        client, admin.token, .put, path, body: #"{"requests_per_second": 1, "burst": 2, "payos_requests_per_second": 3}"#)
                    #expect(withPayOS.json?["payos_requests_per_second"]?.int64Value == 3)
                    #expect(withPayOS.json?["payos_burst"]?.int64Value == 3)
                    #expect(withPayOS.json?["payos_is_default"]?.boolValue == false)
                    let read = try await Self.call(client, admin.token, .get, path)
                    #expect(read.json?.canonical == withPayOS.json?.canonical)
                }
                // In force on the gateway without a restart: owner A gets two requests, owner B is untouched.
                let answers = try await (0..<3).asyncMap { _ in try await gw.get("/api/payments", headers: gw.ownerA.bearer).status }
                #expect(answers.prefix(2).allSatisfy { $0 == .ok })
                #expect(answers.last == .tooManyRequests)
                #expect(try await gw.get("/api/payments", headers: gw.ownerB.bearer).status == .ok)

                // Audited, with the actor and the values.
                let audit = try await AuditLog().records(
                    ownerID: gw.ownerA.id.rawValue, action: "owner.rate_limit.set", database: gw.components.database, logger: gw.logger)
                #expect(audit.count == 2)
                #expect(audit.first?.actor == "admin:\(admin.token.prefix)")
                #expect(audit.first?.detail?.contains(#""payos_requests_per_second":3"#) == true)
                #expect(audit.first?.requestID?.isEmpty == false)
            }
        }

        @Test func badInputIsRefusedWithACodeAndChangesNothing() async throws {
            try await GatewayHarness.run(.sqlite) { gw in
                let path = "/admin/owners/\(gw.ownerA.id.rawValue)/rate-limit"
                let admin = try await Self.adminApp(gw)
                try await admin.app.test(.router) { client in
                    let cases: [(String, String)] = [
                        (#"{"burst": 2}"#, "requests_per_second is required"),
                        (#"{"requests_per_second": 1.5, "burst": 2}"#, "requests_per_second must be a whole number"),
                        (#"{"requests_per_second": "10", "burst": 2}"#, "requests_per_second must be a whole number"),
                        (#"{"requests_per_second": 0, "burst": 2}"#, "requests_per_second must be an integer from 1 to 100000"),
                        (#"{"requests_per_second": 10, "burst": 0}"#, "burst must be an integer from 1 to 1000000"),
                        (#"{"requests_per_second": 10, "burst": 5, "payos_burst": 5}"#, "payos_burst needs payos_requests_per_second"),
                        (#"{"requests_per_second": 10, "burst": 5, "payos_requests_per_second": 0}"#,
                         "payos_requests_per_second must be an integer from 1 to 10000"),
                        ("[1, 2]", "the body must be a JSON object with requests_per_second and burst"),
                        ("{", "the body is not valid JSON"),
                        ("", "a JSON body is required"),
                    ]
                    for (body, message) in cases {
                        let answer = try await Self.call(client, admin.token, .put, path, body: body)
                        #expect(answer.status == .badRequest, "\(body)")
                        #expect(answer.json?["code"]?.stringValue == "VALIDATION_ERROR", "\(body)")
                        #expect(answer.json?["error"]?.stringValue == message, "\(body)")
                    }
                    let unknown = try await Self.call(client, admin.token, .put, "/admin/owners/987654/rate-limit", body: #"{"requests_per_second": 1, "burst": 1}"#)
                    #expect(unknown.status == .notFound)
                    #expect(unknown.json?["code"]?.stringValue == "NOT_FOUND")
                    #expect(try await Self.call(client, admin.token, .get, "/admin/owners/0/rate-limit").status == .notFound)
                    #expect(try await Self.call(client, admin.token, .get, "/admin/owners/abc/rate-limit").status == .notFound)
                }
                #expect(try await gw.components.rateLimits.get(owner: gw.ownerA.id, logger: gw.logger) == nil)
                #expect(try await AuditLog().records(action: "owner.rate_limit.set", database: gw.components.database, logger: gw.logger).isEmpty)
            }
        }
    }
}

extension Sequence where Element: Sendable {
    /// Maps one element after another (sequential requests whose order matters).
    func asyncMap<T>(_ transform: (Element) async throws -> T) async rethrows -> [T] {
        var results: [T] = []
        for element in self { results.append(try await transform(element)) }
        return results
    }
}
