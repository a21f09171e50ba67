// Copyright (c) the Gatehouse authors
import Foundation
import GatehouseApp
import GatehouseTestSupport
import Gateway
import HTTPTypes
import PayOS
import PayOSSandbox
import Storage
import StorageTestSupport
import Tenancy
import Testing
import GatehouseCore

extension GatewayAPITests {
    /// Who may open a payment's renter endpoints: the renter (its link's token, in `?t=` or the cookie it leaves) and
    /// the owner (its API key). Everyone else — wrong token, another payment's token or cookie, no credential,
    /// another owner's key, a revoked key — gets 404, the same answer as for a payment that does not exist,
    /// with none of the payment's data.
    @Suite struct RenterAccessMatrixTests {
        /// The renter endpoints, each with what an allowed request gets for a pending payment.
        enum Endpoint: String, CaseIterable, Sendable {
            case statusJSON, statusPage, refreshStatus, qr, success, failed

            func path(_ id: Int64) -> String {
                switch self {
                case .statusJSON, .statusPage: "/payment/status/\(id)"
                case .refreshStatus: "/payment/refresh-status/\(id)"
                case .qr: "/payment/qr/\(id)"
                case .success: "/payment/success/\(id)"
                case .failed: "/payment/failed/\(id)"
                }
            }

            var accept: HTTPFields {
                switch self {
                case .statusJSON, .refreshStatus, .qr: [.accept: "application/json"]
                case .statusPage, .success, .failed: [.accept: "text/html,application/xhtml+xml"]
                }
            }

            /// Refusals of page routes are the HTML error page; of JSON routes the `{error, code}` body.
            var refusesWithHTML: Bool { self == .statusPage || self == .success || self == .failed }

            func expectAllowed(_ r: HTTPResult, payment: CreatedLink, sourceLocation: SourceLocation = #_sourceLocation) {
                let what = "\(self)"
                switch self {
                case .statusJSON:
                    #expect(r.status == .ok, "\(what)", sourceLocation: sourceLocation)
                    #expect(r.json?["payment"]?["id"]?.int64Value == payment.paymentID, "\(what)", sourceLocation: sourceLocation)
                    #expect(r.json?["payment"]?["order_code"]?.int64Value == payment.orderCode, "\(what)", sourceLocation: sourceLocation)
                    #expect(r.json?["booking"]?["room_title"] == "Phòng Deluxe hướng biển", "\(what)", sourceLocation: sourceLocation)
                case .statusPage:
                    #expect(r.status == .ok, "\(what)", sourceLocation: sourceLocation)
                    #expect(r.isHTML, "\(what)", sourceLocation: sourceLocation)
                    #expect(r.body.contains("Phòng Deluxe hướng biển"), "\(what)", sourceLocation: sourceLocation)
                case .refreshStatus:
                    #expect(r.status == .ok, "\(what)", sourceLocation: sourceLocation)
                    #expect(r.json?["status"] == "pending", "\(what)", sourceLocation: sourceLocation)
                case .qr:
                    #expect(r.status == .ok, "\(what)", sourceLocation: sourceLocation)
                    #expect(r.json?["success"] == true, "\(what)", sourceLocation: sourceLocation)
                case .success, .failed:
                    // A pending payment has neither a receipt nor a failure page yet: back to the status page.
                    #expect(r.status == .seeOther, "\(what)", sourceLocation: sourceLocation)
                    #expect(r.location == "/payment/status/\(payment.paymentID)", "\(what)", sourceLocation: sourceLocation)
                }
            }
        }

        /// Two payments of owner A (the one under test and "another payment"), one of owner B.
        struct World: Sendable {
            let gw: GatewayHarness
            let payment: CreatedLink
            let otherPayment: CreatedLink
            let paymentOfB: CreatedLink

            static func make(_ gw: GatewayHarness) async throws -> World {
                World(
                    gw: gw, payment: try await gw.bookAndCreatePayment(gw.ownerA), otherPayment: try await gw.bookAndCreatePayment(gw.ownerA),
                    paymentOfB: try await gw.bookAndCreatePayment(gw.ownerB))
            }

            /// What the payment's data looks like in a response: none of it may appear in a refusal.
            var secrets: [String] {
                [
                    payment.token, String(payment.orderCode), "Phòng Deluxe", "Nguyễn Văn An", "an.nguyen@example.vn", "500000", "500.000",
                    GatewayHarness.channelA.accountNumber, "NHA TRO HOA SEN", "PAY-",
                ]
            }

