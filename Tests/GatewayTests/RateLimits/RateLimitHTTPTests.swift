// Copyright (c) the Gatehouse authors
import Foundation
import GatehouseApp
import GatehouseTestSupport
import Gateway
import GatehouseHTTP
import HTTPTypes
import StorageTestSupport
import Tenancy
import Testing
import Payments
import PayOSSandbox
import Storage
import GatehouseHTTP
import GatehouseCore

extension HTTPResult {
    var rateLimitPolicy: String? { headers[HTTPField.Name("RateLimit-Policy")!] }
    var rateLimit: String? { headers[HTTPField.Name("RateLimit")!] }
    var retryAfter: String? { headers[.retryAfter] }
}

extension GatewayAPITests {
    /// Per-owner limits over HTTP: one owner is throttled at its limit while another is not; renter traffic counts
    /// against the payment's own bucket, never its owner's; traffic without an owner or a payment counts against the
    /// client IP; payOS calls are capped, and payOS's anonymous redirects cost at most one call per payment per interval.
    @Suite struct RateLimitHTTPTests {
        /// Sends `request` until the first 429 (at most `limit` times) and returns the answers.
        static func untilRefused(
            limit: Int = 30, _ request: () async throws -> HTTPResult
        ) async throws -> (admitted: [HTTPResult], refused: HTTPResult?, elapsed: Duration) {
            let started = ContinuousClock.now
            var admitted: [HTTPResult] = []
            for _ in 0..<limit {
                let result = try await request()
                if result.status == .tooManyRequests { return (admitted, result, ContinuousClock.now - started) }
                admitted.append(result)
            }
            return (admitted, nil, ContinuousClock.now - started)
        }

        /// At most `burst` plus what the rate refilled while the test ran (the machine may stall; never fewer than burst).
        static func expectAdmittedNear(_ admitted: Int, burst: Int, rate: Int, elapsed: Duration, sourceLocation: SourceLocation = #_sourceLocation) {
            let refill = Int((Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18) * Double(rate)) + 1
            #expect(admitted >= burst && admitted <= burst + refill, "admitted \(admitted), burst \(burst), refill ≤ \(refill)", sourceLocation: sourceLocation)
        }

        @Test(arguments: TestDatabases.backends)
        func oneOwnerIsThrottledAtItsLimitWhileAnotherIsNot(backend: TestBackend) async throws {
            let environment = ["GATEHOUSE_RATE_LIMIT_RPS": "1", "GATEHOUSE_RATE_LIMIT_BURST": "5"]
            try await GatewayHarness.run(backend, environment: environment) { gw in
                // Owner B runs on its own, higher limit (set by an admin); owner A on the configured default.
                gw.components.rateLimiter.apply([
                    try await gw.components.rateLimits.set(owner: gw.ownerB.id, requestsPerSecond: 100, burst: 200, logger: gw.logger)
                ])
                // Owner A floods; owner B works at the same time, interleaved request by request.
                var bAnswers: [HTTPResult] = []
                let a = try await Self.untilRefused {
                    async let fromA = gw.get("/api/payments", headers: gw.ownerA.bearer)
                    async let fromB = gw.get("/api/payments", headers: gw.ownerB.bearer)
                    let (answerA, answerB) = try await (fromA, fromB)
                    if bAnswers.count < 4 { bAnswers.append(answerB) }
                    return answerA
                }
                let refused = try #require(a.refused, "owner A was never throttled")
                Self.expectAdmittedNear(a.admitted.count, burst: 5, rate: 1, elapsed: a.elapsed)
                #expect(a.admitted.allSatisfy { $0.status == .ok })
                // Admitted answers announce the policy and what is left.
                #expect(a.admitted.first?.rateLimitPolicy == #""default";q=5;w=5"#)
                #expect(a.admitted.first?.rateLimit?.hasPrefix(#""default";r=4;t="#) == true)

                #expect(refused.errorCode == "RATE_LIMITED")
                #expect(refused.isJSON)
                #expect(refused.retryAfter == "1")
                #expect(refused.rateLimitPolicy == #""default";q=5;w=5"#)
                #expect(refused.rateLimit == #""default";r=0;t=5"#)

                // Owner B, at the same time, within its own (default-sized) bucket: never refused.
                #expect(bAnswers.count == 4)
                #expect(bAnswers.allSatisfy { $0.status == .ok })
                let b = try await Self.untilRefused(limit: 3) { try await gw.get("/api/payments", headers: gw.ownerB.bearer) }
                #expect(b.refused == nil)
                #expect(b.admitted.first?.rateLimitPolicy == #""default";q=200;w=2"#)

                // A is admitted again once a slot returns (Retry-After said 1 s).
                try await gw.wait(timeout: .seconds(5), "owner A is admitted again") {
                    try await gw.get("/api/payments", headers: gw.ownerA.bearer).status == .ok
                }
            }
        }

