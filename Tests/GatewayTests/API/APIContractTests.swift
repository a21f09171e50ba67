// Copyright (c) the Gatehouse authors
import Foundation
import GatehouseApp
import GatehouseTestSupport
import Gateway
import HTTPTypes
import Hummingbird
import PayOS
import PayOSSandbox
import StorageTestSupport
import Testing

extension GatewayAPITests {
    /// The OpenAPI document is true and whole: served as it is bundled, covering every route the app registers, and the
    /// checker the harnesses run on every response really catches a response that breaks it.
    @Suite struct APIContractTests {
        let contract = APIContract.shared

        // MARK: The checker is not vacuous

        @Test func theValidatorNamesThePathOfEveryBreak() throws {
            let booking: JSONValue = [
                "id": 7, "room_title": "Phòng 1", "start_time": "2030-01-15T07:00:00Z", "end_time": "2030-01-15T10:00:00Z", "amount": 500_000,
                "currency": "VND", "status": "pending", "payment_status": "unpaid", "created_at": "2030-01-01T00:00:00Z",
                "renter": ["name": "An", "email": "an@example.vn"],
            ]
            let schema: JSONValue = ["$ref": "#/components/schemas/Booking"]
            #expect(contract.validator.validate(booking, against: schema).isEmpty)

            var broken = try #require(booking.objectValue)
            broken.set("amount", "500000")  // a string where the document says integer
            broken.set("currency", "USD")  // const VND
            broken.set("status", "paid")  // not in the enum
            broken.set("secret", "x")  // additionalProperties: false
            broken.set("renter", ["name": "An"])  // nested required email missing
            broken.remove("created_at")  // required
            let paths = Set(contract.validator.validate(.object(broken), against: schema).map(\.path))
            #expect(paths == ["$.amount", "$.currency", "$.status", "$.secret", "$.renter", "$"])
        }

        @Test func theValidatorChecksNullabilityArraysAndAlternatives() {
            let refresh: JSONValue = ["$ref": "#/components/schemas/RefreshStatus"]
            let pending: JSONValue = ["status": "pending", "message": "m", "payment_status": "pending", "redirect": nil]
            #expect(contract.validator.validate(pending, against: refresh).isEmpty, "redirect is string|null")
            let number: JSONValue = ["status": "pending", "message": "m", "payment_status": "pending", "redirect": 3]
            #expect(contract.validator.validate(number, against: refresh).map(\.path) == ["$.redirect"])

            let list: JSONValue = ["$ref": "#/components/schemas/PaymentList"]
            #expect(contract.validator.validate(["payments": [["id": 1]]], against: list).contains { $0.path == "$.payments[0]" })

            let error: JSONValue = ["$ref": "#/components/schemas/NotFoundError"]
            #expect(contract.validator.validate(["error": "x", "code": "NOT_FOUND", "success": false], against: error).isEmpty)
            #expect(contract.validator.validate(["error": "x", "code": "CONFLICT", "success": false], against: error).map(\.path) == ["$.code"])
            let anyOf: JSONValue = ["anyOf": [["type": "integer", "minimum": 1], ["type": "string", "pattern": "^a"]]]
            #expect(contract.validator.validate(2, against: anyOf).isEmpty)
            #expect(contract.validator.validate("abc", against: anyOf).isEmpty)
            #expect(!contract.validator.validate(0, against: anyOf).isEmpty)
            #expect(!contract.validator.validate("b", against: anyOf).isEmpty)
            let oneOf: JSONValue = ["oneOf": [["type": "integer"], ["type": "number"]]]
            #expect(!contract.validator.validate(1, against: oneOf).isEmpty, "an integer is also a number: two matches")
            #expect(contract.validator.validate(.double(1.5), against: oneOf).isEmpty)
        }

        @Test func theValidatorRefusesKeywordsItDoesNotImplement() {
            let violations = contract.validator.validate("x", against: ["type": "string", "uniqueItems": true])
            #expect(violations.map(\.message) == ["the schema uses 'uniqueItems', which this validator does not implement"])
        }

