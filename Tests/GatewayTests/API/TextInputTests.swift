// Copyright (c) the Gatehouse authors
import Foundation
import GatehouseApp
import GatehouseCore
import GatehouseTestSupport
import HTTPTypes
import PayOS
import PayOSSandbox
import Storage
import StorageTestSupport
import Testing

extension GatewayAPITests {
    /// Owner-API text input is checked in the unit its column counts (code points), refused with 400 when it does not
    /// fit or holds control characters — never let through to fail in the database as a 500 — and what is accepted is
    /// stored and read back byte for byte, on both backends.
    @Suite struct TextInputTests {
        /// The booking's single-line text fields and their columns' lengths in code points.
        static let bookingFields: [(name: String, limit: Int)] = [("room_title", 200), ("renter_name", 100)]

        /// Characters that break a single line: CR, LF, CRLF, TAB, NUL, DEL, C1 (NEL, U+009F), the Unicode line separator.
        static let lineBreakers: [String] = ["\r", "\n", "\r\n", "\t", "\u{0}", "\u{7F}", "\u{85}", "\u{9F}", "\u{2028}"]

        static func body(_ field: String, _ value: String, email: String = "an.nguyen@example.vn") -> String {
            switch field {
            case "room_title": GatewayHarness.bookingBody(roomTitle: .string(value), renterEmail: .string(email))
            case "renter_name": GatewayHarness.bookingBody(renterName: .string(value), renterEmail: .string(email))
            case "renter_email": GatewayHarness.bookingBody(renterEmail: .string(value))
            default: GatewayHarness.bookingBody(renterEmail: .string(email), renterPhone: .string(value))
            }
        }

        static func expectRefused(_ response: HTTPResult, naming field: String, _ comment: String, sourceLocation: SourceLocation = #_sourceLocation) {
            #expect(response.status == .badRequest, "\(comment): \(response.status) \(response.body)", sourceLocation: sourceLocation)
            #expect(response.errorCode == "VALIDATION_ERROR", "\(comment)", sourceLocation: sourceLocation)
            let message = response.json?["error"]?.stringValue ?? ""
            #expect(message.contains(field), "\(comment): '\(message)' does not name \(field)", sourceLocation: sourceLocation)
        }

        // MARK: Tests

        @Test(arguments: TestDatabases.backends)
        func bookingTextExactlyAtItsColumnLengthInCodePointsRoundTripsByteForByteAndOneMoreIs400(backend: TestBackend) async throws {
            try await GatewayHarness.run(backend) { gw in
                var stored = 0
                for sample in UnicodeSample.all {
                    for (index, field) in Self.bookingFields.enumerated() {
                        let value = sample.text(codePoints: field.limit)
                        // A renter per booking, so the renter's name is not overwritten by a later booking's.
                        let email = "r\(stored)-\(index)@example.vn"
                        let created = try await gw.post("/api/bookings", Self.body(field.name, value, email: email), headers: gw.ownerA.bearer)
                        try #require(created.status == .created, "\(sample) \(field.name): \(created.status) \(created.body)")
                        stored += 1
                        let id = try #require(created.json?["id"]?.int64Value)
                        let read = try await gw.get("/api/bookings/\(id)", headers: gw.ownerA.bearer)
                        let readBack = field.name == "room_title" ? read.json?["room_title"] : read.json?["renter"]?["name"]
                        #expect(value.isByteIdentical(to: readBack?.stringValue), "\(sample) \(field.name) through the API")
                        let query: SQLQuery =
                            field.name == "room_title"
                            ? "SELECT room_title AS v FROM booking WHERE id = \(id)"
                            : "SELECT r.name AS v FROM renter r JOIN booking b ON b.renter_id = r.id WHERE b.id = \(id)"
                        let row = try await gw.components.database.query(query, logger: gw.logger).first
                        #expect(value.isByteIdentical(to: try row?.decode("v", as: String.self)), "\(sample) \(field.name) as stored")

                        let over = try await gw.post("/api/bookings", Self.body(field.name, sample.overByOne(field.limit)), headers: gw.ownerA.bearer)
                        Self.expectRefused(over, naming: field.name, "\(sample) \(field.name) one code point over")
                        #expect(over.json?["error"]?.stringValue?.contains("code points") == true)
                    }
                }
                // The renter's e-mail (120 code points): a local part of combining marks.
                let email = UnicodeSample.all[2].text(codePoints: 120 - "@example.vn".unicodeScalars.count) + "@example.vn"
                let created = try await gw.post("/api/bookings", Self.body("renter_email", email), headers: gw.ownerA.bearer)
                try #require(created.status == .created, "\(created.body)")
                stored += 1
                #expect(email.isByteIdentical(to: created.json?["renter"]?["email"]?.stringValue))
                let longer = "e\u{301}" + email
                Self.expectRefused(try await gw.post("/api/bookings", Self.body("renter_email", longer), headers: gw.ownerA.bearer), naming: "renter_email", "e-mail over")

                let count = try await gw.components.database.query("SELECT COUNT(*) AS n FROM booking", logger: gw.logger).first
                #expect(try count?.decode("n", as: Int64.self) == Int64(stored))
            }
        }