        @Test(arguments: TestDatabases.backends)
        func anOwnerWhoseAPIBudgetIsSpentStillHasItsRentersPollsAnswered(backend: TestBackend) async throws {
            try await GatewayHarness.run(backend) { gw in
                let payment = try await gw.bookAndCreatePayment(gw.ownerA)
                // Owner A gets a small limit (an admin's change, applied on this instance) and spends it.
                gw.components.rateLimiter.apply([
                    try await gw.components.rateLimits.set(owner: gw.ownerA.id, requestsPerSecond: 1, burst: 3, logger: gw.logger)
                ])
                let api = try await Self.untilRefused { try await gw.get("/api/payments", headers: gw.ownerA.bearer) }
                #expect(api.refused?.errorCode == "RATE_LIMITED")

                // Its renter polls on, in the payment's own bucket (more polls than the owner's whole burst).
                for _ in 0..<8 {
                    let poll = try await gw.get("/payment/refresh-status/\(payment.paymentID)", headers: payment.cookie)
                    #expect(poll.status == .ok)
                    #expect(poll.rateLimitPolicy == #""default";q=30;w=15"#)
                }
                #expect(try await gw.get("/payment/status/\(payment.paymentID)", headers: payment.cookie.merging([.accept: "text/html"])).status == .ok)
            }
        }

