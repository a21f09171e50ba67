// Copyright (c) the Gatehouse authors
import Foundation
import NIOHTTP1
import PayOS
import Testing

@testable import PayOSSandbox
import GatehouseCore

/// payOS's payment-link endpoints: `POST/GET /v2/payment-requests…`, cancel, invoices, authentication.
@Suite struct PaymentRequestsTests {
    static let createKeys: Set<String> = [
        "bin", "accountNumber", "accountName", "amount", "description", "orderCode", "currency", "paymentLinkId", "status",
        "expiredAt", "checkoutUrl", "qrCode",
    ]
    static let infoKeys: Set<String> = [
        "id", "orderCode", "amount", "amountPaid", "amountRemaining", "status", "createdAt", "transactions", "canceledAt",
        "cancellationReason",
    ]
    static let transactionKeys: Set<String> = [
        "reference", "amount", "accountNumber", "description", "transactionDateTime", "virtualAccountName",
        "virtualAccountNumber", "counterAccountBankId", "counterAccountBankName", "counterAccountName", "counterAccountNumber",
    ]

    /// Checks the envelope of a success: code "00", desc "success", and a body signature over `data`.
    static func signedData(
        _ response: TestResponse,
        key: String = docsChecksumKey,
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws -> JSONObject {
        #expect(response.status == 200, sourceLocation: sourceLocation)
        #expect(response.headers["Content-Type"].first?.hasPrefix("application/json") == true, sourceLocation: sourceLocation)
        let envelope = try #require(try response.json().objectValue, sourceLocation: sourceLocation)
        #expect(envelope.keys == ["code", "desc", "data", "signature"], sourceLocation: sourceLocation)
        #expect(envelope["code"] == "00" && envelope["desc"] == "success", sourceLocation: sourceLocation)
        let data = try #require(envelope["data"]?.objectValue, sourceLocation: sourceLocation)
        let signature = try #require(envelope["signature"]?.stringValue, sourceLocation: sourceLocation)
        #expect(PayOSSignature.verifyBody(data, signature: signature, checksumKey: key), "signature does not verify", sourceLocation: sourceLocation)
        return data
    }

    /// Checks a business error: HTTP 200 (unless said), string code, desc, data null, no signature.
    static func expectBusinessError(
        _ response: TestResponse,
        code: String,
        desc: String? = nil,
        status: Int = 200,
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        #expect(response.status == status, sourceLocation: sourceLocation)
        let envelope = try #require(try response.json().objectValue, sourceLocation: sourceLocation)
        #expect(envelope.keys == ["code", "desc", "data"], sourceLocation: sourceLocation)
        #expect(envelope["code"] == .string(code), "body: \(response.text)", sourceLocation: sourceLocation)
        if let desc { #expect(envelope["desc"] == .string(desc), sourceLocation: sourceLocation) }
        #expect(envelope["data"] == .null, sourceLocation: sourceLocation)
    }

    // MARK: Authentication

    @Test(arguments: [
        [(String, String)](),
        [("x-client-id", "client-a")],
        [("x-client-id", "client-a"), ("x-api-key", "wrong")],
        [("x-client-id", "nobody"), ("x-api-key", "api-key-a")],
        [("x-client-id", "client-a"), ("x-api-key", "api-key-b")],
    ])
    func missingOrWrongCredentialsGet401(headers: [(String, String)]) async throws {
        try await TestSandbox.with { sandbox in
            for path in ["/v2/payment-requests/1", "/v2/payment-requests/1/invoices"] {
                let response = try await sandbox.request(.GET, path, headers: headers)
                #expect(response.status == 401)
                #expect(response.text == #"{"code":"401","desc":"Unauthorized","data":null}"#)
            }
            let create = try await sandbox.request(
                .POST,
                "/v2/payment-requests",
                body: sandbox.createBody(orderCode: 1).compactBytes,
                headers: headers
            )
            #expect(create.status == 401)
            let confirm = try await sandbox.request(
                .POST,
                "/confirm-webhook",
                body: Array(#"{"webhookUrl":"http://127.0.0.1:1/"}"#.utf8),
                headers: headers
            )
            #expect(confirm.status == 401)
        }
    }

    // MARK: Create

    @Test func createAnswersTheTwelveSignedKeys() async throws {
        try await TestSandbox.with { sandbox in
            let response = try await sandbox.payOS(
                .POST,
                "/v2/payment-requests",
                json: sandbox.createBody(orderCode: 123_456_789, expiredAt: 1_900_000_000)
            )
            let data = try Self.signedData(response)
            #expect(
                data.keys == [
                    "bin", "accountNumber", "accountName", "amount", "description", "orderCode", "currency",
                    "paymentLinkId", "status", "expiredAt", "checkoutUrl", "qrCode",
                ]
            )
            #expect(data["bin"] == "970422")
            #expect(data["accountNumber"] == .string(channelA.accountNumber))
            #expect(channelA.accountNumber.hasPrefix("VQRQ") && channelA.accountNumber.count == 13)
            #expect(data["accountName"] == "GATEHOUSE SANDBOX MERCHANT")
            #expect(data["amount"] == 50_000 && data["orderCode"] == 123_456_789 && data["currency"] == "VND")
            #expect(data["description"] == "Thanh toan don 123")
            #expect(data["status"] == "PENDING")
            #expect(data["expiredAt"] == 1_900_000_000)
            let id = try #require(data["paymentLinkId"]?.stringValue)
            #expect(id.count == 32 && id.allSatisfy { "0123456789abcdef".contains($0) })
            #expect(data["checkoutUrl"] == .string("\(sandbox.baseURL)/web/\(id)"))
            let qr = try #require(data["qrCode"]?.stringValue)
            #expect(qr.hasPrefix("00020101021238570010A000000727012700069704220113\(channelA.accountNumber)0208QRIBFTTA5303704540550000"))
            #expect(qr.contains("5802VN6233"))
            #expect(String(qr.suffix(4)) == SandboxVietQR.crcHex(String(qr.dropLast(4))))
            // Transfer content: 10-character code, a space, the description.
            let content = try #require(qr.range(of: "0829").map { qr[$0.upperBound...].prefix(29) })
            #expect(content.hasSuffix(" Thanh toan don 123"))
            #expect(content.prefix(10).allSatisfy { $0.isUppercase || $0.isNumber })
        }
    }

    @Test func createWithoutExpiryAnswersNullExpiredAt() async throws {
        try await TestSandbox.with { sandbox in
            let data = try await sandbox.createLink(orderCode: 7)
            #expect(data["expiredAt"] == .null)
        }
    }

    @Test func absentAndNullOptionalFieldsAreTheSame() async throws {
        try await TestSandbox.with { sandbox in
            // Node/Go style: only the required keys.
            var minimal = try #require(sandbox.createBody(orderCode: 1).objectValue)
            for key in minimal.keys where minimal[key] == .null { minimal[key] = nil }
            #expect(minimal.count == 6)
            _ = try Self.signedData(try await sandbox.payOS(.POST, "/v2/payment-requests", json: .object(minimal)))
            // Python 1.x style with filled optionals, including items with null unit/taxPercentage.
            var full = try #require(sandbox.createBody(orderCode: 2, expiredAt: 2_000_000_000).objectValue)
            full["items"] = [["name": "Phong 101", "quantity": 1, "price": 50_000, "unit": nil, "taxPercentage": nil]]
            full["buyerName"] = "Nguyen Van A"
            full["invoice"] = ["buyerNotGetInvoice": false, "taxPercentage": 10]
            _ = try Self.signedData(try await sandbox.payOS(.POST, "/v2/payment-requests", json: .object(full)))
        }
    }

    @Test func unicodeEscapedVietnameseDescriptionVerifiesAndFoldsIntoTheQR() async throws {
        try await TestSandbox.with { sandbox in
            // Python's json.dumps escapes non-ASCII; the signature is over the decoded text.
            let signature = PayOSSignature.createRequest(
                amount: 2000,
                cancelUrl: "http://localhost:3000/cancel?ref=a&b=1",
                description: "Thanh toán đơn hàng",
                orderCode: 1_750_233_600_123,
                returnUrl: "http://localhost:3000/success?ref=a&b=1",
                checksumKey: docsChecksumKey
            )
            let body =
                #"{"orderCode": 1750233600123, "amount": 2000, "description": "Thanh to\u00e1n \u0111\u01a1n h\u00e0ng", "cancelUrl": "http://localhost:3000/cancel?ref=a&b=1", "returnUrl": "http://localhost:3000/success?ref=a&b=1", "signature": ""#
                + signature + #""}"#
            let data = try Self.signedData(try await sandbox.payOS(.POST, "/v2/payment-requests", rawBody: Array(body.utf8)))
            #expect(data["description"] == "Thanh toán đơn hàng")
            #expect(data["qrCode"]?.stringValue?.contains(" Thanh toan don hang6304") == true)
        }
    }

    static let invalidBodies: [(String, @Sendable (inout JSONObject) -> Void)] = [
        ("orderCode missing", { $0["orderCode"] = nil }),
        ("orderCode null", { $0["orderCode"] = .null }),
        ("orderCode as string", { $0["orderCode"] = "77" }),
        ("orderCode zero", { $0["orderCode"] = 0 }),
        ("orderCode negative", { $0["orderCode"] = -5 }),
        ("orderCode beyond 2^53-1", { $0["orderCode"] = .int(9_007_199_254_740_992) }),
        ("orderCode fractional", { $0["orderCode"] = .double(77.5) }),
        ("amount missing", { $0["amount"] = nil }),
        ("amount zero", { $0["amount"] = 0 }),
        ("amount negative", { $0["amount"] = -1 }),
        ("amount as string", { $0["amount"] = "50000" }),
        ("description missing", { $0["description"] = nil }),
        ("description empty", { $0["description"] = "" }),
        ("description not a string", { $0["description"] = 5 }),
        ("cancelUrl missing", { $0["cancelUrl"] = nil }),
        ("returnUrl not a string", { $0["returnUrl"] = true }),
        ("signature missing", { $0["signature"] = nil }),
        ("expiredAt as string", { $0["expiredAt"] = "1750233600" }),
        ("expiredAt beyond Int32", { $0["expiredAt"] = .int(4_000_000_000) }),
        ("items not an array", { $0["items"] = ["name": "x"] }),
        ("item without price", { $0["items"] = [["name": "x", "quantity": 1]] }),
        ("item tax 7 %", { $0["items"] = [["name": "x", "quantity": 1, "price": 1, "taxPercentage": 7]] }),
        ("buyerEmail not a string", { $0["buyerEmail"] = 1 }),
        ("invoice not an object", { $0["invoice"] = "yes" }),
    ]

    @Test(arguments: invalidBodies.indices)
    func invalidInputIsCode20(index: Int) async throws {
        let (name, mutate) = Self.invalidBodies[index]
        try await TestSandbox.with { sandbox in
            var body = try #require(sandbox.createBody(orderCode: 77).objectValue)
            mutate(&body)
            let response = try await sandbox.payOS(.POST, "/v2/payment-requests", json: .object(body))
            try Self.expectBusinessError(response, code: "20", desc: "Thông tin truyền lên không đúng.")
            #expect(await sandbox.sandbox.deliveries().isEmpty, "\(name)")
            // Nothing was created: the order code is still free.
            _ = try await sandbox.createLink(orderCode: 77)
        }
    }

    @Test(arguments: ["", "{", "[]", "null", "\"text\""])
    func bodyThatIsNotAnObjectIsCode20(body: String) async throws {
        try await TestSandbox.with { sandbox in
            let response = try await sandbox.payOS(.POST, "/v2/payment-requests", rawBody: Array(body.utf8))
            try Self.expectBusinessError(response, code: "20", desc: "Thông tin truyền lên không đúng.")
        }
    }

    @Test func descriptionOf26CharactersIsRefusedAnd25Accepted() async throws {
        try await TestSandbox.with { sandbox in
            let long = try await sandbox.payOS(
                .POST,
                "/v2/payment-requests",
                json: sandbox.createBody(orderCode: 1, description: String(repeating: "x", count: 26))
            )
            try Self.expectBusinessError(long, code: "20", desc: "description: Mô tả tối đa 25 kí tự")
            // Counted in characters (UTF-16 units), not bytes.
            let vietnamese = String(repeating: "ầ", count: 25)
            let data = try await sandbox.createLink(orderCode: 1, description: vietnamese)
            #expect(data["description"] == .string(vietnamese))
        }
    }

    @Test func wrongSignatureIsCode201() async throws {
        try await TestSandbox.with { sandbox in
            var body = try #require(sandbox.createBody(orderCode: 5).objectValue)
            // Signed with another channel's key.
            body["signature"] = .string(
                PayOSSignature.createRequest(
                    amount: 50_000,
                    cancelUrl: "https://shop.example.vn/payment/cancel",
                    description: "Thanh toan don 123",
                    orderCode: 5,
                    returnUrl: "https://shop.example.vn/payment/return",
                    checksumKey: channelB.checksumKey
                )
            )
            try Self.expectBusinessError(
                try await sandbox.payOS(.POST, "/v2/payment-requests", json: .object(body)),
                code: "201",
                desc: "Mã kiểm tra(signature) không hợp lệ"
            )
            // Upper-case hex of the right signature is refused too, as every SDK refuses it.
            body["signature"] = .string(try #require(sandbox.createBody(orderCode: 5).objectValue?["signature"]?.stringValue).uppercased())
            try Self.expectBusinessError(try await sandbox.payOS(.POST, "/v2/payment-requests", json: .object(body)), code: "201")
            // A field changed after signing.
            var tampered = try #require(sandbox.createBody(orderCode: 5).objectValue)
            tampered["amount"] = 5
            try Self.expectBusinessError(try await sandbox.payOS(.POST, "/v2/payment-requests", json: .object(tampered)), code: "201")
        }
    }

    @Test func orderCodeIsUniquePerChannel() async throws {
        try await TestSandbox.with { sandbox in
            _ = try await sandbox.createLink(orderCode: 42)
            let duplicate = try await sandbox.payOS(.POST, "/v2/payment-requests", json: sandbox.createBody(orderCode: 42, amount: 1000))
            try Self.expectBusinessError(duplicate, code: "231", desc: "Đơn thanh toán đã tồn tại")
            // Another channel may use the same order code.
            let other = try await sandbox.createLink(orderCode: 42, channel: channelB)
            #expect(other["bin"] == "970436" && other["accountNumber"] == "0071000999999" && other["accountName"] == "CUA HANG B")
            // Still taken after cancellation.
            _ = try await sandbox.payOS(.POST, "/v2/payment-requests/42/cancel")
            try Self.expectBusinessError(try await sandbox.payOS(.POST, "/v2/payment-requests", json: sandbox.createBody(orderCode: 42)), code: "231")
        }
    }

    // MARK: Get

    @Test func getByOrderCodeOrPaymentLinkIdAnswersTheTenSignedKeys() async throws {
        try await TestSandbox.with { sandbox in
            let created = try await sandbox.createLink(orderCode: 123)
            let id = try #require(created["paymentLinkId"]?.stringValue)
            for path in ["/v2/payment-requests/123", "/v2/payment-requests/\(id)"] {
                let data = try Self.signedData(try await sandbox.payOS(.GET, path))
                #expect(
                    data.keys == [
                        "id", "orderCode", "amount", "amountPaid", "amountRemaining", "status", "createdAt", "transactions", "canceledAt",
                        "cancellationReason",
                    ]
                )
                #expect(data["id"] == .string(id) && data["orderCode"] == 123 && data["amount"] == 50_000)
                #expect(data["amountPaid"] == 0 && data["amountRemaining"] == 50_000)
                #expect(data["status"] == "PENDING" && data["transactions"] == [])
                #expect(data["canceledAt"] == .null && data["cancellationReason"] == .null)
                let createdAt = try #require(data["createdAt"]?.stringValue)
                #expect(createdAt.wholeMatch(of: /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+07:00/) != nil)
            }
        }
    }

    @Test func unknownOrOtherChannelsLinkIsCode101() async throws {
        try await TestSandbox.with { sandbox in
            let created = try await sandbox.createLink(orderCode: 9, channel: channelB)
            let id = try #require(created["paymentLinkId"]?.stringValue)
            for path in ["/v2/payment-requests/9", "/v2/payment-requests/\(id)", "/v2/payment-requests/nothing", "/v2/payment-requests/9/invoices"] {
                try Self.expectBusinessError(try await sandbox.payOS(.GET, path), code: "101", desc: "Đơn thanh toán không tồn tại")
            }
            try Self.expectBusinessError(try await sandbox.payOS(.POST, "/v2/payment-requests/\(id)/cancel"), code: "101")
        }
    }

    @Test func pendingLinkBecomesExpiredOnceExpiredAtPasses() async throws {
        let clock = TestClock()
        try await TestSandbox.with(clock: clock) { sandbox in
            _ = try await sandbox.createLink(orderCode: 1, expiredAt: clock.now + 600)
            #expect(try Self.signedData(try await sandbox.payOS(.GET, "/v2/payment-requests/1"))["status"] == "PENDING")
            clock.advance(seconds: 601)
            #expect(try Self.signedData(try await sandbox.payOS(.GET, "/v2/payment-requests/1"))["status"] == "EXPIRED")
            // An expired link can neither be paid nor cancelled.
            let pay = try await sandbox.control(.POST, "/payment-requests/1/pay", headers: [("x-client-id", "client-a")])
            #expect(pay.status == 409)
            try Self.expectBusinessError(try await sandbox.payOS(.POST, "/v2/payment-requests/1/cancel"), code: "20")
        }
    }

    // MARK: Cancel

    @Test func cancelWithReasonAndIgnoredSignature() async throws {
        try await TestSandbox.with { sandbox in
            _ = try await sandbox.createLink(orderCode: 1)
            // Python 1.x sends the reason plus a body signature (vector X1); the server ignores the signature.
            let body: JSONValue = [
                "cancellationReason": "Khach huy", "signature": "f29d4a0ab8cf8182789f2cb02a5e485f020b30bc6b7e8d98bf49175c31f9ce60",
            ]
            let data = try Self.signedData(try await sandbox.payOS(.POST, "/v2/payment-requests/1/cancel", json: body))
            #expect(data.keySet == Self.infoKeys)
            #expect(data["status"] == "CANCELLED" && data["cancellationReason"] == "Khach huy")
            #expect(data["canceledAt"]?.stringValue?.wholeMatch(of: /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+07:00/) != nil)
            // GET agrees, and cancelling again answers the same link (the SDKs retry POSTs).
            #expect(try Self.signedData(try await sandbox.payOS(.GET, "/v2/payment-requests/1")) == data)
            #expect(
                try Self.signedData(try await sandbox.payOS(.POST, "/v2/payment-requests/1/cancel", json: ["cancellationReason": "other"])) == data
            )
        }
    }

    @Test(arguments: ["", "{}", #"{"cancellationReason":null}"#, #"{"signature":"x"}"#])
    func cancelWithoutReasonLeavesItNull(body: String) async throws {
        try await TestSandbox.with { sandbox in
            _ = try await sandbox.createLink(orderCode: 2)
            let data = try Self.signedData(try await sandbox.payOS(.POST, "/v2/payment-requests/2/cancel", rawBody: Array(body.utf8)))
            #expect(data["status"] == "CANCELLED" && data["cancellationReason"] == .null)
            #expect(data["canceledAt"] != .null)
        }
    }

    @Test(arguments: ["{", "[]", #"{"cancellationReason":5}"#])
    func cancelWithUnusableBodyIsCode20(body: String) async throws {
        try await TestSandbox.with { sandbox in
            _ = try await sandbox.createLink(orderCode: 3)
            try Self.expectBusinessError(try await sandbox.payOS(.POST, "/v2/payment-requests/3/cancel", rawBody: Array(body.utf8)), code: "20")
            #expect(try Self.signedData(try await sandbox.payOS(.GET, "/v2/payment-requests/3"))["status"] == "PENDING")
        }
    }

    @Test func paidLinkCannotBeCancelled() async throws {
        try await TestSandbox.with { sandbox in
            _ = try await sandbox.createLink(orderCode: 4)
            try await sandbox.sandbox.pay("4", clientId: "client-a")
            try Self.expectBusinessError(try await sandbox.payOS(.POST, "/v2/payment-requests/4/cancel"), code: "20")
            #expect(try Self.signedData(try await sandbox.payOS(.GET, "/v2/payment-requests/4"))["status"] == "PAID")
        }
    }

    // MARK: Invoices

    @Test func invoicesAreASignedEmptyList() async throws {
        try await TestSandbox.with { sandbox in
            let created = try await sandbox.createLink(orderCode: 8)
            for id in ["8", try #require(created["paymentLinkId"]?.stringValue)] {
                let data = try Self.signedData(try await sandbox.payOS(.GET, "/v2/payment-requests/\(id)/invoices"))
                #expect(data == ["invoices": []])
            }
        }
    }
}
