// Copyright (c) the Gatehouse authors
import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import PayOS
import Synchronization
import Testing

@testable import PayOSSandbox

/// The docs' checksum key (spec 9.2): with it, the confirm-webhook probe signs to vector W4.
let docsChecksumKey = "1a54716c8f0efb2744fb28b6e38b25da7f67a925d98bc1c18bd8faaecadd7675"

/// A channel the tests authenticate with.
let channelA = SandboxChannel(clientId: "client-a", apiKey: "api-key-a", checksumKey: docsChecksumKey)
/// A second channel, to show that order codes and links are per channel.
let channelB = SandboxChannel(
    clientId: "client-b",
    apiKey: "api-key-b",
    checksumKey: "checksum-key-b",
    bin: "970436",
    accountNumber: "0071000999999",
    accountName: "CUA HANG B"
)

/// A clock tests can move forward (link expiry); starts at the real time.
final class TestClock: Sendable {
    private let offset = Mutex<Int64>(0)

    var now: Int64 { Int64(Date().timeIntervalSince1970) + offset.withLock { $0 } }

    func advance(seconds: Int64) {
        offset.withLock { $0 += seconds }
    }
}

/// An HTTP answer as the tests see it.
struct TestResponse: Sendable {
    var status: Int
    var headers: HTTPHeaders
    var body: [UInt8]

    var text: String { String(decoding: body, as: UTF8.self) }

    /// The body parsed with payOS's order-preserving JSON parser.
    func json() throws -> JSONValue {
        try JSONValue(parsing: body)
    }
}

/// A sandbox running in-process on an ephemeral port, with a client that does not follow redirects.
struct TestSandbox: Sendable {
    let sandbox: PayOSSandbox
    let baseURL: String
    let client: HTTPClient

    static let logger: Logger = {
        var logger = Logger(label: "PayOSSandboxTests")
        logger.logLevel = .critical
        return logger
    }()

    /// Fast retries so delivery tests finish in milliseconds.
    static let fastRetry = WebhookRetryPolicy(maximumAttempts: 4, initialDelay: .milliseconds(20), multiplier: 2, maximumDelay: .milliseconds(100))

