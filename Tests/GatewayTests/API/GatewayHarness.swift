// Copyright (c) the Gatehouse authors
import Foundation
import GatehouseApp
import GatehouseCore
import GatehouseTestSupport
import HTTPTypes
import Logging
import PayOS
import PayOSSandbox
import Payments
import StorageTestSupport
import Tenancy
import Testing
import LogTestSupport
import Vault

/// The gateway suites, serialized: every test starts a whole Gatehouse (database, payOS sandbox, HTTP server), and
/// the long-poll tests measure waits, so they must not compete with twenty other instances on a 2-core machine.
@Suite(.serialized) enum GatewayAPITests {}

/// An owner as the tests use it: its row, a working API key, and the sandbox channel (payOS account) its
/// credentials in the vault belong to.
struct TestTenant: Sendable {
    let owner: Owner
    let apiKey: String
    let channel: SandboxChannel

    var id: OwnerID { owner.id }
    var bearer: HTTPFields { [.authorization: "Bearer \(apiKey)"] }
}

/// A real Gatehouse for API tests: a ``TestGatehouse`` (fresh database of the backend, in-process payOS sandbox,
/// `gatehouse serve`'s composition on a live socket) with
/// - two sandbox channels (two owners' payOS accounts), whose payOS API the gateway reaches through a ``PayOSTap`` that
///   records every call and can be stopped (payOS unreachable);
/// - owner A (channel A) and owner B (channel B), each with an API key and stored payOS credentials.
///
/// Every response that goes through ``request(_:_:headers:body:sourceLocation:)`` is checked for the edge's
/// invariants: an `X-Request-ID`, and for errors a `{error, code}` JSON body (API) without internals or secrets.
struct GatewayHarness: Sendable {
    static let channelA = SandboxChannel(
        clientId: "gh-test-owner-a", apiKey: "sandbox-api-key-owner-a", checksumKey: "sandbox-checksum-key-owner-a-5f0c9e",
        accountName: "NHA TRO HOA SEN")
    static let channelB = SandboxChannel(
        clientId: "gh-test-owner-b", apiKey: "sandbox-api-key-owner-b", checksumKey: "sandbox-checksum-key-owner-b-81d2aa",
        bin: "970436", accountNumber: "0071000999999", accountName: "CAN HO BINH MINH")
    /// Where renters and payOS reach the gateway (used for return/cancel URLs; tests call the paths directly).
    static let publicURL = TestGatehouse.publicURL

    let backend: TestBackend
    let components: GatehouseComponents
    let sandbox: PayOSSandbox
    let sandboxURL: String
    let payOS: PayOSTap
    /// The live gateway's port on localhost.
    let port: Int
    let ownerA: TestTenant
    let ownerB: TestTenant
    let logger: Logger

    var baseURL: String { "http://localhost:\(port)" }

    // MARK: Running