            func expectRefused(_ r: HTTPResult, _ endpoint: Endpoint, _ credential: String, sourceLocation: SourceLocation = #_sourceLocation) {
                let what = "\(endpoint) with \(credential)"
                #expect(r.status == .notFound, "\(what)", sourceLocation: sourceLocation)
                if endpoint.refusesWithHTML {
                    #expect(r.isHTML, "\(what)", sourceLocation: sourceLocation)
                    #expect(r.body.contains("Không tìm thấy thanh toán"), "\(what): not the 404 page", sourceLocation: sourceLocation)
                } else {
                    #expect(r.isJSON, "\(what)", sourceLocation: sourceLocation)
                    #expect(r.errorCode == "NOT_FOUND", "\(what)", sourceLocation: sourceLocation)
                }
                #expect(!r.setCookies.contains { $0.hasPrefix("gh_pt_") }, "\(what): a refusal sets a renter cookie", sourceLocation: sourceLocation)
                #expect(r.location == nil, "\(what)", sourceLocation: sourceLocation)
                for secret in secrets where r.body.contains(secret) {
                    Issue.record("\(what): the refusal contains '\(secret)'", sourceLocation: sourceLocation)
                }
            }

            /// A refusal of an existing payment must look exactly like the answer for a payment that does not exist.
            func expectIndistinguishableFromMissing(
                _ r: HTTPResult, _ endpoint: Endpoint, headers: HTTPFields, sourceLocation: SourceLocation = #_sourceLocation
            ) async throws {
                let missing = try await gw.get(endpoint.path(9_999_999), headers: endpoint.accept.merging(headers), sourceLocation: sourceLocation)
                #expect(r.status == missing.status, "\(endpoint)", sourceLocation: sourceLocation)
                #expect(r.withoutNonce == missing.withoutNonce, "\(endpoint): refusal differs from a missing payment's", sourceLocation: sourceLocation)
            }
        }

        // MARK: Allowed

        @Test(arguments: TestDatabases.backends)
        func rightTokenInTheQueryOpensEveryRenterEndpointAndLeavesAnHttpOnlyLaxCookie(backend: TestBackend) async throws {
            try await GatewayHarness.run(backend) { gw in
                let world = try await World.make(gw)
                let payment = world.payment
                for endpoint in Endpoint.allCases {
                    let r = try await gw.get(endpoint.path(payment.paymentID) + "?t=\(payment.token)", headers: endpoint.accept)
                    endpoint.expectAllowed(r, payment: payment)
                    let cookie = r.setCookies.first { $0.hasPrefix("gh_pt_\(payment.paymentID)=") }
                    #expect(
                        cookie == "gh_pt_\(payment.paymentID)=\(payment.token); Path=/; Max-Age=604800; HttpOnly; SameSite=Lax",
                        "\(endpoint): \(r.setCookies)")
                }
            }
        }

        @Test(arguments: TestDatabases.backends)
        func cookieFromAFirstVisitAloneOpensEveryRenterEndpoint(backend: TestBackend) async throws {
            try await GatewayHarness.run(backend) { gw in
                let world = try await World.make(gw)
                let payment = world.payment
                let first = try await gw.get(payment.redirectURL, headers: [.accept: "text/html"])
                let setCookie = try #require(first.setCookies.first { $0.hasPrefix("gh_pt_") })
                let cookie = try #require(setCookie.split(separator: ";").first.map(String.init))
                for endpoint in Endpoint.allCases {
                    var headers = endpoint.accept
                    headers[.cookie] = "gh_lang=vi; \(cookie)"
                    let r = try await gw.get(endpoint.path(payment.paymentID), headers: headers)
                    endpoint.expectAllowed(r, payment: payment)
                    #expect(!r.setCookies.contains { $0.hasPrefix("gh_pt_") }, "\(endpoint): the cookie is not set again")
                }
            }
        }

        @Test(arguments: TestDatabases.backends)
        func ownersOwnAPIKeyOpensEveryRenterEndpointWithoutACookie(backend: TestBackend) async throws {
            try await GatewayHarness.run(backend) { gw in
                let world = try await World.make(gw)
                for endpoint in Endpoint.allCases {
                    let r = try await gw.get(endpoint.path(world.payment.paymentID), headers: endpoint.accept.merging(gw.ownerA.bearer))
                    endpoint.expectAllowed(r, payment: world.payment)
                    #expect(r.setCookies.isEmpty, "\(endpoint)")
                }
            }
        }

        // MARK: Refused