        @Test func everySchemaInTheDocumentUsesOnlyImplementedKeywords() throws {
            // Validating `null` against each schema walks its top level; unknown keywords anywhere are found by walking.
            func walk(_ schema: JSONValue, _ path: String) {
                guard let object = schema.objectValue else { return }
                for key in object.keys {
                    let known = ["type", "properties", "required", "additionalProperties", "items", "enum", "const", "allOf", "anyOf", "oneOf",
                        "$ref", "minimum", "maximum", "minLength", "maxLength", "pattern", "description", "format", "default", "title", "examples"]
                    #expect(known.contains(key), "\(path) uses \(key)")
                }
                for (name, property) in object["properties"]?.objectValue ?? JSONObject() { walk(property, "\(path).\(name)") }
                for key in ["items", "additionalProperties"] { if let sub = object[key] { walk(sub, "\(path).\(key)") } }
                for key in ["allOf", "anyOf", "oneOf"] { for sub in object[key]?.arrayValue ?? [] { walk(sub, "\(path).\(key)") } }
            }
            for (name, schema) in try #require(contract.document["components"]?["schemas"]?.objectValue) { walk(schema, name) }
        }

        @Test func aResponseThatBreaksTheDocumentIsReportedWithOperationStatusAndPath() {
            let json: HTTPFields = [.contentType: "application/json; charset=utf-8", HTTPField.Name("X-Request-ID")!: "r"]
            let wrongBody = HTTPResult(status: .ok, headers: json, body: #"{"payments":[{"id":"1"}]}"#)
            let problems = contract.problems(.get, "/api/payments?limit=5", wrongBody)
            #expect(problems.contains("$.payments[0].id: expected integer, found string"))
            #expect(problems.contains("$.payments[0]: required property 'order_code' is missing"))

            let teapot = HTTPResult(status: .init(code: 418), headers: json, body: "{}")
            #expect(contract.problems(.get, "/api/bookings/12", teapot).first?.hasPrefix("status 418 is not documented") == true)

            let html = HTTPResult(status: .ok, headers: [.contentType: "text/html", HTTPField.Name("X-Request-ID")!: "r"], body: "<p>")
            #expect(contract.problems(.get, "/api/bookings/12", html) == ["Content-Type text/html is not documented (documented: application/json)"])

            let noRequestID = HTTPResult(status: .notFound, headers: [.contentType: "application/json"], body: #"{"error":"x","code":"NOT_FOUND","success":false}"#)
            #expect(contract.problems(.get, "/api/bookings/12", noRequestID) == ["required header X-Request-ID is missing"])

            #expect(contract.operation(.get, "/api/bookings/12")?.operationID == "getBooking")
            #expect(contract.operation(.get, "/payment/cancel?orderCode=1")?.operationID == "payOSCancelRedirect")
            #expect(contract.operation(.post, "/payment/cancel/5")?.operationID == "cancelPayment")
            #expect(contract.operation(.get, "/api/bookings/12/extra") == nil)
        }

        // MARK: The document is whole and served

        @Test(arguments: [TestBackend.sqlite])
        func everyRouteTheAppRegistersIsDocumentedAndNothingElse(backend: TestBackend) async throws {
            try await TestGatehouse.run(backend, sandbox: .init(channels: [])) { gatehouse in
                // The router `gatehouse serve` runs, built from the same components: its own list of routes.
                let routes = Set(buildRouter(components: gatehouse.components).routes.map { "\($0.method.rawValue) \($0.path)" })
                let documented = Set(contract.operations.map { "\($0.method) \($0.template)" })
                #expect(routes.count > 40)
                #expect(routes.subtracting(documented).sorted() == [], "routes the document does not describe")
                #expect(documented.subtracting(routes).sorted() == [], "operations no route serves")
            }
        }

        @Test(arguments: TestDatabases.backends)
        func theDocumentIsServedAsBundledToAnyoneAndCacheable(backend: TestBackend) async throws {
            try await TestGatehouse.run(backend, sandbox: .init(channels: [])) { gatehouse in
                let served = try await gatehouse.send(.get, "/openapi.json")
                #expect(served.status == .ok)
                #expect(served.headers[.contentType] == "application/json; charset=utf-8")
                #expect(served.headers[.cacheControl] == "public, max-age=3600")
                #expect(Array(served.body.utf8) == (try OpenAPIDocument().bytes))
                #expect(served.json?["openapi"] == "3.1.0")
                let schemes = served.json?["components"]?["securitySchemes"]
                #expect(schemes?["OwnerKey"]?["scheme"] == "bearer")
                #expect(schemes?["AdminToken"]?["scheme"] == "bearer")
                #expect(schemes?["RenterToken"]?["in"] == "query")
                #expect(schemes?["RenterToken"]?["name"] == "t")
            }
        }
    }
}

extension JSONObject {
    fileprivate mutating func set(_ key: String, _ value: JSONValue) {
        self = JSONObject(entries.filter { $0.key != key } + [(key, value)])
    }

    fileprivate mutating func remove(_ key: String) {
        self = JSONObject(entries.filter { $0.key != key })
    }

    private var entries: [(key: String, value: JSONValue)] { Array(self) }
}