        @Test(arguments: TestDatabases.backends)
        func aRenterHammeringOnePaymentIsRefusedInThatPaymentsBucketOnly(backend: TestBackend) async throws {
            let environment = [
                "GATEHOUSE_RENTER_RATE_LIMIT_RPS": "1", "GATEHOUSE_RENTER_RATE_LIMIT_BURST": "4",
                "GATEHOUSE_IP_RATE_LIMIT_RPS": "1", "GATEHOUSE_IP_RATE_LIMIT_BURST": "3",
            ]
            try await GatewayHarness.run(backend, environment: environment) { gw in
                let hammered = try await gw.bookAndCreatePayment(gw.ownerA)
                let other = try await gw.bookAndCreatePayment(gw.ownerA)
                let paymentB = try await gw.bookAndCreatePayment(gw.ownerB)

                let renter = try await Self.untilRefused {
                    try await gw.get("/payment/refresh-status/\(hammered.paymentID)", headers: hammered.cookie)
                }
                let refused = try #require(renter.refused, "the hammering renter was never throttled")
                Self.expectAdmittedNear(renter.admitted.count, burst: 4, rate: 1, elapsed: renter.elapsed)
                #expect(refused.errorCode == "RATE_LIMITED")
                #expect(refused.rateLimitPolicy == #""default";q=4;w=4"#)
                #expect(refused.retryAfter != nil)

                // The same owner's other payment, another owner's payment and the owner's own API are unaffected (more
                // renter requests together than the per-IP burst: none is charged to the client IP either).
                for _ in 0..<3 {
                    #expect(try await gw.get("/payment/refresh-status/\(other.paymentID)", headers: other.cookie).status == .ok)
                    #expect(try await gw.get("/payment/refresh-status/\(paymentB.paymentID)", headers: paymentB.cookie).status == .ok)
                    #expect(try await gw.get("/api/payments", headers: gw.ownerA.bearer).status == .ok)
                }

                // Without a token nobody's budget but the client IP's is spent (payment ids are guessable).
                let guesses = try await Self.untilRefused { try await gw.get("/payment/refresh-status/\(paymentB.paymentID)") }
                Self.expectAdmittedNear(guesses.admitted.count, burst: 3, rate: 1, elapsed: guesses.elapsed)
                #expect(guesses.admitted.allSatisfy { $0.status == .notFound })
                #expect(guesses.refused?.rateLimitPolicy == #""default";q=3;w=3"#)
                // A wrong token is no token.
                #expect(try await gw.get("/payment/refresh-status/\(paymentB.paymentID)?t=\(other.token)").status == .tooManyRequests)
                // The renter page (HTML) shows the localized rate-limit page with the same headers.
                let page = try await gw.get("/payment/status/\(paymentB.paymentID)", headers: [.accept: "text/html"])
                #expect(page.status == .tooManyRequests)
                #expect(page.isHTML)
                #expect(page.retryAfter != nil)
                // B's renter with the token is still fine.
                #expect(try await gw.get("/payment/refresh-status/\(paymentB.paymentID)", headers: paymentB.cookie).status == .ok)

                // Each refusal counted once, by the budget it was charged to: the hammered payment's renter budget
                // (labelled with its owner), none of the owner's API budget, three per IP.
                let metrics = try await gw.get("/metrics").body
                let name = RateLimitMetrics.refusalsName
                #expect(PrometheusEndpointTests.sample(metrics, name, ["limit=\"renter\"", "owner=\"\(gw.ownerA.id.rawValue)\""]) == 1)
                #expect(PrometheusEndpointTests.sample(metrics, name, ["limit=\"owner\""]) == nil)
                #expect(PrometheusEndpointTests.sample(metrics, name, ["limit=\"ip\"", "owner=\"unknown\""]) == 3)
                #expect(PrometheusEndpointTests.sample(metrics, name, ["owner=\"\(gw.ownerB.id.rawValue)\""]) == nil)
            }
        }

        @Test(arguments: TestDatabases.backends)
        func concurrentPayOSRedirectsForOnePaymentCostOnePayOSGet(backend: TestBackend) async throws {
            // An interval longer than the test, so "at most one GET" does not depend on how fast the machine is.
            try await GatewayHarness.run(backend, environment: ["GATEHOUSE_RETURN_CONFIRM_SECONDS": "60"]) { gw in
                func gets(_ payment: CreatedLink) -> Int {
                    gw.payOS.calls.filter { $0.method == "GET" && $0.path == "/v2/payment-requests/\(payment.orderCode)" }.count
                }
                func concurrently(_ path: String, times: Int = 20) async throws -> [HTTPResult] {
                    try await withThrowingTaskGroup(of: HTTPResult.self) { group in
                        for _ in 0..<times { group.addTask { try await gw.get(path) } }
                        return try await group.reduce(into: []) { $0.append($1) }
                    }
                }

                // Paid at payOS: twenty returns (a renter's reloads, or anyone's) settle it with one GET, and all land on
                // the receipt.
                let paid = try await gw.bookAndCreatePayment(gw.ownerA)
                try await gw.sandbox.pay(String(paid.orderCode), clientId: gw.ownerA.channel.clientId)
                let returns = try await concurrently("/payment/return?code=00&status=PAID&orderCode=\(paid.orderCode)")
                #expect(returns.allSatisfy { $0.status == .seeOther && $0.location == "/payment/success/\(paid.paymentID)" })
                #expect(gets(paid) == 1)
                #expect(try await gw.storedPayment(paid, of: gw.ownerA)?.status == .success)

                // Unpaid: twenty returns and twenty cancel redirects, with no credential, cost the owner one GET.
                let unpaid = try await gw.bookAndCreatePayment(gw.ownerA)
                async let returned = concurrently("/payment/return?code=00&status=PAID&orderCode=\(unpaid.orderCode)")
                async let cancelled = concurrently("/payment/cancel?code=00&cancel=true&status=CANCELLED&orderCode=\(unpaid.orderCode)")
                let answers = try await returned + cancelled
                #expect(answers.allSatisfy { $0.status == .seeOther && $0.location == "/payment/status/\(unpaid.paymentID)" })
                #expect(gets(unpaid) == 1)
                #expect(try await gw.storedPayment(unpaid, of: gw.ownerA)?.status == .pending)
            }
        }

