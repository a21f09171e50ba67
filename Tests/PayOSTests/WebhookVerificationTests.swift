// Copyright (c) the Gatehouse authors
import Sodium
import Testing

@testable import PayOS

/// `PayOSWebhook.verify` behaves as payOS's SDKs' `verifyPaymentWebhookData` (the spec's runs 9.2 W1–W3): the
/// signature is over `data` as received, unknown keys included; plus key rotation.
@Suite struct WebhookVerificationTests {
    let key = Fixtures.projectKey
    let previousKey = "0f3c2b1a09e8d7c6b5a493827160f5e4d3c2b1a09e8d7c6b5a493827160f5e4d"

    /// W1 as a JSON object, to edit.
    func w1() throws -> JSONObject { try #require(try Fixtures.json("webhook_vector_1.json").objectValue) }

    func verify(_ object: JSONObject, keys: [String]? = nil) throws(PayOSWebhookError) -> PayOSWebhook.Verified {
        try PayOSWebhook.verify(body: JSONValue.object(object).compactBytes, checksumKeys: keys ?? [key])
    }

    func refusal(_ body: [UInt8], keys: [String]? = nil) -> PayOSWebhookError? {
        do {
            _ = try PayOSWebhook.verify(body: body, checksumKeys: keys ?? [key])
            return nil
        } catch {
            return error
        }
    }

    func refusal(_ object: JSONObject, keys: [String]? = nil) -> PayOSWebhookError? {
        refusal(JSONValue.object(object).compactBytes, keys: keys)
    }

    @Test func validBodyIsAcceptedWithItsData() throws {
        let verified = try PayOSWebhook.verify(body: try Fixtures.bytes("webhook_vector_1.json"), checksumKeys: [key])
        #expect(verified.data == ProtocolSamples.webhookW1)
        #expect(verified.matchedKeyIndex == 0)
        #expect(verified.body.success == true && verified.body.code == "00")
    }

    @Test func aBodyParsedOnceForItsOwnerVerifiesAsTheWholeBodyDoes() throws {
        let body = try Fixtures.bytes("webhook_vector_1.json")
        let parsed = try PayOSWebhook.parse(body: body)
        #expect(parsed.unverified.data == ProtocolSamples.webhookW1, "the orderCode to find the owner is there before any key")
        let keys: [any GuardedBytes] = [SecureBytes(utf8: previousKey), SecureBytes(utf8: key)]
        #expect(try PayOSWebhook.verify(parsed, keys: keys) == PayOSWebhook.verify(body: body, checksumKeys: [previousKey, key]))
        #expect(try PayOSWebhook.verify(parsed, keys: keys).matchedKeyIndex == 1)
        #expect(throws: PayOSWebhookError(.invalidSignature)) { try PayOSWebhook.verify(parsed, keys: [SecureBytes(utf8: previousKey)]) }
        // An empty signature parses (it has the documented type) and is refused as missing when verified.
        var unsigned = try w1()
        unsigned["signature"] = ""
        let parsedUnsigned = try PayOSWebhook.parse(body: JSONValue.object(unsigned).compactBytes)
        #expect(throws: PayOSWebhookError(.missingSignature)) { try PayOSWebhook.verify(parsedUnsigned, keys: keys) }
    }

    @Test func tamperedDataIsRefused() throws {
        var amount = try w1()
        amount["data"] = .object(
            {
                var d = amount["data"]!.objectValue!; d["amount"] = 500000; return d
            }()
        )
        #expect(refusal(amount)?.code == .invalidSignature)

        var description = try w1()
        description["data"] = .object(
            {
                var d = description["data"]!.objectValue!; d["description"] = "CSX3K9QZ7B Thanh toan don 123 "; return d
            }()
        )
        #expect(refusal(description)?.code == .invalidSignature)

        var upper = try w1()
        upper["signature"] = .string(upper["signature"]!.stringValue!.uppercased())
        #expect(refusal(upper)?.code == .invalidSignature)
    }

    @Test func unsignedTopLevelFieldsDoNotMatter() throws {
        var body = try w1()
        body["code"] = "99"
        body["success"] = false
        #expect(throws: Never.self) { try verify(body) }
        body["success"] = nil
        #expect(throws: Never.self) { try verify(body) }
    }

    /// A key payOS adds to `data` is signed with the rest (payOS's rule: all keys, sorted) and otherwise ignored;
    /// the W1 signature, which does not cover it, no longer verifies. Unknown top-level keys are unsigned and ignored.
    @Test func unknownKeysAreSignedWithTheRestAndOtherwiseIgnored() throws {
        var data = try #require(try w1()["data"]?.objectValue)
        data["fee"] = 0
        data["payerName"] = .null
        data["tags"] = ["a", ["z": 1, "b": true]]
        var inData = try w1()
        inData["data"] = .object(data)
        #expect(refusal(inData)?.code == .invalidSignature)
        inData["signature"] = .string(PayOSSignature.body(data, checksumKey: key))
        #expect(try verify(inData).data == ProtocolSamples.webhookW1)
        #expect(PayOSSignature.canonicalText(of: data).contains("&fee=0&") && PayOSSignature.canonicalText(of: data).contains("&payerName=&"))
        #expect(PayOSSignature.canonicalText(of: data).hasSuffix("&tags=[\"a\",{\"b\":true,\"z\":1}]&transactionDateTime=2025-06-18 14:32:05&virtualAccountName=&virtualAccountNumber="))

        var topLevel = try w1()
        topLevel["id"] = "evt_1"
        topLevel["currency"] = "VND"
        #expect(try verify(topLevel).data == ProtocolSamples.webhookW1)
    }

    /// The known keys keep their types even when the body is correctly signed.
    @Test func knownKeysOfTheWrongTypeAreSchemaErrorsEvenWhenSigned() throws {
        var body = try w1()
        var data = try #require(body["data"]?.objectValue)
        data["amount"] = "500000"
        body["data"] = .object(data)
        body["signature"] = .string(PayOSSignature.body(data, checksumKey: key))
        #expect(refusal(body) == PayOSWebhookError(.schema, schemaError: PayOSSchemaError(.wrongType, path: "data.amount")))
        var success = try w1()
        success["success"] = "true"
        #expect(refusal(success) == PayOSWebhookError(.schema, schemaError: PayOSSchemaError(.wrongType, path: "success")))
    }

    /// W3: with optional keys absent, both the Python 1.x model form (absent keys signed as empty, the W1
    /// signature) and the present-keys-only form (Node, Go) verify; a wrong signature still does not.
    @Test func missingOptionalKeysVerifyInEitherSDKForm() throws {
        var body = try w1()
        var data = try #require(body["data"]?.objectValue)
        data["virtualAccountName"] = nil
        data["virtualAccountNumber"] = nil
        body["data"] = .object(data)
        let verified = try verify(body)
        #expect(verified.data.virtualAccountName == nil)
        #expect(PayOSSignature.body(data, checksumKey: key) == "4ada54f2a5db57cdfa0ebe4138781870462088ac2f3412bfbc8a3142743d6280")
        body["signature"] = "4ada54f2a5db57cdfa0ebe4138781870462088ac2f3412bfbc8a3142743d6280"
        #expect(try verify(body).data.virtualAccountNumber == nil)
        body["signature"] = "5ada54f2a5db57cdfa0ebe4138781870462088ac2f3412bfbc8a3142743d6280"
        #expect(refusal(body)?.code == .invalidSignature)
    }

    @Test func missingRequiredDataKeyIsASchemaError() throws {
        var body = try w1()
        var data = try #require(body["data"]?.objectValue)
        data["reference"] = nil
        body["data"] = .object(data)
        #expect(refusal(body) == PayOSWebhookError(.schema, schemaError: PayOSSchemaError(.missingKey, path: "data.reference")))
        body["data"] = .null
        #expect(refusal(body) == PayOSWebhookError(.schema, schemaError: PayOSSchemaError(.missingKey, path: "data")))
    }

    /// As payOS's Python SDK: `"123456789"` is the order code 123456789 (and signs as the same text); a string that
    /// is not ASCII digits is a schema error.
    @Test func numericStringOrderCodeIsReadAndOtherStringsAreSchemaErrors() throws {
        var body = try w1()
        var data = try #require(body["data"]?.objectValue)
        data["orderCode"] = "123456789"
        body["data"] = .object(data)
        #expect(try verify(body).data.orderCode == 123_456_789)
        for bad: JSONValue in ["12a", "", " 123", "-5", "1e3", "١٢٣", "1234567890123456789012", .double(1.5), true] {
            data["orderCode"] = bad
            body["data"] = .object(data)
            #expect(refusal(body) == PayOSWebhookError(.schema, schemaError: PayOSSchemaError(.wrongType, path: "data.orderCode")), "\(bad)")
        }
    }

    @Test func missingOrEmptySignatureIsReportedAsSuch() throws {
        var body = try w1()
        body["signature"] = nil
        #expect(refusal(body)?.code == .missingSignature)
        body["signature"] = .null
        #expect(refusal(body)?.code == .missingSignature)
        body["signature"] = ""
        #expect(refusal(body)?.code == .missingSignature)
        body["signature"] = 42
        #expect(refusal(body) == PayOSWebhookError(.schema, schemaError: PayOSSchemaError(.wrongType, path: "signature")))
    }

    @Test func nonJSONBodiesAreInvalidJSON() {
        #expect(refusal(Array("".utf8))?.code == .invalidJSON)
        #expect(refusal(Array("code=00&desc=success".utf8))?.code == .invalidJSON)
        #expect(refusal([0x7B, 0x22, 0xFF, 0x22, 0x3A, 0x31, 0x7D])?.code == .invalidJSON)  // {"\xFF":1}
        #expect(refusal(Array("[1,2]".utf8))?.code == .schema)
    }

    // MARK: Key rotation

    @Test func previousKeyIsAcceptedDuringRotationAndReported() throws {
        let body = PayOSWebhookBody.signed(ProtocolSamples.webhookW1, checksumKey: previousKey).toJSON()
        #expect(try verify(body, keys: [key, previousKey]).matchedKeyIndex == 1)
        #expect(refusal(body, keys: [key])?.code == .invalidSignature)
        let current = PayOSWebhookBody.signed(ProtocolSamples.webhookW1, checksumKey: key).toJSON()
        #expect(try verify(current, keys: [key, previousKey]).matchedKeyIndex == 0)
    }

    @Test func emptyKeysNeverVerify() throws {
        let signedWithEmptyKey = PayOSWebhookBody.signed(ProtocolSamples.webhookW1, checksumKey: "").toJSON()
        #expect(refusal(signedWithEmptyKey, keys: [])?.code == .noChecksumKey)
        #expect(refusal(signedWithEmptyKey, keys: [""])?.code == .noChecksumKey)
        #expect(refusal(signedWithEmptyKey, keys: ["", key])?.code == .invalidSignature)
        // The reported index refers to the caller's list, skipped empty entries included.
        let signed = PayOSWebhookBody.signed(ProtocolSamples.webhookW1, checksumKey: previousKey).toJSON()
        #expect(try verify(signed, keys: ["", key, previousKey]).matchedKeyIndex == 2)
    }

    @Test func errorDescriptionsAreGeneric() {
        let error = PayOSWebhookError(.schema, schemaError: PayOSSchemaError(.unexpectedKey, path: "data.fee"))
        #expect(error.description == "payOS webhook refused (schema)")
        #expect(String(reflecting: error).contains("data.fee"))
    }
}
