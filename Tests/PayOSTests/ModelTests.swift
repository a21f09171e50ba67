// Copyright (c) the Gatehouse authors
import Testing

@testable import PayOS

@Suite struct ModelTests {
    // MARK: Exact key sets

    @Test func createResponseWritesExactlyTwelveKeysAndRoundTrips() throws {
        let json = ProtocolSamples.createResponseR1.toJSON()
        #expect(Set(json.keys) == CreatePaymentLinkResponse.keys)
        #expect(json.count == 12)
        #expect(try CreatePaymentLinkResponse(json: json) == ProtocolSamples.createResponseR1)
        var noExpiry = ProtocolSamples.createResponseR1
        noExpiry.expiredAt = nil
        #expect(noExpiry.toJSON()["expiredAt"] == .null)
        #expect(try CreatePaymentLinkResponse(json: noExpiry.toJSON()) == noExpiry)
    }

    @Test func paymentLinkWritesExactlyTenKeysWithElevenKeyTransactions() throws {
        let json = ProtocolSamples.paidLinkG1.toJSON()
        #expect(Set(json.keys) == PaymentLink.keys && json.count == 10)
        let transaction = try #require(json["transactions"]?.arrayValue?.first?.objectValue)
        #expect(Set(transaction.keys) == PaymentLinkTransaction.keys && transaction.count == 11)
        #expect(try PaymentLink(json: json) == ProtocolSamples.paidLinkG1)
        #expect(json["canceledAt"] == .null && json["cancellationReason"] == .null)
    }

    @Test func webhookDataWritesExactlySixteenKeysAndRoundTrips() throws {
        let json = ProtocolSamples.webhookW1.toJSON()
        #expect(Set(json.keys) == PayOSWebhookData.keys && json.count == 16)
        #expect(try PayOSWebhookData(json: json) == ProtocolSamples.webhookW1)
        let body = PayOSWebhookBody.signed(ProtocolSamples.webhookW1, checksumKey: Fixtures.projectKey)
        #expect(Set(body.toJSON().keys) == PayOSWebhookBody.keys)
        #expect(try PayOSWebhookBody(json: body.toJSON()) == body)
    }

    @Test func confirmWebhookResponseHasExactlyFiveKeys() throws {
        let response = ConfirmWebhookResponse(
            webhookUrl: "https://merchant.example.vn/payos/webhook",
            accountName: "CONG TY ABC",
            accountNumber: "0071000123456",
            name: "Ngân hàng TMCP Ngoại Thương Việt Nam",
            shortName: "Vietcombank"
        )
        #expect(Set(response.toJSON().keys) == ConfirmWebhookResponse.keys && response.toJSON().count == 5)
        #expect(try ConfirmWebhookResponse(json: response.toJSON()) == response)
        var extra = response.toJSON()
        extra["bin"] = "970436"
        #expect(try ConfirmWebhookResponse(json: extra) == response)
    }

    // MARK: Tolerance where payOS may grow, strictness where types matter

    /// payOS adds fields to live payloads (it added `currency`): unknown keys are ignored, at any depth, while the
    /// known keys keep their types.
    @Test func responseModelsIgnoreUnknownKeysButKeepKnownTypes() throws {
        var json = ProtocolSamples.createResponseR1.toJSON()
        json["extra"] = "x"
        json["nested"] = ["a": 1]
        #expect(try CreatePaymentLinkResponse(json: json) == ProtocolSamples.createResponseR1)
        json["amount"] = "5000"
        #expect(throws: PayOSSchemaError(.wrongType, path: "amount")) { try CreatePaymentLinkResponse(json: json) }

        var link = ProtocolSamples.paidLinkG1.toJSON()
        var transaction = link["transactions"]!.arrayValue![0].objectValue!
        transaction["fee"] = 0
        link["transactions"] = [.object(transaction)]
        #expect(try PaymentLink(json: link) == ProtocolSamples.paidLinkG1)
    }

    @Test func unknownStatusIsRefused() {
        var json = ProtocolSamples.pendingLink.toJSON()
        json["status"] = "REFUNDED"
        #expect(throws: PayOSSchemaError(.invalidValue, path: "status")) { try PaymentLink(json: json) }
        #expect(PaymentLinkStatus.allCases.map(\.rawValue) == ["PENDING", "PROCESSING", "PAID", "UNDERPAID", "CANCELLED", "EXPIRED", "FAILED"])
    }