        static func forwarded(_ chain: String) -> HTTPFields { [HTTPField.Name("X-Forwarded-For")!: chain] }

        @Test func forwardedAddressesAreBelievedOnlyFromConfiguredProxies() async throws {
            let limits = ["GATEHOUSE_IP_RATE_LIMIT_RPS": "1", "GATEHOUSE_IP_RATE_LIMIT_BURST": "1"]
            // Not configured: the header is ignored, every "client" shares the socket peer's bucket.
            try await GatewayHarness.run(.sqlite, environment: limits) { (gw: GatewayHarness) async throws -> Void in
                #expect(try await gw.get("/payment/refresh-status/424242", headers: Self.forwarded("198.51.100.1")).status == .notFound)
                #expect(try await gw.get("/payment/refresh-status/424242", headers: Self.forwarded("198.51.100.2")).status == .tooManyRequests)
            }
            // Loopback configured as the proxy: each forwarded client has its own bucket.
            let trusting = limits.merging(["GATEHOUSE_TRUSTED_PROXIES": "127.0.0.0/8, ::1"]) { $1 }
            try await GatewayHarness.run(.sqlite, environment: trusting) { (gw: GatewayHarness) async throws -> Void in
                #expect(try await gw.get("/payment/refresh-status/424242", headers: Self.forwarded("198.51.100.1")).status == .notFound)
                #expect(try await gw.get("/payment/refresh-status/424242", headers: Self.forwarded("198.51.100.1")).status == .tooManyRequests)
                #expect(try await gw.get("/payment/refresh-status/424242", headers: Self.forwarded("198.51.100.2")).status == .notFound)
                // A client cannot escape by prepending its own entries: the rightmost untrusted hop counts.
                #expect(try await gw.get("/payment/refresh-status/424242", headers: Self.forwarded("203.0.113.50, 198.51.100.2")).status == .tooManyRequests)
            }
        }