    /// Starts everything, runs `body`, and tears everything down (also when `body` throws).
    static func run<T: Sendable>(
        _ backend: TestBackend, logs: LogCapture? = nil, environment extra: [String: String] = [:],
        _ body: @Sendable (GatewayHarness) async throws -> T
    ) async throws -> T {
        try await TestGatehouse.run(
            backend, sandbox: .init(channels: [channelA, channelB], webhookTimeout: .seconds(2)), tapPayOS: true, logs: logs, environment: extra
        ) { gatehouse in
            let components = gatehouse.components, logger = gatehouse.logger
            let ownerA = try await makeTenant(components, name: "Nhà trọ Hoa Sen", email: "owner-a@example.vn", channel: channelA, logger: logger)
            let ownerB = try await makeTenant(components, name: "Căn hộ Bình Minh", email: "owner-b@example.vn", channel: channelB, logger: logger)
            let harness = GatewayHarness(
                backend: backend, components: components, sandbox: gatehouse.sandbox, sandboxURL: gatehouse.bed.sandboxURL,
                payOS: try #require(gatehouse.bed.payOSTap), port: gatehouse.port, ownerA: ownerA, ownerB: ownerB, logger: logger)
            return try await body(harness)
        }
    }

    private static func makeTenant(
        _ components: GatehouseComponents, name: String, email: String, channel: SandboxChannel, logger: Logger
    ) async throws -> TestTenant {
        let owner = try await components.owners.create(name: name, email: email, logger: logger)
        let key = try await components.apiKeys.issue(owner: owner.id, name: "tests", logger: logger)
        _ = try await components.credentials.store(
            owner: owner.id, clientID: channel.clientId, apiKey: channel.apiKey, checksumKey: channel.checksumKey,
            audit: AuditContext(actor: "test:setup"), logger: logger)
        return TestTenant(owner: owner, apiKey: key.secret, channel: channel)
    }

    /// Another owner, with an API key and, unless `credentials` is nil, payOS credentials of the caller's choosing (e.g.
    /// keys the sandbox does not know). Without credentials its `channel` is a placeholder no sandbox channel has.
    func makeOwner(name: String, email: String, credentials: SandboxChannel?) async throws -> TestTenant {
        let owner = try await components.owners.create(name: name, email: email, logger: logger)
        let key = try await components.apiKeys.issue(owner: owner.id, name: "tests", logger: logger)
        if let credentials {
            _ = try await components.credentials.store(
                owner: owner.id, clientID: credentials.clientId, apiKey: credentials.apiKey, checksumKey: credentials.checksumKey,
                audit: AuditContext(actor: "test:setup"), logger: logger)
        }
        return TestTenant(owner: owner, apiKey: key.secret, channel: credentials ?? SandboxChannel(clientId: "none", apiKey: "none", checksumKey: "none"))
    }

    // MARK: HTTP

    /// One request on a fresh connection (so concurrent requests, e.g. a long poll and a return, really run at the same
    /// time, and one test's connection state never leaks into the next request). Checks the edge's invariants.
    @discardableResult
    func request(
        _ method: HTTPRequest.Method, _ path: String, headers: HTTPFields = [:], body: String? = nil,
        sourceLocation: SourceLocation = #_sourceLocation
    ) async throws -> HTTPResult {
        let result = try await HTTPResult.fetch(port: port, method, path, headers: headers, body: body)
        result.expectEdgeInvariants(method, path, forbiddenText: forbiddenText, sourceLocation: sourceLocation)
        return result
    }

    func get(_ path: String, headers: HTTPFields = [:], sourceLocation: SourceLocation = #_sourceLocation) async throws -> HTTPResult {
        try await request(.get, path, headers: headers, sourceLocation: sourceLocation)
    }

    func post(
        _ path: String, _ body: String, headers: HTTPFields = [:], sourceLocation: SourceLocation = #_sourceLocation
    ) async throws -> HTTPResult {
        try await request(.post, path, headers: headers, body: body, sourceLocation: sourceLocation)
    }

    /// Text that must never appear in a response: SQL, type names of internal errors, source paths, and the secrets
    /// the harness knows (payOS keys of both channels).
    var forbiddenText: [String] {
        [
            "select ", "insert into", "update payment", "sqlite", "mariadb", "mysql", ".swift", "storageerror", "vaulterror",
            "payoserror", "tenancyerror", "decodingerror", "fatal error",
        ]
            + [Self.channelA, Self.channelB].flatMap { [$0.apiKey.lowercased(), $0.checksumKey.lowercased()] }
    }

    // MARK: Bookings and payments

    /// A booking body as the owner API takes it; every field overridable.
    static func bookingBody(
        roomTitle: JSONValue = "Phòng Deluxe hướng biển", start: JSONValue = "2030-01-15T07:00:00Z", end: JSONValue = "2030-01-15T10:00:00Z",
        amount: JSONValue = 500_000, renterName: JSONValue = "Nguyễn Văn An", renterEmail: JSONValue = "an.nguyen@example.vn",
        renterPhone: JSONValue = "0912345678", omitting: Set<String> = []
    ) -> String {
        let fields: [(String, JSONValue)] = [
            ("room_title", roomTitle), ("start_time", start), ("end_time", end), ("amount", amount), ("renter_name", renterName),
            ("renter_email", renterEmail), ("renter_phone", renterPhone),
        ]
        return JSONValue.object(JSONObject(fields.filter { !omitting.contains($0.0) })).compactText
    }

    /// Creates a booking through `POST /api/bookings` and returns its id.
    func createBooking(
        _ tenant: TestTenant, amount: Int64 = 500_000, renterEmail: String = "an.nguyen@example.vn",
        sourceLocation: SourceLocation = #_sourceLocation
    ) async throws -> Int64 {
        let response = try await post(
            "/api/bookings", Self.bookingBody(amount: .int(amount), renterEmail: .string(renterEmail)), headers: tenant.bearer,
            sourceLocation: sourceLocation)
        try #require(response.status == .created, "booking not created: \(response.body)", sourceLocation: sourceLocation)
        return try #require(response.json?["id"]?.int64Value, sourceLocation: sourceLocation)
    }

    /// Creates a payment through `POST /payment/process_payment` (201) and returns what the owner got.
    func createPayment(
        _ tenant: TestTenant, bookingID: Int64, idempotencyKey: String? = nil, sourceLocation: SourceLocation = #_sourceLocation
    ) async throws -> CreatedLink {
        var headers = tenant.bearer
        if let idempotencyKey { headers[HTTPField.Name("Idempotency-Key")!] = idempotencyKey }
        let response = try await post(
            "/payment/process_payment", #"{"booking_id": \#(bookingID)}"#, headers: headers, sourceLocation: sourceLocation)
        try #require(response.status == .created, "payment not created: \(response.body)", sourceLocation: sourceLocation)
        return try CreatedLink(response, sourceLocation: sourceLocation)
    }

    /// A booking and its payment, for tests about the payment.
    func bookAndCreatePayment(_ tenant: TestTenant, amount: Int64 = 500_000, sourceLocation: SourceLocation = #_sourceLocation) async throws -> CreatedLink {
        let booking = try await createBooking(tenant, amount: amount, sourceLocation: sourceLocation)
        return try await createPayment(tenant, bookingID: booking, sourceLocation: sourceLocation)
    }

    /// The link as the sandbox (payOS) holds it.
    func link(_ created: CreatedLink, of tenant: TestTenant) async throws -> SandboxPaymentLink {
        try await sandbox.paymentLink(String(created.orderCode), clientId: tenant.channel.clientId)
    }

    /// The payment row as stored.
    func storedPayment(_ created: CreatedLink, of tenant: TestTenant) async throws -> Payment? {
        try await components.payments.payment(owner: tenant.id, id: PaymentID(created.paymentID), logger: logger)
    }

    /// Pays the whole link at the sandbox (a bank transfer) and follows payOS's redirect to `/payment/return`,
    /// which confirms with payOS; returns the return page's answer.
    @discardableResult
    func payAndReturn(_ created: CreatedLink, of tenant: TestTenant, sourceLocation: SourceLocation = #_sourceLocation) async throws -> HTTPResult {
        try await sandbox.pay(String(created.orderCode), clientId: tenant.channel.clientId)
        return try await get("/payment/return?code=00&status=PAID&orderCode=\(created.orderCode)", sourceLocation: sourceLocation)
    }

    /// Returns once every webhook this gateway acknowledged has been settled (or given back for a later attempt): a
    /// 2xx to a webhook means "stored", and its settlement follows in the inbox workers.
    func settled() async {
        await components.webhooks.queue.whenIdle()
    }

    /// Waits until `condition` holds, failing the test after `timeout`.
    func wait(
        timeout: Duration = .seconds(10), _ what: String, sourceLocation: SourceLocation = #_sourceLocation,
        until condition: @Sendable () async throws -> Bool
    ) async throws {
        let deadline = ContinuousClock.now + timeout
        while try await !condition() {
            guard ContinuousClock.now < deadline else {
                Issue.record("timed out waiting until \(what)", sourceLocation: sourceLocation)
                return
            }
            try await Task.sleep(for: .milliseconds(5))
        }
    }
}

/// What `POST /payment/process_payment` answered.
struct CreatedLink: Sendable {
    let paymentID: Int64
    let redirectURL: String
    let paymentURL: String
    let checkoutURL: String?
    let orderCode: Int64
    let expiresAt: String
    /// The renter token from `redirect_url`'s `t`.
    let token: String
    let response: HTTPResult

    init(_ response: HTTPResult, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let json = try #require(response.json, "not JSON: \(response.body)", sourceLocation: sourceLocation)
        paymentID = try #require(json["payment_id"]?.int64Value, sourceLocation: sourceLocation)
        redirectURL = try #require(json["redirect_url"]?.stringValue, sourceLocation: sourceLocation)
        paymentURL = try #require(json["payment_url"]?.stringValue, sourceLocation: sourceLocation)
        checkoutURL = json["checkout_url"]?.stringValue
        orderCode = try #require(json["order_code"]?.int64Value, sourceLocation: sourceLocation)
        expiresAt = try #require(json["expires_at"]?.stringValue, sourceLocation: sourceLocation)
        let query = try #require(URLComponents(string: redirectURL)?.queryItems, sourceLocation: sourceLocation)
        token = try #require(query.first { $0.name == "t" }?.value, sourceLocation: sourceLocation)
        self.response = response
    }

    /// The renter cookie a browser keeps after the first visit.
    var cookie: HTTPFields { [.cookie: "gh_pt_\(paymentID)=\(token)"] }
}

extension JSONValue {
    /// The same value with every object's keys sorted: JSON objects are unordered (the gateway's encoder does not keep
    /// an order), so two answers are compared by meaning.
    var canonical: JSONValue {
        switch self {
        case .object(let object): .object(JSONObject(object.entries.map { ($0.key, $0.value.canonical) }).sortedByKey())
        case .array(let array): .array(array.map(\.canonical))
        default: self
        }
    }
}
