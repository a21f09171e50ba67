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
import Storage
import StorageTestSupport
import Synchronization
import Tenancy
import Testing
import Vault

extension GatewayAPITests {
    /// Two Gatehouse instances (two applications built with `buildApplication`, each on its own loopback port, each
    /// with its own in-memory status view, rate-limit buckets and instance-registry heartbeat) on ONE MariaDB:
    /// a change made on one is seen by a long poll on the other within the change feed's bound, and one owner's
    /// traffic spread over both is admitted at its limit in total, within the stated tolerance.
    @Suite struct ScaleOutTests {
        /// One running instance.
        struct Instance: Sendable {
            let name: String
            let components: GatehouseComponents
            let port: Int

            /// One request on a fresh connection, its answer held to the API contract.
            func request(
                _ method: HTTPRequest.Method, _ path: String, headers: HTTPFields = [:], body: String? = nil
            ) async throws -> HTTPResult {
                let result = try await HTTPResult.fetch(port: port, method, path, headers: headers, body: body)
                APIContract.shared.expectConforms(method, path, result)
                return result
            }
        }

        struct Fleet: Sendable {
            let a: Instance
            let b: Instance
            let sandbox: PayOSSandbox
            let owner: TestTenant
            let logger: Logger
        }

        /// Starts a payOS sandbox and two instances on one fresh MariaDB database, runs `body`, and stops everything.
        static func withTwoInstances(_ body: @Sendable (Fleet) async throws -> Void) async throws {
            let heartbeat = ["GATEHOUSE_INSTANCE_HEARTBEAT_SECONDS": "1"]
            try await GatehouseTestBed.run(.mariadb, sandbox: .init(channels: [GatewayHarness.channelA])) { bed in
                try await bed.serve(environment: heartbeat) { a in
                    let logger = bed.logger
                    let owner = try await a.components.owners.create(name: "Nhà trọ Hoa Sen", email: "owner-a@example.vn", logger: logger)
                    let key = try await a.components.apiKeys.issue(owner: owner.id, name: "tests", logger: logger)
                    let channel = GatewayHarness.channelA
                    _ = try await a.components.credentials.store(
                        owner: owner.id, clientID: channel.clientId, apiKey: channel.apiKey, checksumKey: channel.checksumKey,
                        audit: AuditContext(actor: "test:setup"), logger: logger)
                    let tenant = TestTenant(owner: owner, apiKey: key.secret, channel: channel)
                    try await bed.serve(environment: heartbeat) { b in
                        let fleet = Fleet(
                            a: Instance(name: "A", components: a.components, port: a.port),
                            b: Instance(name: "B", components: b.components, port: b.port),
                            sandbox: bed.sandbox, owner: tenant, logger: logger)
                        try await body(fleet)
                    }
                }
            }
        }

        /// Waits for `condition`, failing after `timeout`.
        static func waitUntil(
            _ what: String, timeout: Duration = .seconds(10), sourceLocation: SourceLocation = #_sourceLocation,
            _ condition: () async throws -> Bool
        ) async throws {
            let deadline = ContinuousClock.now + timeout
            while try await !condition() {
                guard ContinuousClock.now < deadline else {
                    Issue.record("timed out waiting until \(what)", sourceLocation: sourceLocation)
                    throw HarnessError(description: "timed out waiting until \(what)")
                }
                try await Task.sleep(for: .milliseconds(10))
            }
        }

        /// One request of the saturating traffic.
        struct Outcome: Sendable {
            let instance: String
            let started: ContinuousClock.Instant
            let finished: ContinuousClock.Instant
            let status: HTTPResponse.Status
            let policy: String?
        }

        /// One worker per element of `instances`, each sending `GET /api/payments` back to back until `deadline`.
        static func saturate(_ instances: [Instance], bearer: HTTPFields, until deadline: ContinuousClock.Instant) async throws -> [Outcome] {
            try await withThrowingTaskGroup(of: [Outcome].self) { group in
                for instance in instances {
                    group.addTask {
                        var outcomes: [Outcome] = []
                        while ContinuousClock.now < deadline {
                            let started = ContinuousClock.now
                            let answer = try await instance.request(.get, "/api/payments?limit=1", headers: bearer)
                            outcomes.append(
                                Outcome(
                                    instance: instance.name, started: started, finished: ContinuousClock.now, status: answer.status,
                                    policy: answer.rateLimitPolicy))
                        }
                        return outcomes
                    }
                }
                var all: [Outcome] = []
                for try await outcomes in group { all += outcomes }
                return all
            }
        }

        // MARK: Tests

        /// The change feed's bound: a status committed anywhere reaches every instance's view within its interval (1 s)
        /// plus one query; asserted with margin for a loaded 2-core machine.
        static let feedBound: Duration = .milliseconds(2_500)