        /// Each way of asking without the right to see payment `world.payment`.
        static func refusedCredentials(_ world: World) async throws -> [(name: String, query: String, headers: HTTPFields)] {
            let gw = world.gw
            let revoked = try await gw.components.apiKeys.issue(owner: gw.ownerA.id, name: "revoked", logger: gw.logger)
            try await gw.components.apiKeys.revoke(owner: gw.ownerA.id, prefix: revoked.prefix, logger: gw.logger)
            let wrongToken = String(world.payment.token.reversed())
            return [
                ("no credential", "", [:]),
                ("a wrong token", "?t=\(wrongToken)", [:]),
                ("an empty token", "?t=", [:]),
                ("a malformed token", "?t=%27%20OR%201%3D1--", [:]),
                ("an over-long token", "?t=" + String(repeating: "a", count: 4096), [:]),
                ("another payment's token", "?t=\(world.otherPayment.token)", [:]),
                ("another owner's payment's token", "?t=\(world.paymentOfB.token)", [:]),
                ("a wrong token in its cookie", "", [.cookie: "gh_pt_\(world.payment.paymentID)=\(wrongToken)"]),
                ("another payment's cookie", "", world.otherPayment.cookie),
                ("another payment's token under this payment's cookie name", "", [.cookie: "gh_pt_\(world.payment.paymentID)=\(world.otherPayment.token)"]),
                ("a wrong token in the query despite the right cookie", "?t=\(wrongToken)", world.payment.cookie),
                ("another owner's API key", "", gw.ownerB.bearer),
                ("a revoked API key of the owner", "", [.authorization: "Bearer \(revoked.secret)"]),
                ("a forged API key", "", [.authorization: "Bearer gh_\(revoked.prefix)_forgedforgedforgedforged"]),
                ("the token as a bearer key", "", [.authorization: "Bearer \(world.payment.token)"]),
            ]
        }

        @Test(arguments: TestDatabases.backends)
        func everyoneElseGets404WithNoneOfThePaymentsDataOnEveryRenterEndpoint(backend: TestBackend) async throws {
            try await GatewayHarness.run(backend, environment: TestGatehouse.sweepingWrongCredentials) { gw in
                let world = try await World.make(gw)
                let credentials = try await Self.refusedCredentials(world)
                for endpoint in Endpoint.allCases {
                    for credential in credentials {
                        let r = try await gw.get(
                            endpoint.path(world.payment.paymentID) + credential.query, headers: endpoint.accept.merging(credential.headers))
                        world.expectRefused(r, endpoint, credential.name)
                    }
                }
                // The payment itself is untouched and still opens with its token.
                let r = try await gw.get(world.payment.redirectURL, headers: [.accept: "application/json"])
                #expect(r.json?["payment"]?["status"] == "pending")
            }
        }

        @Test(arguments: TestDatabases.backends)
        func refusalOfAnExistingPaymentLooksExactlyLikeAMissingPayment(backend: TestBackend) async throws {
            try await GatewayHarness.run(backend) { gw in
                let world = try await World.make(gw)
                for endpoint in Endpoint.allCases {
                    for headers: HTTPFields in [[:], gw.ownerB.bearer, [.cookie: "gh_pt_1=\(world.otherPayment.token)"]] {
                        let r = try await gw.get(endpoint.path(world.payment.paymentID), headers: endpoint.accept.merging(headers))
                        try await world.expectIndistinguishableFromMissing(r, endpoint, headers: headers)
                    }
                }
            }
        }