        @Test(arguments: TestDatabases.backends)
        func aForgedWebhookFloodIsCutOffPerAddressBeforeAnyDatabaseWorkWhilePayOSsOwnDeliveriesPass(backend: TestBackend) async throws {
            let environment = [
                "GATEHOUSE_AUTH_FAILURE_BURST": "3", "GATEHOUSE_AUTH_FAILURES_PER_MINUTE": "1", "GATEHOUSE_TRUSTED_PROXIES": "127.0.0.0/8, ::1",
            ]
            try await GatewayHarness.run(backend, environment: environment) { gw in
                let payment = try await gw.bookAndCreatePayment(gw.ownerA)
                try await gw.sandbox.pay(String(payment.orderCode), clientId: gw.ownerA.channel.clientId)
                let link = try await gw.link(payment, of: gw.ownerA)
                let path = WebhookTests.webhookPath(gw, gw.ownerA)
                let forged = try WebhookTests.webhook(for: link, reference: "FT-FORGED", key: gw.ownerB.channel.checksumKey)
                var attacker = Self.forwarded("198.51.100.66")
                attacker[.contentType] = "application/json"
                func rejections() async throws -> Int64 {
                    try await gw.components.webhooks.refusals.flush(logger: gw.logger)  // counted in memory until a flush
                    return try await gw.components.database.query("SELECT SUM(count) AS n FROM webhook_rejection", logger: gw.logger).first?
                        .decodeIfPresent("n", as: Int64.self) ?? 0
                }
                // Three refusals of three kinds use up the address's budget…
                #expect(try await gw.request(.post, path, headers: attacker, body: forged).errorCode == "INVALID_SIGNATURE")
                #expect(try await gw.request(.post, "/webhook/payos/no-such-key", headers: attacker, body: forged).status == .notFound)
                #expect(try await gw.request(.post, path, headers: attacker, body: "{}").errorCode == "VALIDATION_ERROR")
                let counted = try await rejections()
                // …then the address is refused before anything is read or written, even with a well-signed body.
                let signed = try WebhookTests.webhook(for: link, key: gw.ownerA.channel.checksumKey)
                for body in [forged, signed] {
                    let refused = try await gw.request(.post, path, headers: attacker, body: body)
                    #expect(refused.status == .tooManyRequests && refused.errorCode == "RATE_LIMITED" && refused.retryAfter != nil)
                }
                #expect(try await rejections() == counted)
                #expect(try await WebhookTests.inboxCount(gw) == 0)
                // payOS's delivery from its own address settles the payment.
                #expect(try await gw.request(.post, path, headers: Self.forwarded("203.0.113.7"), body: signed).status == .ok)
                await gw.settled()
                #expect(try await gw.storedPayment(payment, of: gw.ownerA)?.status == .success)
                let metrics = gw.components.observability.exposition()
                #expect(metrics.contains(#"gatehouse_auth_failures_total{kind="webhook"} 3"#))
                #expect(metrics.contains(#"gatehouse_auth_refusals_total{kind="webhook"} 2"#))
            }
        }

        /// A forged flood spread over many addresses (each within its own address budget) is cut off at the webhook key
        /// after the key's budget of refusals, while payOS — an address that delivered a verified webhook for that key —
        /// still gets through; another owner's key is untouched.
        @Test(arguments: TestDatabases.backends)
        func aForgedFloodFromManyAddressesIsCutOffAtTheWebhookKeyWhilePayOSsAddressPasses(backend: TestBackend) async throws {
            try await GatewayHarness.run(backend, environment: ["GATEHOUSE_TRUSTED_PROXIES": "127.0.0.0/8, ::1"]) { gw in
                let first = try await gw.bookAndCreatePayment(gw.ownerA)
                let second = try await gw.bookAndCreatePayment(gw.ownerA)
                for payment in [first, second] { try await gw.sandbox.pay(String(payment.orderCode), clientId: gw.ownerA.channel.clientId) }
                let path = WebhookTests.webhookPath(gw, gw.ownerA)
                func headers(_ address: String) -> HTTPFields {
                    var fields = Self.forwarded(address)
                    fields[.contentType] = "application/json"
                    return fields
                }
                let payOS = headers("203.0.113.7")
                // payOS delivers a verified webhook: its address becomes a known sender for this key.
                let signedFirst = try WebhookTests.webhook(for: try await gw.link(first, of: gw.ownerA), key: gw.ownerA.channel.checksumKey)
                #expect(try await gw.request(.post, path, headers: payOS, body: signedFirst).status == .ok)

                // The flood: every forgery from a new address, so no address budget runs out.
                let forged = try WebhookTests.webhook(for: try await gw.link(second, of: gw.ownerA), reference: "FT-FORGED", key: "forged-key")
                let budget = Int(WebhookKeyFailureGuard.defaultPolicy.burst)
                for index in 0..<budget {
                    #expect(try await gw.request(.post, path, headers: headers("198.51.100.\(index + 1)"), body: forged).errorCode == "INVALID_SIGNATURE")
                }
                let cut = try await gw.request(.post, path, headers: headers("198.51.100.200"), body: forged)
                #expect(cut.status == .tooManyRequests && cut.errorCode == "RATE_LIMITED" && cut.retryAfter != nil)

                // payOS's next delivery for that key passes and is stored; another owner's key is not affected.
                let signedSecond = try WebhookTests.webhook(for: try await gw.link(second, of: gw.ownerA), key: gw.ownerA.channel.checksumKey)
                #expect(try await gw.request(.post, path, headers: payOS, body: signedSecond).status == .ok)
                #expect(try await gw.request(.post, WebhookTests.webhookPath(gw, gw.ownerB), headers: headers("198.51.100.201"), body: forged).errorCode == "INVALID_SIGNATURE")
                await gw.settled()
                #expect(try await gw.storedPayment(second, of: gw.ownerA)?.status == .success)
                #expect(try await WebhookTests.inboxCount(gw) == 2)
            }
        }

