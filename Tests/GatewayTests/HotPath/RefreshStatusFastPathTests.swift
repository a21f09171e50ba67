// Copyright (c) the Gatehouse authors
import GatehouseCore
import GatehouseHTTP
import GatehouseTestSupport
import HTTPTypes
import Hummingbird
import NIOCore
import NIOEmbedded
import Payments
import PayOSSandbox
import StorageTestSupport
import Testing

@testable import GatehouseApp
@testable import Gateway

/// The renter's plain poll is answered before the router (``RefreshStatusFastPath``) with exactly what the routed
/// `refresh-status` answers for the same request; every request it cannot answer from memory as a 200 goes to the router.
extension GatewayAPITests {
    @Suite struct RefreshStatusFastPathTests {
        /// Collects a response body.
        final class Collector: ResponseBodyWriter {
            var bytes = ByteBuffer()
            func write(_ buffer: ByteBuffer) async throws {
                var buffer = buffer
                bytes.writeBuffer(&buffer)
            }
            func finish(_ trailingHeaders: HTTPFields?) async throws {}
        }

        struct Answer: Equatable, CustomStringConvertible {
            let status: HTTPResponse.Status
            /// Every field but the request id (each request has its own) and `RateLimit` (its `r` counts down).
            let fields: [String]
            let rateLimit: String?
            let body: String

            init(_ response: Response) async throws {
                status = response.status
                fields = response.headers.filter { $0.name != ErrorMiddleware.requestIDField && $0.name.canonicalName != "ratelimit" }
                    .map { "\($0.name): \($0.value)" }
                rateLimit = response.headers[HTTPField.Name("RateLimit")!]
                let collector = Collector()
                try await response.body.write(collector)
                body = String(buffer: collector.bytes)
            }

            var description: String { "\(status.code) \(fields) \(body)" }

            /// The `RateLimit` field is compared on its own (``remaining``).
            static func == (a: Self, b: Self) -> Bool { a.status == b.status && a.fields == b.fields && a.body == b.body }

            /// `r` of `RateLimit: "default";r=<remaining>;t=<seconds>`.
            var remaining: Int? {
                rateLimit?.split(separator: ";").first { $0.hasPrefix("r=") }.flatMap { Int($0.dropFirst(2)) }
            }
        }

        static func request(_ target: String, _ headers: HTTPFields = [:], method: HTTPRequest.Method = .get) -> Request {
            Request(
                head: HTTPRequest(method: method, scheme: "http", authority: "gatehouse.test", path: target, headerFields: headers),
                body: RequestBody(buffer: ByteBuffer()))
        }

        @Test func onlyAPlainPollWithAnOptionalPlainTokenHasTheFastShape() {
            #expect(RefreshStatusFastPath.parse("/payment/refresh-status/12")! == (12, nil))
            let parsed = RefreshStatusFastPath.parse("/payment/refresh-status/12?t=ab_-Z9")
            #expect(parsed?.payment == 12 && parsed?.token == "ab_-Z9")
            for target in [
                "/payment/refresh-status/", "/payment/refresh-status/0", "/payment/refresh-status/-1", "/payment/refresh-status/1x",
                "/payment/refresh-status/12/", "/payment/refresh-status/1234567890123456789", "/payment/refresh-statusx/12",
                "/payment/status/12", "/payment/refresh-status/12?", "/payment/refresh-status/12?t=", "/payment/refresh-status/12?t=a%20b",
                "/payment/refresh-status/12?t=a+b", "/payment/refresh-status/12?t=abc&wait=5", "/payment/refresh-status/12?wait=5&t=abc",
                "/payment/refresh-status/12?lang=en", "/payment/refresh-status/12?t=abc#x", "/payment/refresh-status/12?T=abc",
                "/payment/refresh-status/12?t=" + String(repeating: "a", count: 129),
            ] {
                #expect(RefreshStatusFastPath.parse(target) == nil, "\(target)")
            }
        }

