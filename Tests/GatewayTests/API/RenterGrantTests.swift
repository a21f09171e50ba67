// Copyright (c) the Gatehouse authors
import Foundation
import GatehouseApp
import HTTPTypes
import PayOS
import Payments
import StorageTestSupport
import Testing
import GatehouseTestSupport

extension GatewayAPITests {
    /// The renter's token is verified once per request: the grant the access middleware makes is what the rate limiter
    /// charges and what the route answers from, so a poll looks the payment up in the status view exactly once.
    @Suite struct RenterGrantTests {
        @Test(arguments: TestDatabases.backends)
        func aRenterRequestLooksThePaymentUpOnce(backend: TestBackend) async throws {
            try await GatewayHarness.run(backend) { gw in
                let payment = try await gw.bookAndCreatePayment(gw.ownerA)
                let view = gw.components.statusView
                let path = "/payment/refresh-status/\(payment.paymentID)"

                // First visit (not in memory yet): one read of the database, no second look.
                let (hits0, misses0) = (view.hits, view.misses)
                let first = try await gw.get(path + "?t=\(payment.token)")
                #expect(first.json?["status"] == "pending")
                #expect(first.rateLimitPolicy == #""default";q=30;w=15"#, "charged to the payment's own renter bucket")
                #expect(view.misses == misses0 + 1)
                #expect(view.hits == hits0)

                // Each later poll, every renter endpoint: one look from memory per request.
                for endpoint in RenterAccessMatrixTests.Endpoint.allCases {
                    let hits = view.hits
                    let r = try await gw.get(endpoint.path(payment.paymentID), headers: endpoint.accept.merging(payment.cookie))
                    endpoint.expectAllowed(r, payment: payment)
                    #expect(view.hits == hits + 1, "\(endpoint)")
                }
                #expect(view.misses == misses0 + 1)
            }
        }
    }
}