    /// Runs `body` against a fresh sandbox with channels A and B, then shuts it down.
    static func with<T: Sendable>(
        channels: [SandboxChannel] = [channelA, channelB],
        retry: WebhookRetryPolicy = fastRetry,
        seed: UInt64? = nil,
        clock: TestClock? = nil,
        publicBaseURL: String? = nil,
        _ body: @Sendable (TestSandbox) async throws -> T
    ) async throws -> T {
        var configuration = PayOSSandbox.Configuration(
            publicBaseURL: publicBaseURL,
            channels: channels,
            webhookRetry: retry,
            webhookTimeout: .seconds(5)
        )
        if let seed { configuration.faultRandomSource = SeededRandomNumberGenerator(seed: seed) }
        if let clock { configuration.now = { clock.now } }
        let sandbox = PayOSSandbox(configuration: configuration, logger: logger)
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: .init(redirectConfiguration: .disallow))
        do {
            let result = try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await sandbox.run() }
                defer { group.cancelAll() }
                let url = try await sandbox.baseURL()
                return try await body(TestSandbox(sandbox: sandbox, baseURL: url, client: client))
            }
            try await client.shutdown()
            return result
        } catch {
            try? await client.shutdown()
            throw error
        }
    }

    // MARK: Requests

    func request(
        _ method: HTTPMethod,
        _ path: String,
        body: [UInt8]? = nil,
        headers: [(String, String)] = []
    ) async throws -> TestResponse {
        var request = HTTPClientRequest(url: baseURL + path)
        request.method = method
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let body { request.body = .bytes(ByteBuffer(bytes: body)) }
        let response = try await client.execute(request, timeout: .seconds(30))
        let buffer = try await response.body.collect(upTo: 4 << 20)
        return TestResponse(status: Int(response.status.code), headers: response.headers, body: Array(buffer.readableBytesView))
    }

    /// A payOS call with a channel's credentials, as the SDKs send it (JSON content type even on GETs).
    func payOS(
        _ method: HTTPMethod,
        _ path: String,
        json: JSONValue? = nil,
        rawBody: [UInt8]? = nil,
        channel: SandboxChannel = channelA
    ) async throws -> TestResponse {
        try await request(
            method,
            path,
            body: rawBody ?? json?.compactBytes,
            headers: [("x-client-id", channel.clientId), ("x-api-key", channel.apiKey), ("Content-Type", "application/json")]
        )
    }

    /// A control-API call.
    func control(_ method: HTTPMethod, _ path: String, json: JSONValue? = nil, headers: [(String, String)] = []) async throws -> TestResponse {
        try await request(method, "/sandbox" + path, body: json?.compactBytes, headers: [("Content-Type", "application/json")] + headers)
    }

    /// Creates a link through the payOS API (signed like an SDK) and returns the response `data`.
    @discardableResult
    func createLink(
        orderCode: Int64,
        amount: Int64 = 50_000,
        description: String = "Thanh toan don 123",
        expiredAt: Int64? = nil,
        returnUrl: String = "https://shop.example.vn/payment/return",
        cancelUrl: String = "https://shop.example.vn/payment/cancel",
        channel: SandboxChannel = channelA,
        sourceLocation: SourceLocation = #_sourceLocation
    ) async throws -> JSONObject {
        let response = try await payOS(
            .POST,
            "/v2/payment-requests",
            json: createBody(
                orderCode: orderCode,
                amount: amount,
                description: description,
                expiredAt: expiredAt,
                returnUrl: returnUrl,
                cancelUrl: cancelUrl,
                channel: channel
            ),
            channel: channel
        )
        let json = try response.json()
        #expect(json["code"] == "00", "create failed: \(response.text)", sourceLocation: sourceLocation)
        return try #require(json["data"]?.objectValue, sourceLocation: sourceLocation)
    }

    /// A create body with the five-field signature, Python-1.x style (every optional key present).
    func createBody(
        orderCode: Int64,
        amount: Int64 = 50_000,
        description: String = "Thanh toan don 123",
        expiredAt: Int64? = nil,
        returnUrl: String = "https://shop.example.vn/payment/return",
        cancelUrl: String = "https://shop.example.vn/payment/cancel",
        channel: SandboxChannel = channelA
    ) -> JSONValue {
        let signature = PayOSSignature.createRequest(
            amount: amount,
            cancelUrl: cancelUrl,
            description: description,
            orderCode: orderCode,
            returnUrl: returnUrl,
            checksumKey: channel.checksumKey
        )
        return [
            "orderCode": .int(orderCode), "amount": .int(amount), "description": .string(description),
            "cancelUrl": .string(cancelUrl), "returnUrl": .string(returnUrl), "signature": .string(signature),
            "items": nil, "buyerName": nil, "buyerCompanyName": nil, "buyerTaxCode": nil, "buyerEmail": nil,
            "buyerPhone": nil, "buyerAddress": nil, "invoice": nil, "expiredAt": expiredAt.map(JSONValue.int) ?? .null,
        ]
    }

    /// Sets a channel's webhook URL through the control API (as a merchant saving it in the dashboard).
    func setWebhookURL(_ url: String, channel: SandboxChannel = channelA) async throws {
        var updated = channel
        updated.webhookUrl = url
        try await sandbox.addChannel(updated, replace: true)
    }

    /// Waits until the delivery log satisfies `condition`, failing after `timeout`.
    func waitForDeliveries(
        timeout: Duration = .seconds(60),
        sourceLocation: SourceLocation = #_sourceLocation,
        _ condition: @Sendable ([WebhookDelivery]) -> Bool
    ) async throws -> [WebhookDelivery] {
        let deadline = ContinuousClock.now + timeout
        while true {
            let deliveries = await sandbox.deliveries()
            if condition(deliveries) { return deliveries }
            guard ContinuousClock.now < deadline else {
                Issue.record(
                    "delivery log never satisfied the condition: \(deliveries.map { ($0.id, $0.state, $0.attempts.count) })",
                    sourceLocation: sourceLocation
                )
                return deliveries
            }
            try await Task.sleep(for: .milliseconds(10))
        }
    }
}

extension JSONObject {
    /// The key set, for exact-key assertions.
    var keySet: Set<String> { Set(keys) }
}