    @Test func wrongTypesAndMissingKeysNameTheirPath() {
        var json = ProtocolSamples.pendingLink.toJSON()
        json["orderCode"] = "123456789"
        #expect(throws: PayOSSchemaError(.wrongType, path: "orderCode")) { try PaymentLink(json: json) }
        json["orderCode"] = .double(123456789.0)
        #expect(throws: PayOSSchemaError(.wrongType, path: "orderCode")) { try PaymentLink(json: json) }
        json["orderCode"] = nil
        #expect(throws: PayOSSchemaError(.missingKey, path: "orderCode")) { try PaymentLink(json: json) }
        json["orderCode"] = .null
        #expect(throws: PayOSSchemaError(.missingKey, path: "orderCode")) { try PaymentLink(json: json) }
    }

    @Test func officialBodyCasesDecodeAsTheirModels() throws {
        let bodies = OfficialSDKCase.all.filter { $0.type == "body" }
        var links = 0
        for testCase in bodies where testCase.payload["transactions"] != nil {
            let link = try PaymentLink(json: testCase.payload)
            // Re-encoding gives the same signature: no key or value lost or added.
            #expect(PayOSSignature.body(link.toJSON(), checksumKey: Fixtures.officialKey) == testCase.expected)
            links += 1
        }
        #expect(links == 5)
        let webhook = try #require(bodies.first { $0.name == "webhook" })
        let data = try PayOSWebhookData(json: webhook.payload)
        #expect(data.signature(checksumKey: Fixtures.officialKey) == webhook.expected)
    }

    // MARK: Create request

