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
import Payments
import GatehouseHTTP

extension GatewayAPITests {
    /// The edge: errors are `{error, code}` JSON for API routes and the localized error page for pages, never with
    /// internals; every response carries `X-Request-ID`. (The harness also checks the last two on every response of
    /// every suite.)
    @Suite struct ErrorResponseTests {
        @Test(arguments: TestDatabases.backends)
        func unknownAPIRouteIsA404JSONErrorEvenForABrowser(backend: TestBackend) async throws {
            try await GatewayHarness.run(backend) { gw in
                for headers: HTTPFields in [[:], [.accept: "text/html"], gw.ownerA.bearer] {
                    for path in ["/api/nothing-here", "/api/bookings/1/extra", "/payment/refresh-status/1/extra"] {
                        let r = try await gw.get(path, headers: headers)
                        #expect(r.status == .notFound, "\(path)")
                        #expect(r.isJSON, "\(path)")
                        #expect(r.json?["code"] == "NOT_FOUND", "\(path)")
                        #expect(r.json?["error"]?.stringValue?.isEmpty == false, "\(path)")
                    }
                }
            }
        }

        @Test(arguments: TestDatabases.backends)
        func unknownPageRouteIsTheLocalizedHTMLErrorPage(backend: TestBackend) async throws {
            try await GatewayHarness.run(backend) { gw in
                let vi = try await gw.get("/payment/nothing-here", headers: [.accept: "text/html"])
                #expect(vi.status == .notFound)
                #expect(vi.isHTML)
                #expect(vi.body.contains("<html lang=\"vi\">"))
                #expect(vi.body.contains("Không tìm thấy thanh toán"))
                #expect(vi.body.contains("HTTP 404"))
                #expect(vi.headers[HTTPField.Name("Content-Security-Policy")!]?.contains("default-src 'none'") == true)

                let en = try await gw.get("/nothing-here?lang=en", headers: [.accept: "text/html"])
                #expect(en.status == .notFound)
                #expect(en.body.contains("Payment not found"))

                // The same unknown page asked for as JSON is a JSON error.
                let json = try await gw.get("/payment/nothing-here", headers: [.accept: "application/json"])
                #expect(json.isJSON)
                #expect(json.errorCode == "NOT_FOUND")
            }
        }

        @Test(arguments: TestDatabases.backends)
        func wrongMethodOnAnAPIRouteIsAJSONError(backend: TestBackend) async throws {
            try await GatewayHarness.run(backend) { gw in
                let r = try await gw.request(.delete, "/api/bookings", headers: gw.ownerA.bearer)
                #expect((400..<500).contains(r.status.code))
                #expect(r.isJSON)
                #expect(r.errorCode != nil)
                let put = try await gw.request(.put, "/payment/process_payment", headers: gw.ownerA.bearer, body: "{}")
                #expect((400..<500).contains(put.status.code))
                #expect(put.isJSON)
            }
        }

        @Test(arguments: TestDatabases.backends)
        func errorBodiesAreTheStableShapeWithoutInternals(backend: TestBackend) async throws {
            try await GatewayHarness.run(backend) { gw in
                let bookingID = try await gw.createBooking(gw.ownerA)
                // Errors from every layer: decoding, validation, tenancy, vault, payOS, storage-backed lookups.
                await gw.payOS.stop()
                let answers = [
                    try await gw.post("/api/bookings", "{", headers: gw.ownerA.bearer),
                    try await gw.post("/api/bookings", #"{"amount": "x"}"#, headers: gw.ownerA.bearer),
                    try await gw.post("/payment/process_payment", #"{"booking_id": \#(bookingID), "description": "ሰላም"}"#, headers: gw.ownerA.bearer),
                    try await gw.post("/payment/process_payment", #"{"booking_id": \#(bookingID)}"#, headers: gw.ownerA.bearer),
                    try await gw.get("/api/bookings/\(Int64.max)", headers: gw.ownerA.bearer),
                    try await gw.get("/payment/return?orderCode=\(Int64.max)", headers: [.accept: "application/json"]),
                ]
                for r in answers {
                    #expect(r.status.code >= 400)
                    let json = try #require(r.json?.objectValue, "\(r.status.code) \(r.body)")
                    #expect(Set(json.keys) == ["error", "code", "success"], "\(r.body)")
                    #expect(json["success"] == false)
                    let code = try #require(json["code"]?.stringValue)
                    #expect(code.allSatisfy { $0.isUppercase || $0.isNumber || $0 == "_" }, "code '\(code)' is not a stable constant")
                    #expect(r.headers[.cacheControl] == "no-store")
                }
            }
        }

        @Test(arguments: TestDatabases.backends)
        func everyResponseCarriesADistinctRequestID(backend: TestBackend) async throws {
            try await GatewayHarness.run(backend) { gw in
                let payment = try await gw.bookAndCreatePayment(gw.ownerA)
                let answers = [
                    try await gw.get("/health"),
                    try await gw.get(payment.redirectURL, headers: [.accept: "text/html"]),
                    try await gw.get("/payment/qr/\(payment.paymentID)", headers: payment.cookie),
                    try await gw.get("/payment/success/\(payment.paymentID)", headers: payment.cookie),
                    try await gw.get("/api/nothing"),
                    try await gw.get("/nothing", headers: [.accept: "text/html"]),
                    try await gw.post("/api/bookings", "{}", headers: gw.ownerA.bearer),
                    try await gw.post("/api/bookings", "{}"),
                ]
                let ids = answers.compactMap(\.requestID)
                #expect(ids.count == answers.count)
                #expect(Set(ids).count == ids.count)
            }
        }
    }

    /// `GET /health` (liveness) and `GET /health/payment` (readiness with the database and payOS).
    @Suite struct HealthTests {
        @Test(arguments: TestDatabases.backends)
        func livenessIs200JSON(backend: TestBackend) async throws {
            try await GatewayHarness.run(backend) { gw in
                let r = try await gw.get("/health")
                #expect(r.status == .ok)
                #expect(r.isJSON)
                #expect(r.json?["status"] == "ok")
                #expect(r.json?["service"] == "gatehouse")
                #expect(r.json?["version"]?.stringValue?.isEmpty == false)
                #expect(r.json?["uptime_seconds"]?.int64Value != nil)
            }
        }

        @Test(arguments: TestDatabases.backends)
        func paymentHealthIsHealthyWithTheDatabaseAndPayOSUp(backend: TestBackend) async throws {
            try await GatewayHarness.run(backend) { gw in
                let r = try await gw.get("/health/payment")
                #expect(r.status == .ok)
                let json = try #require(r.json)
                #expect(json["status"] == "healthy")
                #expect(json["database"] == "connected")
                #expect(json["payos_api"] == "connected")
                #expect(json["webhook_endpoint"] == .string(GatewayHarness.publicURL + "/webhook/payos"))
                #expect(json["timestamp"]?.stringValue.flatMap(APITime.parse) != nil)
                #expect(gw.payOS.calls.contains { $0.path.hasPrefix("/v2/payment-requests") })
            }
        }

        @Test(arguments: TestDatabases.backends)
        func paymentHealthIs500UnhealthyWhenPayOSIsUnreachable(backend: TestBackend) async throws {
            try await GatewayHarness.run(backend) { gw in
                await gw.payOS.stop()
                let r = try await gw.get("/health/payment")
                #expect(r.status == .internalServerError)
                #expect(r.isJSON)
                let json = try #require(r.json)
                #expect(json["status"] == "unhealthy")
                #expect(json["database"] == "connected")
                #expect(json["payos_api"] == "unreachable")
            }
        }
    }
}