        @Test(arguments: TestDatabases.backends)
        func controlCharactersAndLineBreaksInSingleLineFieldsAre400(backend: TestBackend) async throws {
            try await GatewayHarness.run(backend) { gw in
                let booking = try await gw.createBooking(gw.ownerA)
                for character in Self.lineBreakers {
                    let shown = character.unicodeScalars.map { "U+" + String($0.value, radix: 16, uppercase: true) }.joined(separator: " ")
                    for field in Self.bookingFields {
                        let response = try await gw.post("/api/bookings", Self.body(field.name, "Phòng\(character)Deluxe"), headers: gw.ownerA.bearer)
                        Self.expectRefused(response, naming: field.name, "\(shown) in \(field.name)")
                    }
                    let email = try await gw.post("/api/bookings", Self.body("renter_email", "an\(character)nguyen@example.vn"), headers: gw.ownerA.bearer)
                    Self.expectRefused(email, naming: "renter_email", "\(shown) in renter_email")
                    let description = try await gw.post(
                        "/payment/process_payment",
                        JSONValue.object(["booking_id": .int(booking), "description": .string("Coc\(character)phong")]).compactText,
                        headers: gw.ownerA.bearer)
                    Self.expectRefused(description, naming: "description", "\(shown) in description")
                }
                #expect(try await gw.components.database.query("SELECT id FROM booking", logger: gw.logger).count == 1)
                #expect(try await gw.components.database.query("SELECT id FROM payment", logger: gw.logger).isEmpty)
            }
        }

        @Test(arguments: TestDatabases.backends)
        func phoneNumbersTakeASCIIDigitsOnly(backend: TestBackend) async throws {
            try await GatewayHarness.run(backend) { gw in
                let refused = [
                    "٠٩١٢٣٤٥٦٧٨",  // Arabic-Indic
                    "۰۹۱۲۳۴۵۶۷۸",  // Extended Arabic-Indic (Persian)
                    "０９１２３４５６７８",  // fullwidth
                    "०९१२३४५६७८",  // Devanagari
                    "0912 345 ½",  // a number, not a digit
                    "0912\t345678", "0912\n345678", "0912\u{0}345678",
                ]
                for phone in refused {
                    Self.expectRefused(try await gw.post("/api/bookings", Self.body("renter_phone", phone), headers: gw.ownerA.bearer), naming: "renter_phone", phone)
                }
                #expect(try await gw.components.database.query("SELECT id FROM booking", logger: gw.logger).isEmpty)
                let phone = "+84 (912) 345-678"
                let created = try await gw.post("/api/bookings", Self.body("renter_phone", phone), headers: gw.ownerA.bearer)
                #expect(created.status == .created)
                #expect(phone.isByteIdentical(to: created.json?["renter"]?["phone"]?.stringValue))
            }
        }

        @Test(arguments: TestDatabases.backends)
        func idempotencyKeysAreOneToTwoHundredVisibleASCIICharacters(backend: TestBackend) async throws {
            try await GatewayHarness.run(backend) { gw in
                let booking = try await gw.createBooking(gw.ownerA)
                for key in ["khóa-🔑", "a b", String(repeating: "k", count: 201)] {
                    var headers = gw.ownerA.bearer
                    headers[HTTPField.Name("Idempotency-Key")!] = key
                    let response = try await gw.post("/payment/process_payment", #"{"booking_id": \#(booking)}"#, headers: headers)
                    Self.expectRefused(response, naming: "Idempotency-Key", key)
                }
                #expect(try await gw.components.database.query("SELECT id FROM idempotency_key", logger: gw.logger).isEmpty)
                let key = String(repeating: "k", count: 199) + "~"
                let first = try await gw.createPayment(gw.ownerA, bookingID: booking, idempotencyKey: key)
                var headers = gw.ownerA.bearer
                headers[HTTPField.Name("Idempotency-Key")!] = key
                let again = try await gw.post("/payment/process_payment", #"{"booking_id": \#(booking)}"#, headers: headers)
                #expect(again.status == .ok)  // the stored answer, replayed
                #expect(again.json?["payment_id"]?.int64Value == first.paymentID)
            }
        }

        @Test(arguments: TestDatabases.backends)
        func payOSCredentialsWithControlCharactersAre400BeforePayOSIsAsked(backend: TestBackend) async throws {
            try await GatewayHarness.run(backend) { gw in
                let owner = try await gw.makeOwner(name: "Nhà trọ Mới", email: "new-owner@example.vn", credentials: nil)
                let channel = GatewayHarness.channelB
                for character in ["\u{0}", "\u{7F}", "\u{85}", "\u{9F}"] {
                    for field in ["client_id", "api_key", "checksum_key"] {
                        func value(_ name: String, _ given: String) -> JSONValue { .string(name == field ? given + character : given) }
                        let body = JSONValue.object([
                            "client_id": value("client_id", channel.clientId), "api_key": value("api_key", channel.apiKey),
                            "checksum_key": value("checksum_key", channel.checksumKey),
                        ]).compactText
                        let response = try await gw.request(.put, "/api/owner/payos-credentials", headers: owner.bearer, body: body)
                        Self.expectRefused(response, naming: field, "U+\(String(character.unicodeScalars.first!.value, radix: 16)) in \(field)")
                        #expect(!response.body.contains(channel.apiKey) && !response.body.contains(channel.checksumKey))
                    }
                }
            }
        }
    }
}
