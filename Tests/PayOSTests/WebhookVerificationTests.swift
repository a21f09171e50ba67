// Copyright (c) the Gatehouse authors
import Testing

@testable import PayOS

/// `PayOSWebhook.verify` behaves as the Python 1.x SDK's `webhooks.verify` did in the spec's runs (9.2 W1–W3),
/// plus key rotation.
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

    @Test func extraKeysAreRefusedEvenWhenResigned() throws {
        var data = try #require(try w1()["data"]?.objectValue)
        data["fee"] = 0
        var inData = try w1()
        inData["data"] = .object(data)
        inData["signature"] = .string(PayOSSignature.body(data, checksumKey: key))
        #expect(refusal(inData) == PayOSWebhookError(.schema, schemaError: PayOSSchemaError(.unexpectedKey, path: "data.fee")))

        var topLevel = try w1()
        topLevel["id"] = "evt_1"
        #expect(refusal(topLevel) == PayOSWebhookError(.schema, schemaError: PayOSSchemaError(.unexpectedKey, path: "id")))
    }

    /// W3: absent optional keys are signed as empty (Python 1.x), so the W1 signature still verifies, and the
    /// present-keys-only (Node-style) signature does not.
    @Test func missingOptionalKeysAreSignedAsEmptyLikePythonSDK() throws {
        var body = try w1()
        var data = try #require(body["data"]?.objectValue)
        data["virtualAccountName"] = nil
        data["virtualAccountNumber"] = nil
        body["data"] = .object(data)
        let verified = try verify(body)
        #expect(verified.data.virtualAccountName == nil)
        #expect(PayOSSignature.body(data, checksumKey: key) == "4ada54f2a5db57cdfa0ebe4138781870462088ac2f3412bfbc8a3142743d6280")
        body["signature"] = "4ada54f2a5db57cdfa0ebe4138781870462088ac2f3412bfbc8a3142743d6280"
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

    /// Stricter than Python's lax pydantic, which accepted `"123456789"`: the type is part of the protocol.
    @Test func stringOrderCodeIsASchemaError() throws {
        var body = try w1()
        var data = try #require(body["data"]?.objectValue)
        data["orderCode"] = "123456789"
        body["data"] = .object(data)
        #expect(refusal(body) == PayOSWebhookError(.schema, schemaError: PayOSSchemaError(.wrongType, path: "data.orderCode")))
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