        @Test(arguments: TestDatabases.backends)
        func aPlainPollIsAnsweredBeforeTheRouterExactlyAsTheRouterAnswersIt(backend: TestBackend) async throws {
            try await GatewayHarness.run(backend) { gw in
                let payment = try await gw.bookAndCreatePayment(gw.ownerA)
                let (router, fast) = buildRoutes(components: gw.components)
                let responder = router.buildResponder()
                func context() -> GatehouseRequestContext {
                    GatehouseRequestContext(source: ApplicationRequestContextSource(channel: EmbeddedChannel(), logger: gw.logger))
                }
                let path = "/payment/refresh-status/\(payment.paymentID)"
                let cookie = "gh_pt_\(payment.paymentID)=\(payment.token)"
                // The view holds the payment once it was polled (the router reads it from the database the first time).
                #expect(try await gw.get("\(path)?t=\(payment.token)").status == .ok)

                func expectSame(_ target: String, _ headers: HTTPFields, sourceLocation: SourceLocation = #_sourceLocation) async throws {
                    let request = Self.request(target, headers)
                    let fastContext = context()
                    let answered = try #require(fast.answer(request, context: fastContext), "not answered: \(target) \(headers)", sourceLocation: sourceLocation)
                    #expect(answered.headers[ErrorMiddleware.requestIDField] == fastContext.requestID, sourceLocation: sourceLocation)
                    let fastAnswer = try await Answer(answered)
                    let routed = try await Answer(responder.respond(to: request, context: context()))
                    #expect(fastAnswer == routed, sourceLocation: sourceLocation)
                    #expect(fastAnswer.status == .ok, sourceLocation: sourceLocation)
                    // Both charged the payment's renter bucket, the fast path first.
                    let remaining = try #require(fastAnswer.remaining, sourceLocation: sourceLocation)
                    #expect(routed.remaining == remaining - 1, "\(fastAnswer.rateLimit ?? "") then \(routed.rateLimit ?? "")", sourceLocation: sourceLocation)
                }
                // A first visit (token in the query: the cookie is set), later polls (token in the cookie), languages.
                try await expectSame("\(path)?t=\(payment.token)", [:])
                try await expectSame(path, [.cookie: "a=1; \(cookie); gh_lang=en"])
                try await expectSame(path, [.cookie: cookie, .acceptLanguage: "en-US,en;q=0.9"])
                try await expectSame("\(path)?t=\(payment.token)", [.cookie: "gh_lang=vi", .acceptLanguage: "en"])

                // Settled: the new body (with its redirect) at once, on both paths.
                try await gw.sandbox.pay(String(payment.orderCode), clientId: gw.ownerA.channel.clientId)
                let signed = try WebhookTests.webhook(for: try await gw.link(payment, of: gw.ownerA), key: gw.ownerA.channel.checksumKey)
                #expect(try await gw.post(WebhookTests.webhookPath(gw, gw.ownerA), signed).status == .ok)
                await gw.settled()
                try await expectSame(path, [.cookie: cookie])
                #expect(try await Answer(#require(fast.answer(Self.request(path, [.cookie: cookie]), context: context()))).body.contains("/payment/success/\(payment.paymentID)"))

                // Everything else is left to the router.
                let other = try await gw.bookAndCreatePayment(gw.ownerA)
                for (target, headers, method) in [
                    ("\(path)?t=\(payment.token)&wait=1", [:], HTTPRequest.Method.get),
                    ("\(path)?t=\(payment.token)&lang=en", [:], .get),
                    ("\(path)?t=wrong\(payment.token)", [:], .get),
                    (path, [:], .get),
                    (path, [.cookie: "gh_pt_\(payment.paymentID)=wrong"], .get),
                    (path, [.cookie: cookie, .authorization: "Bearer \(gw.ownerA.apiKey)"], .get),
                    ("\(path)?t=\(payment.token)", [:], .post),
                    // Not in the view yet: the router reads it from the database.
                    ("/payment/refresh-status/\(other.paymentID)?t=\(other.token)", [:], .get),
                    // Another payment's token.
                    ("/payment/refresh-status/\(payment.paymentID)?t=\(other.token)", [:], .get),
                ] as [(String, HTTPFields, HTTPRequest.Method)] {
                    #expect(fast.answer(Self.request(target, headers, method: method), context: context()) == nil, "\(method) \(target) \(headers)")
                }
            }
        }

        /// A renter bucket that is empty is refused by the router, after the fast path handed the poll on without
        /// spending anything.
        @Test func anEmptyRenterBucketIsLeftToTheRoutersRefusal() async throws {
            try await GatewayHarness.run(.sqlite, environment: ["GATEHOUSE_RENTER_RATE_LIMIT_RPS": "1", "GATEHOUSE_RENTER_RATE_LIMIT_BURST": "2"]) { gw in
                let payment = try await gw.bookAndCreatePayment(gw.ownerA)
                let path = "/payment/refresh-status/\(payment.paymentID)?t=\(payment.token)"
                let answers = try await RateLimitHTTPTests.untilRefused(limit: 10) { try await gw.get(path) }
                let refused = try #require(answers.refused)
                #expect(refused.errorCode == "RATE_LIMITED" && refused.retryAfter != nil)
                #expect(answers.admitted.allSatisfy { $0.status == .ok })
                #expect((1...3).contains(answers.admitted.count))
            }
        }
    }
}
