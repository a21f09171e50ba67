// Copyright (c) the Gatehouse authors
import Foundation
import GatehouseApp
import Gateway
import HTTPTypes
import StorageTestSupport
import GatehouseTestSupport
import Tenancy
import Testing
import GatehouseCore

extension GatewayAPITests {
    /// One owner authenticator, one suspension rule: a suspended owner's API key is refused with 403 `OWNER_SUSPENDED`
    /// on every route that reads owner keys — the owner API, every renter endpoint (its own payments and others'), and
    /// the notification check — while its renters' links keep working.
    @Suite struct SuspendedOwnerAccessTests {
        typealias Endpoint = RenterAccessMatrixTests.Endpoint

        static func expectSuspended(_ r: HTTPResult, _ what: String, sourceLocation: SourceLocation = #_sourceLocation) {
            #expect(r.status == .forbidden, "\(what)", sourceLocation: sourceLocation)
            if r.isJSON {
                #expect(r.errorCode == "OWNER_SUSPENDED", "\(what)", sourceLocation: sourceLocation)
            } else {
                #expect(r.isHTML, "\(what)", sourceLocation: sourceLocation)
            }
            #expect(!r.setCookies.contains { $0.hasPrefix("gh_pt_") }, "\(what): sets a renter cookie", sourceLocation: sourceLocation)
            #expect(!r.body.contains("Phòng Deluxe"), "\(what): shows the booking", sourceLocation: sourceLocation)
        }

        @Test(arguments: TestDatabases.backends)
        func aSuspendedOwnersKeyIs403OnEveryRenterEndpointAndItsRentersStillGetIn(backend: TestBackend) async throws {
            try await GatewayHarness.run(backend) { gw in
                let own = try await gw.bookAndCreatePayment(gw.ownerA)
                let ofB = try await gw.bookAndCreatePayment(gw.ownerB)
                // Before: the owner's key opens its payment's renter endpoints.
                for endpoint in Endpoint.allCases {
                    endpoint.expectAllowed(try await gw.get(endpoint.path(own.paymentID), headers: endpoint.accept.merging(gw.ownerA.bearer)), payment: own)
                }
                try await gw.components.owners.setStatus(gw.ownerA.id, .suspended, logger: gw.logger)
                for endpoint in Endpoint.allCases {
                    for (name, payment) in [("its own payment", own), ("another owner's payment", ofB)] {
                        for accept: HTTPFields in [endpoint.accept, [.accept: "application/json"]] {
                            let r = try await gw.get(endpoint.path(payment.paymentID), headers: accept.merging(gw.ownerA.bearer))
                            Self.expectSuspended(r, "\(endpoint) of \(name), \(accept)")
                        }
                    }
                    // The key decides even next to the renter's token: the same rule on every route.
                    let withToken = try await gw.get(
                        endpoint.path(own.paymentID) + "?t=\(own.token)", headers: endpoint.accept.merging(gw.ownerA.bearer))
                    Self.expectSuspended(withToken, "\(endpoint) with the token and the key")
                    // The renter, who presents no key, is not refused for its landlord's suspension.
                    endpoint.expectAllowed(try await gw.get(endpoint.path(own.paymentID), headers: endpoint.accept.merging(own.cookie)), payment: own)
                }
                // The notification check, for the owner's own notifications and a renter's.
                Self.expectSuspended(try await gw.get("/api/notifications/check", headers: gw.ownerA.bearer), "owner notification check")
                Self.expectSuspended(
                    try await gw.get("/api/notifications/check?payment_id=\(own.paymentID)", headers: gw.ownerA.bearer), "renter notification check")
                #expect(try await gw.get("/api/notifications/check?payment_id=\(own.paymentID)", headers: own.cookie).status == .ok)
                // Owner B is not affected.
                for endpoint in Endpoint.allCases {
                    endpoint.expectAllowed(try await gw.get(endpoint.path(ofB.paymentID), headers: endpoint.accept.merging(gw.ownerB.bearer)), payment: ofB)
                }

                try await gw.components.owners.setStatus(gw.ownerA.id, .active, logger: gw.logger)
                for endpoint in Endpoint.allCases {
                    endpoint.expectAllowed(try await gw.get(endpoint.path(own.paymentID), headers: endpoint.accept.merging(gw.ownerA.bearer)), payment: own)
                }
                #expect(try await gw.get("/api/notifications/check", headers: gw.ownerA.bearer).status == .ok)
            }
        }

        @Test(arguments: TestDatabases.backends)
        func aSuspendedOwnersKeyIs403OnEveryOwnerRoute(backend: TestBackend) async throws {
            try await GatewayHarness.run(backend) { gw in
                let bookingOfA = try await gw.createBooking(gw.ownerA)
                let keyPrefix = try #require(try await gw.components.apiKeys.list(owner: gw.ownerA.id, logger: gw.logger).first?.prefix)
                try await gw.components.owners.setStatus(gw.ownerA.id, .suspended, logger: gw.logger)
                let routes: [(String, String, String?)] = [
                    ("GET", "/api/bookings/\(bookingOfA)", nil), ("POST", "/api/bookings", GatewayHarness.bookingBody()),
                    ("POST", "/payment/process_payment", #"{"booking_id": \#(bookingOfA)}"#), ("GET", "/api/payments", nil),
                    ("GET", "/api/owner/payos-credentials", nil),
                    ("PUT", "/api/owner/payos-credentials", #"{"client_id": "c", "api_key": "k", "checksum_key": "s"}"#),
                    ("GET", "/api/owner/api-keys", nil), ("DELETE", "/api/owner/api-keys/\(keyPrefix)", nil),
                ]
                for (method, path, body) in routes {
                    let r = try await gw.request(.init(method)!, path, headers: gw.ownerA.bearer, body: body)
                    Self.expectSuspended(r, "\(method) \(path)")
                }
                #expect(gw.payOS.creates.isEmpty)
                // Nothing was changed: the key the suspended owner tried to revoke still works once it is reactivated.
                try await gw.components.owners.setStatus(gw.ownerA.id, .active, logger: gw.logger)
                #expect(try await gw.get("/api/owner/api-keys", headers: gw.ownerA.bearer).status == .ok)
            }
        }
    }
}