    @Test func createRequestTreatsNullAndAbsentAlike() throws {
        // What Python 1.x sends (every optional key, null when unset) — spec 8.5 capture.
        let python = try JSONValue(
            parsing: #"""
                {"orderCode": 123456789, "amount": 50000, "description": "Thanh toan don 123",
                 "cancelUrl": "https://shop.example.vn/payment/cancel", "returnUrl": "https://shop.example.vn/payment/return",
                 "signature": "dc4214177f8842c408fefa39185c0ec6c4501a70f4dd302f653d9d0cb19f256f",
                 "items": [{"name": "Ao thun", "quantity": 2, "price": 25000, "unit": null, "taxPercentage": null}],
                 "buyerName": "Nguyen Van A", "buyerCompanyName": null, "buyerTaxCode": null, "buyerEmail": "a@example.vn",
                 "buyerPhone": "0912345678", "buyerAddress": null, "invoice": null, "expiredAt": 1750233600}
                """#
        )
        let request = try CreatePaymentLinkRequest(json: python)
        #expect(request.items == [PaymentLinkItem(name: "Ao thun", quantity: 2, price: 25000)])
        #expect(request.invoice == nil && request.buyerAddress == nil && request.expiredAt == 1_750_233_600)
        #expect(request.hasValidSignature(checksumKey: Fixtures.projectKey))
        #expect(!request.hasValidSignature(checksumKey: Fixtures.officialKey))
        try request.validate()

        // Node style: unset keys omitted; the written body omits them too.
        let node = CreatePaymentLinkRequest(
            orderCode: request.orderCode,
            amount: request.amount,
            description: request.description,
            cancelUrl: request.cancelUrl,
            returnUrl: request.returnUrl,
            items: request.items,
            buyerName: "Nguyen Van A",
            buyerEmail: "a@example.vn",
            buyerPhone: "0912345678",
            expiredAt: 1_750_233_600,
            signature: request.signature
        )
        #expect(node == request)
        #expect(!node.toJSON().contains("invoice") && !node.toJSON().contains("buyerAddress"))
        #expect(try CreatePaymentLinkRequest(json: node.toJSON()) == node)
    }

    @Test func createRequestValidationEnforcesPayOSRules() throws {
        func issue(_ change: (inout CreatePaymentLinkRequest) -> Void) -> PayOSSchemaError? {
            var request = ProtocolSamples.createRequestC1
            change(&request)
            do {
                try request.validate()
                return nil
            } catch {
                return error
            }
        }
        #expect(issue { _ in } == nil)
        #expect(issue { $0.orderCode = 0 } == PayOSSchemaError(.outOfRange, path: "orderCode"))
        #expect(issue { $0.orderCode = -5 } == PayOSSchemaError(.outOfRange, path: "orderCode"))
        #expect(issue { $0.orderCode = 9_007_199_254_740_991 } == nil)
        #expect(issue { $0.orderCode = 9_007_199_254_740_992 } == PayOSSchemaError(.outOfRange, path: "orderCode"))
        #expect(issue { $0.amount = 0 } == PayOSSchemaError(.outOfRange, path: "amount"))
        #expect(issue { $0.description = String(repeating: "x", count: 25) } == nil)
        #expect(issue { $0.description = String(repeating: "x", count: 26) } == PayOSSchemaError(.outOfRange, path: "description"))
        // Precomposed Vietnamese letters are one UTF-16 unit each, as JavaScript counts them.
        #expect(issue { $0.description = "Thanh toán đơn hàng số 12" } == nil)
        #expect(issue { $0.description = "" } == PayOSSchemaError(.outOfRange, path: "description"))
        #expect(issue { $0.items = [PaymentLinkItem(name: "A", quantity: 0, price: 1)] } == PayOSSchemaError(.outOfRange, path: "items[0].quantity"))
        #expect(
            issue { $0.items = [PaymentLinkItem(name: "A", quantity: 1, price: 1, taxPercentage: 8)] }
                == PayOSSchemaError(.invalidValue, path: "items[0].taxPercentage")
        )
        #expect(issue { $0.invoice = PaymentLinkInvoiceRequest(taxPercentage: 10) } == nil)
    }

    @Test func createRequestDecodingReportsNestedPaths() throws {
        let json = try JSONValue(
            parsing:
                #"{"orderCode": 1, "amount": 2, "description": "d", "cancelUrl": "c", "returnUrl": "r", "items": [{"name": "a", "quantity": 1, "price": 1}, {"name": "b", "quantity": "1", "price": 1}]}"#
        )
        #expect(throws: PayOSSchemaError(.wrongType, path: "items[1].quantity")) { try CreatePaymentLinkRequest(json: json) }
        let invoice = try JSONValue(
            parsing:
                #"{"orderCode": 1, "amount": 2, "description": "d", "cancelUrl": "c", "returnUrl": "r", "invoice": {"buyerNotGetInvoice": "yes"}}"#
        )
        #expect(throws: PayOSSchemaError(.wrongType, path: "invoice.buyerNotGetInvoice")) { try CreatePaymentLinkRequest(json: invoice) }
        #expect(throws: PayOSSchemaError(.notAnObject, path: "$")) { try CreatePaymentLinkRequest(json: JSONValue.array([])) }
    }

    @Test func cancelRequestAcceptsEveryBodyTheSDKsSend() throws {
        #expect(try CancelPaymentLinkRequest(body: []) == CancelPaymentLinkRequest())
        #expect(try CancelPaymentLinkRequest(body: Array(" \n".utf8)) == CancelPaymentLinkRequest())
        #expect(try CancelPaymentLinkRequest(body: Array("{}".utf8)) == CancelPaymentLinkRequest())
        let python = try CancelPaymentLinkRequest(
            body: Array(#"{"cancellationReason": "Khach huy", "signature": "f29d4a0ab8cf8182789f2cb02a5e485f020b30bc6b7e8d98bf49175c31f9ce60"}"#.utf8)
        )
        #expect(python.cancellationReason == "Khach huy")
        #expect(python.signature == PayOSSignature.body(["cancellationReason": "Khach huy"], checksumKey: Fixtures.projectKey))
        #expect(throws: PayOSSchemaError(.notAnObject, path: "$")) { try CancelPaymentLinkRequest(body: Array("reason".utf8)) }
        #expect(CancelPaymentLinkRequest().toJSON().count == 0)
    }

    @Test func envelopeDistinguishesAbsentAndNullData() throws {
        let absent = try PayOSEnvelope(json: try JSONValue(parsing: #"{"code": "101", "desc": "not found"}"#))
        #expect(absent.data == nil && !absent.isSuccess)
        let null = try PayOSEnvelope(json: try JSONValue(parsing: #"{"code": "00", "desc": "success", "data": null}"#))
        #expect(null.data == .null && null.isSuccess)
        #expect(throws: PayOSSchemaError(.wrongType, path: "code")) { try PayOSEnvelope(json: try JSONValue(parsing: #"{"code": 0}"#)) }
        let signed = PayOSEnvelope.signedSuccess(ProtocolSamples.pendingLink.toJSON(), checksumKey: Fixtures.projectKey)
        #expect(Set(signed.toJSON().keys) == ["code", "desc", "data", "signature"])
    }

    // MARK: JSONObject

    @Test func jsonObjectKeepsFirstPositionAndLastValueForRepeatedKeys() throws {
        let value = try JSONValue(parsing: #"{"b": 1, "a": 2, "b": 3}"#)
        let object = try #require(value.objectValue)
        #expect(object.keys == ["b", "a"] && object["b"] == 3)
        var edited = object
        edited["b"] = nil
        #expect(edited.keys == ["a"] && edited["a"] == 2 && !edited.contains("b"))
        edited["c"] = 4
        #expect(edited.keys == ["a", "c"] && edited["c"] == 4)
    }

    @Test func jsonObjectWithManyKeysParsesAndLooksUp() throws {
        let keys = (0..<20_000).map { "k\($0)" }
        let text = "{" + keys.map { "\"\($0)\":1" }.joined(separator: ",") + "}"
        let object = try #require(try JSONValue(parsing: text).objectValue)
        #expect(object.count == 20_000 && object["k19999"] == 1 && object["k20000"] == nil)
    }
}
