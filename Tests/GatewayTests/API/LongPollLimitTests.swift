// Copyright (c) the Gatehouse authors
import GatehouseApp
import GatehouseTestSupport
import HTTPTypes
import PayOS
import Payments
import StorageTestSupport
import Testing

extension GatewayAPITests {
    /// `refresh-status?wait=N` holds at most `GATEHOUSE_MAX_LONG_POLLS` requests at once per instance: past the cap a
    /// long poll is refused at once with 503 `LONG_POLLS_EXHAUSTED` and `Retry-After`, a plain poll is still answered,
    /// and a slot comes back when a poll ends, whichever way. `/metrics` shows the polls in flight and the refusals.
    @Suite struct LongPollLimitTests {
        static let capOfTwo = ["GATEHOUSE_MAX_LONG_POLLS": "2"]

        static func inFlight(_ gw: GatewayHarness) async throws -> Double? {
            PrometheusEndpointTests.sample(try await gw.get("/metrics").body, "gatehouse_long_polls_in_flight")
        }

        // MARK: Tests

        @Test(arguments: TestDatabases.backends)
        func pollsBeyondTheCapAre503WithRetryAfterUntilAHeldPollReturns(backend: TestBackend) async throws {
            try await GatewayHarness.run(backend, environment: Self.capOfTwo) { gw in
                let first = try await gw.bookAndCreatePayment(gw.ownerA)
                let second = try await gw.bookAndCreatePayment(gw.ownerA)
                let third = try await gw.bookAndCreatePayment(gw.ownerA)
                let limiter = gw.components.longPolls
                #expect(try await Self.inFlight(gw) == 0)

                // Two real long polls fill the cap.
                let heldFirst = Task { try await gw.get("/payment/refresh-status/\(first.paymentID)?wait=30", headers: first.cookie) }
                let heldSecond = Task { try await gw.get("/payment/refresh-status/\(second.paymentID)?wait=30", headers: second.cookie) }
                try await gw.wait("both long polls are held") { limiter.count == 2 }
                #expect(try await Self.inFlight(gw) == 2)

                let refused = try await gw.get("/payment/refresh-status/\(third.paymentID)?wait=30", headers: third.cookie)
                #expect(refused.status == .serviceUnavailable)
                #expect(refused.errorCode == "LONG_POLLS_EXHAUSTED")
                #expect(refused.headers[.retryAfter] == "5")
                // Waiting is refused, answering is not: a plain poll goes through while the cap is full.
                let plain = try await gw.get("/payment/refresh-status/\(third.paymentID)", headers: third.cookie)
                #expect(plain.status == .ok)
                #expect(plain.json?["status"] == "pending")

                // The first payment settles: its poll returns, and the slot admits a new long poll (which then times out).
                try await gw.payAndReturn(first, of: gw.ownerA)
                let answered = try await heldFirst.value
                #expect(answered.json?["status"] == "success")
                try await gw.wait("the settled poll gave its slot back") { limiter.count == 1 }
                let admitted = try await gw.get("/payment/refresh-status/\(third.paymentID)?wait=1", headers: third.cookie)
                #expect(admitted.status == .ok)
                #expect(admitted.json?["status"] == "pending")
                // The timed-out poll gave its slot back too: the cap admits another one at once.
                #expect(limiter.count == 1)
                let again = try await gw.get("/payment/refresh-status/\(third.paymentID)?wait=1", headers: third.cookie)
                #expect(again.status == .ok)

                try await gw.payAndReturn(second, of: gw.ownerA)
                #expect(try await heldSecond.value.json?["status"] == "success")
                try await gw.wait("every slot is free") { limiter.count == 0 }

                let metrics = try await gw.get("/metrics").body
                #expect(PrometheusEndpointTests.sample(metrics, "gatehouse_long_polls_in_flight") == 0)
                #expect(PrometheusEndpointTests.sample(metrics, "gatehouse_long_poll_refusals_total") == 1)
            }
        }

        @Test(arguments: TestDatabases.backends)
        func aLongPollWhoseClientHungUpStillGivesItsSlotBack(backend: TestBackend) async throws {
            try await GatewayHarness.run(backend, environment: Self.capOfTwo) { gw in
                let payment = try await gw.bookAndCreatePayment(gw.ownerA)
                let limiter = gw.components.longPolls
                let connection = try await RawConnection.open(port: gw.port)
                try await connection.send(
                    "GET /payment/refresh-status/\(payment.paymentID)?wait=2 HTTP/1.1\r\nHost: localhost\r\n"
                        + "Cookie: \(payment.cookie[.cookie] ?? "")\r\n\r\n")
                try await gw.wait("the long poll is held") { limiter.count == 1 }
                #expect(try await Self.inFlight(gw) == 1)
                await connection.close()

                // Hummingbird does not cancel a handler whose client left: the poll ends with its wait, and its slot
                // comes back then, not later and never twice.
                try await gw.wait("the abandoned poll gave its slot back") { limiter.count == 0 }
                #expect(try await Self.inFlight(gw) == 0)
                let next = try await gw.get("/payment/refresh-status/\(payment.paymentID)?wait=1", headers: payment.cookie)
                #expect(next.status == .ok)
                #expect(limiter.count == 0)
            }
        }

        @Test(arguments: TestDatabases.backends)
        func aWaitOnASettledPaymentTakesNoSlot(backend: TestBackend) async throws {
            try await GatewayHarness.run(backend, environment: ["GATEHOUSE_MAX_LONG_POLLS": "1"]) { gw in
                let pending = try await gw.bookAndCreatePayment(gw.ownerA)
                let settled = try await gw.bookAndCreatePayment(gw.ownerA)
                try await gw.payAndReturn(settled, of: gw.ownerA)
                let limiter = gw.components.longPolls

                let held = Task { try await gw.get("/payment/refresh-status/\(pending.paymentID)?wait=30", headers: pending.cookie) }
                try await gw.wait("the long poll is held") { limiter.count == 1 }
                // The cap is full, but a settled payment's answer is immediate: nothing to wait for, nothing refused.
                let answer = try await gw.get("/payment/refresh-status/\(settled.paymentID)?wait=30", headers: settled.cookie)
                #expect(answer.status == .ok)
                #expect(answer.json?["status"] == "success")

                try await gw.payAndReturn(pending, of: gw.ownerA)
                #expect(try await held.value.json?["status"] == "success")
            }
        }
    }
}
