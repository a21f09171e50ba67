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
    /// `POST /api/bookings` and `GET /api/bookings/{id}`: the owner's bookings, validated field by field.
    @Suite struct BookingAPITests {
        @Test(arguments: TestDatabases.backends)
        func createdBookingIsAnsweredWith201AndReadBackByItsOwner(backend: TestBackend) async throws {
            try await GatewayHarness.run(backend) { gw in
                let created = try await gw.post("/api/bookings", GatewayHarness.bookingBody(), headers: gw.ownerA.bearer)
                #expect(created.status == .created)
                #expect(created.isJSON)
                let json = try #require(created.json)
                let id = try #require(json["id"]?.int64Value)
                #expect(json["room_title"] == "Phòng Deluxe hướng biển")
                #expect(json["start_time"] == "2030-01-15T07:00:00Z")
                #expect(json["end_time"] == "2030-01-15T10:00:00Z")
                #expect(json["amount"] == 500_000)
                #expect(json["currency"] == "VND")
                #expect(json["status"] == "pending")
                #expect(json["payment_status"] == "unpaid")
                #expect(json["renter"]?["name"] == "Nguyễn Văn An")
                #expect(json["renter"]?["email"] == "an.nguyen@example.vn")
                #expect(json["renter"]?["phone"] == "0912345678")

                let read = try await gw.get("/api/bookings/\(id)", headers: gw.ownerA.bearer)
                #expect(read.status == .ok)
                #expect(read.json?.canonical == json.canonical)
            }
        }

        /// Each invalid body, the HTTP status, the code, and the field the message must name.
        struct InvalidBooking: Sendable, CustomTestStringConvertible {
            let name: String
            let body: String
            let field: String
            var testDescription: String { name }
        }

        static let invalidBookings: [InvalidBooking] = [
            .init(name: "missing room_title", body: GatewayHarness.bookingBody(omitting: ["room_title"]), field: "room_title"),
            .init(name: "missing renter_email", body: GatewayHarness.bookingBody(omitting: ["renter_email"]), field: "renter_email"),
            .init(name: "amount 0", body: GatewayHarness.bookingBody(amount: 0), field: "amount"),
            .init(name: "negative amount", body: GatewayHarness.bookingBody(amount: -5), field: "amount"),
            .init(name: "amount 1.5", body: GatewayHarness.bookingBody(amount: .double(1.5)), field: "amount"),
            .init(name: "amount as a string", body: GatewayHarness.bookingBody(amount: "500000"), field: "amount"),
            .init(name: "bad email", body: GatewayHarness.bookingBody(renterEmail: "an.nguyen-at-example.vn"), field: "renter_email"),
            .init(name: "end before start", body: GatewayHarness.bookingBody(start: "2030-01-15T10:00:00Z", end: "2030-01-15T07:00:00Z"), field: "end_time"),
            .init(name: "start not a date", body: GatewayHarness.bookingBody(start: "15/01/2030 14:00"), field: "start_time"),
            .init(name: "empty room title", body: GatewayHarness.bookingBody(roomTitle: "   "), field: "room_title"),
            .init(name: "malformed JSON", body: #"{"room_title": "Phòng", "amount": 5"#, field: "JSON"),
            .init(name: "not an object", body: #"[1, 2, 3]"#, field: "body"),
        ]

        @Test(arguments: TestDatabases.backends)
        func invalidBookingIsRefusedWithAValidationErrorNamingTheField(backend: TestBackend) async throws {
            try await GatewayHarness.run(backend) { gw in
                for invalid in Self.invalidBookings {
                    let response = try await gw.post("/api/bookings", invalid.body, headers: gw.ownerA.bearer)
                    #expect(response.status == .badRequest, "\(invalid.name)")
                    #expect(response.isJSON, "\(invalid.name)")
                    #expect(response.errorCode == "VALIDATION_ERROR", "\(invalid.name)")
                    #expect(response.json?["success"] == false, "\(invalid.name)")
                    let message = response.json?["error"]?.stringValue ?? ""
                    #expect(message.contains(invalid.field), "\(invalid.name): message '\(message)' does not name \(invalid.field)")
                }
                // Nothing was half-written.
                let rows = try await gw.components.database.query("SELECT id FROM booking", logger: gw.logger)
                #expect(rows.isEmpty)
            }
        }

        @Test(arguments: TestDatabases.backends)
        func bodyOver64KiBIsRefusedWith413PayloadTooLarge(backend: TestBackend) async throws {
            try await GatewayHarness.run(backend) { gw in
                let padding = String(repeating: "x", count: 70 * 1024)
                let body = GatewayHarness.bookingBody(roomTitle: .string(padding))
                let response = try await gw.post("/api/bookings", body, headers: gw.ownerA.bearer)
                #expect(response.status == .contentTooLarge)
                #expect(response.errorCode == "PAYLOAD_TOO_LARGE")
                let rows = try await gw.components.database.query("SELECT id FROM booking", logger: gw.logger)
                #expect(rows.isEmpty)
                // Just under the limit is read (and refused only for the over-long title).
                let underLimit = GatewayHarness.bookingBody(roomTitle: .string(String(repeating: "x", count: 60 * 1024)))
                let refused = try await gw.post("/api/bookings", underLimit, headers: gw.ownerA.bearer)
                #expect(refused.status == .badRequest)
                #expect(refused.json?["error"]?.stringValue?.contains("room_title") == true)
            }
        }

        @Test(arguments: TestDatabases.backends)
        func unknownOrNonNumericBookingIDIs404(backend: TestBackend) async throws {
            try await GatewayHarness.run(backend) { gw in
                for path in ["/api/bookings/999999", "/api/bookings/abc", "/api/bookings/-1"] {
                    let response = try await gw.get(path, headers: gw.ownerA.bearer)
                    #expect(response.status == .notFound, "\(path)")
                    #expect(response.errorCode == "NOT_FOUND", "\(path)")
                }
            }
        }

        @Test(arguments: TestDatabases.backends)
        func aRenterWithTheSameEmailIsReusedPerOwnerButNeverAcrossOwners(backend: TestBackend) async throws {
            try await GatewayHarness.run(backend) { gw in
                _ = try await gw.createBooking(gw.ownerA)
                _ = try await gw.createBooking(gw.ownerA)
                _ = try await gw.createBooking(gw.ownerB)
                let rows = try await gw.components.database.query("SELECT owner_id FROM renter ORDER BY owner_id", logger: gw.logger)
                let owners = try rows.map { try $0.decode("owner_id", as: Int64.self) }
                #expect(owners == [gw.ownerA.id.rawValue, gw.ownerB.id.rawValue])
            }
        }
    }
}