        /// A refusal of a spent budget is held before it is answered (``RefusalHold``), for wrong keys and forged webhooks
        /// alike, so a client posting as fast as it is answered gets about one answer per connection per hold.
        @Test func aRefusalOfASpentFailureBudgetIsHeldBeforeItIsAnswered() async throws {
            let environment = [
                "GATEHOUSE_AUTH_FAILURE_BURST": "1", "GATEHOUSE_AUTH_FAILURES_PER_MINUTE": "1", "GATEHOUSE_TRUSTED_PROXIES": "127.0.0.0/8, ::1",
                "GATEHOUSE_AUTH_REFUSAL_DELAY_MS": "700",
            ]
            try await GatewayHarness.run(.sqlite, environment: environment) { gw in
                var attacker = Self.forwarded("198.51.100.77")
                attacker[.authorization] = "Bearer gh_aaaaaaaaaaaa_" + String(repeating: "b", count: 52)
                #expect(try await gw.get("/api/payments", headers: attacker).status == .unauthorized)
                let clock = ContinuousClock()
                let started = clock.now
                let refused = try await gw.get("/api/payments", headers: attacker)
                let held = clock.now - started
                #expect(refused.status == .tooManyRequests && refused.retryAfter != nil)
                #expect(held >= .milliseconds(700), "held \(held)")
                // A forged webhook from the same address: refused before its body is read, after the same hold.
                attacker[.authorization] = nil
                attacker[.contentType] = "application/json"
                let webhookStarted = clock.now
                let forged = try await gw.request(.post, "/webhook/payos", headers: attacker, body: "{}")
                #expect(forged.status == .tooManyRequests)
                #expect(clock.now - webhookStarted >= .milliseconds(700))
            }
        }

