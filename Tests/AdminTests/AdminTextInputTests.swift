// Copyright (c) the Gatehouse authors
import Foundation
import GatehouseApp
import GatehouseCore
import HTTPTypes
import GatehouseTestSupport
import PayOS
import Storage
import StorageTestSupport
import Tenancy
import Testing

extension AdminSuites {
    /// Admin text input (an owner's name and e-mail, an admin token's name, the audit filter) is checked in the unit its
    /// column counts (code points): at the limit it is stored and read back byte for byte, one over or with a control
    /// character it is 400 — never a 500 from the database — on both backends.
    @Suite struct AdminTextInputTests {
        static func ownerBody(name: String, email: String = "owner@example.vn") -> String {
            JSONValue.object(["name": .string(name), "email": .string(email)]).compactText
        }

        static func expectRefused(_ response: HTTPResult, naming field: String, _ comment: String, sourceLocation: SourceLocation = #_sourceLocation) {
            #expect(response.status == .badRequest, "\(comment): \(response.status) \(response.body)", sourceLocation: sourceLocation)
            #expect(response.errorCode == "VALIDATION_ERROR", "\(comment)", sourceLocation: sourceLocation)
            let message = response.json?["error"]?.stringValue ?? ""
            #expect(message.contains(field), "\(comment): '\(message)' does not name \(field)", sourceLocation: sourceLocation)
        }

        // MARK: Tests

        @Test(arguments: TestDatabases.backends)
        func anOwnerNameOfTwoHundredCodePointsRoundTripsByteForByteAndOneMoreIs400(backend: TestBackend) async throws {
            try await AdminHarness.run(backend) { h in
                let before = try await h.components.owners.list(logger: h.logger).count
                var created = 0
                for sample in UnicodeSample.all {
                    let name = sample.text(codePoints: 200)
                    let response = try await h.post("/admin/owners", Self.ownerBody(name: name))
                    try #require(response.status == .created, "\(sample): \(response.status) \(response.body)")
                    created += 1
                    let id = try #require(response.json?["owner"]?["id"]?.int64Value)
                    #expect(name.isByteIdentical(to: response.json?["owner"]?["name"]?.stringValue), "\(sample) in the answer")
                    let shown = try await h.get("/admin/owners/\(id)")
                    #expect(name.isByteIdentical(to: shown.json?["name"]?.stringValue ?? shown.json?["owner"]?["name"]?.stringValue), "\(sample) read back")
                    let row = try await h.components.database.query("SELECT name FROM owner WHERE id = \(id)", logger: h.logger).first
                    #expect(name.isByteIdentical(to: try row?.decode("name", as: String.self)), "\(sample) as stored")

                    let over = try await h.post("/admin/owners", Self.ownerBody(name: sample.overByOne(200)))
                    Self.expectRefused(over, naming: "name", "\(sample) one code point over")
                    #expect(over.json?["error"]?.stringValue?.contains("code points") == true)
                }
                // The e-mail column is 254 code points.
                let local = UnicodeSample.all[2].text(codePoints: 254 - "@example.vn".unicodeScalars.count)
                let email = try await h.post("/admin/owners", Self.ownerBody(name: "Chủ nhà", email: local + "@example.vn"))
                #expect(email.status == .created, "\(email.body)")
                created += 1
                #expect((local + "@example.vn").isByteIdentical(to: email.json?["owner"]?["email"]?.stringValue))
                Self.expectRefused(
                    try await h.post("/admin/owners", Self.ownerBody(name: "Chủ nhà", email: "e\u{301}" + local + "@example.vn")), naming: "email",
                    "e-mail over")
                #expect(try await h.components.owners.list(logger: h.logger).count == before + created)
            }
        }

        @Test(arguments: TestDatabases.backends)
        func controlCharactersInAnOwnersNameOrEmailOrTheAuditFilterAre400(backend: TestBackend) async throws {
            try await AdminHarness.run(backend) { h in
                let before = try await h.components.owners.list(logger: h.logger).count
                for character in ["\r", "\n", "\t", "\u{0}", "\u{7F}", "\u{85}", "\u{9F}", "\u{2029}"] {
                    let shown = "U+" + String(character.unicodeScalars.first!.value, radix: 16, uppercase: true)
                    Self.expectRefused(try await h.post("/admin/owners", Self.ownerBody(name: "Nhà\(character)trọ")), naming: "name", "\(shown) in name")
                    Self.expectRefused(
                        try await h.post("/admin/owners", Self.ownerBody(name: "Nhà trọ", email: "a\(character)b@example.vn")), naming: "email",
                        "\(shown) in email")
                    let encoded = character.utf8.map { String(format: "%%%02X", $0) }.joined()
                    Self.expectRefused(try await h.get("/admin/audit?action=admin.owner\(encoded).create"), naming: "action", "\(shown) in the audit filter")
                }
                #expect(try await h.components.owners.list(logger: h.logger).count == before)
            }
        }

        @Test(arguments: TestDatabases.backends)
        func anAdminTokenNameIsOneLineOfAtMostOneHundredCodePoints(backend: TestBackend) async throws {
            try await withTestDatabase(backend) { database in
                let logger = TestDatabases.logger
                let tokens = AdminTokenRepository(database: database, hasher: TokenHasher(pepper: Array(repeating: 7, count: 32)))
                let name = UnicodeSample.all[1].text(codePoints: 100)
                let issued = try await tokens.create(name: name, logger: logger)
                #expect(name.isByteIdentical(to: try await tokens.authenticate(issued.secret, logger: logger)?.name))
                for bad in [UnicodeSample.all[1].overByOne(100), "alice\tlaptop", "alice\u{0}", "alice\u{9F}laptop"] {
                    await #expect(throws: TenancyError.self, "\(bad.unicodeScalars.map(\.value))") { try await tokens.create(name: bad, logger: logger) }
                }
                #expect(try await tokens.list(logger: logger).count == 1)
            }
        }
    }
}