        @Test(.mariaDBAvailable)
        func aPaymentSettledOnOneInstanceWakesALongPollOnTheOtherWithinTheFeedBound() async throws {
            try await Self.withTwoInstances { fleet in
                let owner = fleet.owner
                let booking = try await fleet.a.request(.post, "/api/bookings", headers: owner.bearer, body: GatewayHarness.bookingBody())
                try #require(booking.status == .created, "\(booking.body)")
                let bookingID = try #require(booking.json?["id"]?.int64Value)
                let created = try CreatedLink(
                    try await fleet.a.request(.post, "/payment/process_payment", headers: owner.bearer, body: #"{"booking_id": \#(bookingID)}"#))

                // The renter's page long-polls instance B.
                let poll = Task {
                    let answer = try await fleet.b.request(.get, "/payment/refresh-status/\(created.paymentID)?wait=20", headers: created.cookie)
                    return (answer, ContinuousClock.now)
                }
                try await Self.waitUntil("B's view holds the payment (the poll is waiting)") { fleet.b.components.statusView.count == 1 }

                // Paid at payOS; payOS's redirect lands on instance A, which confirms and settles.
                try await fleet.sandbox.pay(String(created.orderCode), clientId: owner.channel.clientId)
                let returned = try await fleet.a.request(.get, "/payment/return?code=00&status=PAID&orderCode=\(created.orderCode)")
                let settledAt = ContinuousClock.now
                #expect(returned.status == .seeOther)
                #expect(returned.location == "/payment/success/\(created.paymentID)")

                let (answer, answeredAt) = try await poll.value
                #expect(answer.status == .ok)
                #expect(answer.json?["status"]?.stringValue == "success")
                #expect(answer.json?["redirect"]?.stringValue == "/payment/success/\(created.paymentID)")
                let lag = answeredAt - settledAt
                #expect(lag <= Self.feedBound, "B's long poll answered \(lag) after A settled")
                fleet.logger.info("scale-out status lag", metadata: ["lag": "\(lag)"])
                // B learnt it from the database (the feed), not from A: B's own view never published a change.
                #expect(try await fleet.b.components.statusView.snapshot(of: PaymentID(created.paymentID), logger: fleet.logger)?.status == .success)
            }
        }

        @Test(.mariaDBAvailable)
        func oneOwnersTrafficSpreadOverTwoInstancesIsAdmittedAtItsLimitInTotal() async throws {
            try await Self.withTwoInstances { fleet in
                let owner = fleet.owner
                let rate = 20
                let burst = 4
                // Both instances know each other, and both pick up the limit stored through A (no restart, no push).
                try await Self.waitUntil("both instances count two live instances") {
                    fleet.a.components.rateLimiter.instances == 2 && fleet.b.components.rateLimiter.instances == 2
                }
                try await fleet.a.components.rateLimits.set(owner: owner.id, requestsPerSecond: rate, burst: burst, logger: fleet.logger)
                try await Self.waitUntil("both instances enforce the stored limit") {
                    [fleet.a, fleet.b].allSatisfy {
                        $0.components.rateLimiter.effectiveLimit(owner: owner.id).requests == RateLimitPolicy(requestsPerSecond: Double(rate), burst: burst)
                    }
                }

                // Saturating traffic, two workers per instance, for a measured window ending at a deadline.
                let start = ContinuousClock.now
                let deadline = start + .seconds(3)
                let outcomes = try await Self.saturate([fleet.a, fleet.b, fleet.a, fleet.b], bearer: owner.bearer, until: deadline)
                let end = outcomes.map(\.finished).max() ?? deadline
                let measured = end - start
                let seconds = Double(measured.components.seconds) + Double(measured.components.attoseconds) / 1e18
                let admitted = outcomes.filter { $0.status == .ok }
                let refused = outcomes.filter { $0.status == .tooManyRequests }
                #expect(outcomes.allSatisfy { $0.status == .ok || $0.status == .tooManyRequests })
                #expect(outcomes.allSatisfy { $0.policy == #""default";q=4;w=1"# })

                // Tolerance (TenantRateLimiter): never above r·W + b + (N − 1); traffic spread evenly, so not far below.
                let ceiling = Double(rate) * seconds + Double(burst) + 1
                let floor = 0.8 * Double(rate) * seconds
                #expect(Double(admitted.count) <= ceiling, "admitted \(admitted.count) in \(measured), ceiling \(ceiling)")
                #expect(Double(admitted.count) >= floor, "admitted \(admitted.count) in \(measured), floor \(floor)")
                // Each instance admitted about its half, and each refused the excess.
                for name in ["A", "B"] {
                    let mine = admitted.filter { $0.instance == name }.count
                    #expect(Double(mine) <= Double(rate) / 2 * seconds + Double(burst) / 2 + 1, "instance \(name) admitted \(mine)")
                    #expect(refused.contains { $0.instance == name }, "instance \(name) refused nothing")
                }
                fleet.logger.info(
                    "scale-out rate limit",
                    metadata: ["admitted": "\(admitted.count)", "refused": "\(refused.count)", "window": "\(measured)", "ceiling": "\(ceiling)"])
            }
        }
    }
}