        @Test(arguments: TestDatabases.backends)
        func failedAuthenticationsAreLimitedPerClientAddress(backend: TestBackend) async throws {
            let environment = [
                "GATEHOUSE_AUTH_FAILURE_BURST": "3", "GATEHOUSE_AUTH_FAILURES_PER_MINUTE": "1", "GATEHOUSE_TRUSTED_PROXIES": "127.0.0.0/8, ::1",
            ]
            try await GatewayHarness.run(backend, environment: environment) { gw in
                let attacker = Self.forwarded("198.51.100.9")
                func with(_ fields: HTTPFields, _ bearer: String) -> HTTPFields {
                    var fields = fields
                    fields[.authorization] = "Bearer \(bearer)"
                    return fields
                }
                let guess = "gh_aaaaaaaaaaaa_" + String(repeating: "b", count: 52)
                for _ in 0..<3 { #expect(try await gw.get("/api/payments", headers: with(attacker, guess)).status == .unauthorized) }
                let refused = try await gw.get("/api/payments", headers: with(attacker, guess))
                #expect(refused.status == .tooManyRequests)
                #expect(refused.errorCode == "RATE_LIMITED")
                #expect(refused.retryAfter != nil)
                // Refused before the key is looked at: a right key from that address waits too, so guessing gains nothing.
                #expect(try await gw.get("/api/payments", headers: with(attacker, gw.ownerA.apiKey)).status == .tooManyRequests)
                // Admin tokens share the address's budget, and owner keys on renter routes are charged the same way.
                #expect(try await gw.get("/admin/owners", headers: with(attacker, "gha_aaaaaaaaaaaa_bbbb")).status == .tooManyRequests)
                #expect(try await gw.get("/payment/refresh-status/424242", headers: with(attacker, guess)).status == .tooManyRequests)
                // Requests without a credential from that address (a renter's polls) are not refused by it.
                #expect(try await gw.get("/payment/refresh-status/424242", headers: attacker).status == .notFound)
                // Another address is unaffected.
                #expect(try await gw.get("/api/payments", headers: with(Self.forwarded("198.51.100.10"), gw.ownerA.apiKey)).status == .ok)
                let metrics = gw.components.observability.exposition()
                #expect(metrics.contains(#"gatehouse_auth_failures_total{kind="owner"} 3"#))
                #expect(metrics.contains(#"gatehouse_auth_refusals_total{kind="owner"} 3"#))
                #expect(metrics.contains(#"gatehouse_auth_refusals_total{kind="admin"} 1"#))
            }
        }

        @Test func anIPv6ClientIsLimitedByItsSlash64NotByEachAddress() async throws {
            let limits = [
                "GATEHOUSE_IP_RATE_LIMIT_RPS": "1", "GATEHOUSE_IP_RATE_LIMIT_BURST": "1", "GATEHOUSE_TRUSTED_PROXIES": "127.0.0.0/8, ::1",
            ]
            try await GatewayHarness.run(.sqlite, environment: limits) { (gw: GatewayHarness) async throws -> Void in
                #expect(try await gw.get("/payment/refresh-status/424242", headers: Self.forwarded("2001:db8:1:2::1")).status == .notFound)
                // Another address of the same /64 (a host rotating its interface id) shares the bucket.
                #expect(try await gw.get("/payment/refresh-status/424242", headers: Self.forwarded("2001:db8:1:2:aaaa::7")).status == .tooManyRequests)
                // The neighbouring /64 is another subscriber.
                #expect(try await gw.get("/payment/refresh-status/424242", headers: Self.forwarded("2001:db8:1:3::1")).status == .notFound)
                // IPv4 clients keep one bucket per address.
                #expect(try await gw.get("/payment/refresh-status/424242", headers: Self.forwarded("198.51.100.1")).status == .notFound)
                #expect(try await gw.get("/payment/refresh-status/424242", headers: Self.forwarded("198.51.100.2")).status == .notFound)
            }
        }

        @Test(arguments: TestDatabases.backends)
        func payOSCallsOverTheOwnersCapAreRefusedBeforeTheyLeave(backend: TestBackend) async throws {
            let environment = ["GATEHOUSE_PAYOS_RATE_LIMIT_RPS": "1", "GATEHOUSE_PAYOS_RATE_LIMIT_BURST": "1"]
            try await GatewayHarness.run(backend, environment: environment) { gw in
                let first = try await gw.createBooking(gw.ownerA)
                let second = try await gw.createBooking(gw.ownerA)
                _ = try await gw.createPayment(gw.ownerA, bookingID: first)
                let creates = gw.payOS.creates.count
                let refused = try await gw.post("/payment/process_payment", #"{"booking_id": \#(second)}"#, headers: gw.ownerA.bearer)
                #expect(refused.status == .tooManyRequests)
                #expect(refused.errorCode == "PAYOS_RATE_LIMITED")
                #expect(refused.retryAfter == "1")
                // Refused before leaving: payOS saw nothing, and nothing was stored.
                #expect(gw.payOS.creates.count == creates)
                #expect(try await gw.components.payments.list(owner: gw.ownerA.id, status: nil, limit: 10, logger: gw.logger).count == 1)
                // Owner B's payOS budget is its own.
                _ = try await gw.bookAndCreatePayment(gw.ownerB)
                // And A can retry once the cap refills.
                try await gw.wait(timeout: .seconds(5), "owner A's payOS cap refills") {
                    try await gw.post("/payment/process_payment", #"{"booking_id": \#(second)}"#, headers: gw.ownerA.bearer).status == .created
                }
            }
        }
    }
}