        @Test(arguments: TestDatabases.backends)
        func nonNumericOrZeroPaymentIDsAre404(backend: TestBackend) async throws {
            try await GatewayHarness.run(backend) { gw in
                let world = try await World.make(gw)
                for path in ["/payment/status/abc", "/payment/refresh-status/0", "/payment/qr/-\(world.payment.paymentID)", "/payment/success/1e3"] {
                    let r = try await gw.get(path + "?t=\(world.payment.token)", headers: [.accept: "application/json"])
                    #expect(r.status == .notFound, "\(path)")
                }
            }
        }
    }

    /// The owner API's own access rules: no key 401, another owner's resource 404, a suspended owner 403.
    @Suite struct OwnerAccessTests {
        @Test(arguments: TestDatabases.backends)
        func anotherOwnersBookingIs404AndItsDataIsNotShown(backend: TestBackend) async throws {
            try await GatewayHarness.run(backend) { gw in
                let bookingOfA = try await gw.createBooking(gw.ownerA)
                let r = try await gw.get("/api/bookings/\(bookingOfA)", headers: gw.ownerB.bearer)
                #expect(r.status == .notFound)
                #expect(r.errorCode == "NOT_FOUND")
                #expect(!r.body.contains("Phòng Deluxe"))
                let missing = try await gw.get("/api/bookings/987654", headers: gw.ownerB.bearer)
                #expect(missing.json?.canonical == r.json?.canonical)
            }
        }

        @Test(arguments: TestDatabases.backends)
        func ownerRoutesWithoutAValidKeyAre401(backend: TestBackend) async throws {
            try await GatewayHarness.run(backend, environment: TestGatehouse.sweepingWrongCredentials) { gw in
                let bookingOfA = try await gw.createBooking(gw.ownerA)
                let revoked = try await gw.components.apiKeys.issue(owner: gw.ownerA.id, name: "old", logger: gw.logger)
                try await gw.components.apiKeys.revoke(owner: gw.ownerA.id, prefix: revoked.prefix, logger: gw.logger)
                let expired = try await gw.components.apiKeys.issue(
                    owner: gw.ownerA.id, name: "expired", expiresAt: gw.components.clock.now() - 1, logger: gw.logger)
                let keys: [(String, HTTPFields)] = [
                    ("no key", [:]),
                    ("a revoked key", [.authorization: "Bearer \(revoked.secret)"]),
                    ("an expired key", [.authorization: "Bearer \(expired.secret)"]),
                    ("a malformed key", [.authorization: "Bearer not-a-gatehouse-key"]),
                    ("basic auth", [.authorization: "Basic dXNlcjpwYXNz"]),
                    ("an empty bearer", [.authorization: "Bearer "]),
                ]
                for (name, headers) in keys {
                    for (method, path, body) in [
                        ("GET", "/api/bookings/\(bookingOfA)", nil), ("POST", "/api/bookings", GatewayHarness.bookingBody()),
                        ("POST", "/payment/process_payment", #"{"booking_id": \#(bookingOfA)}"#), ("GET", "/api/payments", nil),
                    ] as [(String, String, String?)] {
                        let r = try await gw.request(.init(method)!, path, headers: headers, body: body)
                        #expect(r.status == .unauthorized, "\(method) \(path) with \(name)")
                        #expect(r.errorCode == "UNAUTHORIZED", "\(method) \(path) with \(name)")
                    }
                }
                #expect(gw.payOS.creates.isEmpty)
            }
        }

        @Test(arguments: TestDatabases.backends)
        func suspendedOwnerIsRefusedWith403OwnerSuspendedAndCanComeBack(backend: TestBackend) async throws {
            try await GatewayHarness.run(backend) { gw in
                let bookingOfA = try await gw.createBooking(gw.ownerA)
                try await gw.components.owners.setStatus(gw.ownerA.id, .suspended, logger: gw.logger)
                for (method, path, body) in [
                    ("GET", "/api/bookings/\(bookingOfA)", nil), ("POST", "/api/bookings", GatewayHarness.bookingBody()),
                    ("POST", "/payment/process_payment", #"{"booking_id": \#(bookingOfA)}"#),
                ] as [(String, String, String?)] {
                    let r = try await gw.request(.init(method)!, path, headers: gw.ownerA.bearer, body: body)
                    #expect(r.status == .forbidden, "\(method) \(path)")
                    #expect(r.errorCode == "OWNER_SUSPENDED", "\(method) \(path)")
                }
                #expect(gw.payOS.creates.isEmpty)
                // Owner B is not affected.
                #expect(try await gw.get("/api/payments", headers: gw.ownerB.bearer).status == .ok)

                try await gw.components.owners.setStatus(gw.ownerA.id, .active, logger: gw.logger)
                #expect(try await gw.get("/api/bookings/\(bookingOfA)", headers: gw.ownerA.bearer).status == .ok)
            }
        }
    }
}

extension HTTPResult {
    /// The body with this response's CSP nonce blanked, to compare two HTML pages that differ only by it (JSON is
    /// compared by meaning: its key order is not fixed).
    var withoutNonce: String {
        if isJSON, let json { return json.canonical.compactText }
        guard let csp = headers[HTTPField.Name("Content-Security-Policy")!],
            let range = csp.range(of: "'nonce-"),
            let end = csp[range.upperBound...].firstIndex(of: "'")
        else { return body }
        return body.replacingOccurrences(of: String(csp[range.upperBound..<end]), with: "NONCE")
    }
}
