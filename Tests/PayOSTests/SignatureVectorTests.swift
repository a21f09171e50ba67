// Copyright (c) the Gatehouse authors
import Testing

@testable import PayOS

/// Every signature vector of `spec.md` section 9, read from the fixture files.
@Suite struct SignatureVectorTests {
    // MARK: Official SDK test cases (payOSHQ/payos-lib-python), key `test_checksum_key`

    @Test func officialFixtureHasAll24Cases() {
        let types = OfficialSDKCase.all.map(\.type)
        #expect(types.count == 24)
        #expect(types.filter { $0 == "create-payment-link" }.count == 2)
        #expect(types.filter { $0 == "body" }.count == 9)
        #expect(types.filter { $0 == "header" }.count == 13)
    }

    @Test(arguments: OfficialSDKCase.all)
    func officialCaseSignatureMatches(_ testCase: OfficialSDKCase) throws {
        let payload = testCase.payload
        let key = Fixtures.officialKey
        switch testCase.type {
        case "create-payment-link":
            let signature = PayOSSignature.createRequest(
                amount: try #require(payload["amount"]?.int64Value),
                cancelUrl: try #require(payload["cancelUrl"]?.stringValue),
                description: try #require(payload["description"]?.stringValue),
                orderCode: try #require(payload["orderCode"]?.int64Value),
                returnUrl: try #require(payload["returnUrl"]?.stringValue),
                checksumKey: key
            )
            #expect(signature == testCase.expected)
            // The typed request signs the same five fields, whatever else it carries.
            let request = try CreatePaymentLinkRequest(json: payload)
            #expect(request.expectedSignature(checksumKey: key) == testCase.expected)
        case "body":
            #expect(PayOSSignature.body(payload, checksumKey: key) == testCase.expected)
            #expect(PayOSSignature.verifyBody(payload, signature: testCase.expected, checksumKey: key))
        case "header":
            #expect(PayOSSignature.header(payload, checksumKey: key) == testCase.expected)
            // No official payload contains `/ ! ' ( ) *`, so both SDK encodings agree on all of them.
            #expect(PayOSSignature.header(payload, checksumKey: key, encoding: .pythonQuote) == testCase.expected)
            #expect(PayOSSignature.verifyHeader(payload, signature: testCase.expected, checksumKey: key))
        default:
            Issue.record("unknown case type \(testCase.type)")
        }
    }

    @Test func emptyObjectSignsTheEmptyString() {
        let expected = "d9dd60ea06e1ee2dc960267c7a798f0c70307a4783ac0460d015772412c37938"
        #expect(PayOSSignature.body(JSONObject(), checksumKey: Fixtures.officialKey) == expected)
        #expect(PayOSSignature.header(JSONObject(), checksumKey: Fixtures.officialKey) == expected)
    }

    // MARK: Project vectors (9.2), key = the docs' sample key

    @Test func projectFixtureHasAllVectors() {
        #expect(Set(ProjectVector.all.map { String($0.name.prefix(while: { $0 != " " })) }) == ["C1", "C2", "R1", "R1b", "G1", "G2", "X1", "P1"])
    }

    /// Each vector is rebuilt from typed models (not from its string), so the models' `toJSON()` and the
    /// canonicalisation are what is checked.
    @Test(arguments: ProjectVector.all)
    func projectVectorIsReproducedFromModels(_ vector: ProjectVector) throws {
        let key = Fixtures.projectKey
        let id = String(vector.name.prefix(while: { $0 != " " }))
        let text: String
        let signature: String
        switch id {
        case "C1", "C2":
            let request = id == "C1" ? ProtocolSamples.createRequestC1 : ProtocolSamples.createRequestC2
            text = PayOSSignature.createRequestText(
                amount: request.amount,
                cancelUrl: request.cancelUrl,
                description: request.description,
                orderCode: request.orderCode,
                returnUrl: request.returnUrl
            )
            signature = request.expectedSignature(checksumKey: key)
            #expect(request.signed(checksumKey: key).hasValidSignature(checksumKey: key))
        case "R1", "R1b":
            var response = ProtocolSamples.createResponseR1
            if id == "R1b" { response.expiredAt = nil }
            text = PayOSSignature.canonicalText(of: response.toJSON())
            signature = PayOSSignature.body(response.toJSON(), checksumKey: key)
        case "G1", "G2":
            let link = id == "G1" ? ProtocolSamples.paidLinkG1 : ProtocolSamples.cancelledLinkG2
            text = PayOSSignature.canonicalText(of: link.toJSON())
            signature = PayOSSignature.body(link.toJSON(), checksumKey: key)
        case "X1":
            let cancel = CancelPaymentLinkRequest(cancellationReason: "Khach huy")
            text = PayOSSignature.canonicalText(of: cancel.toJSON())
            signature = PayOSSignature.body(cancel.toJSON(), checksumKey: key)
        case "P1":
            let payout: JSONObject = [
                "referenceId": "payout_001", "amount": 20000, "description": "Hoan tien don 123", "toBin": "970422",
                "toAccountNumber": "0123456789", "category": ["refund"],
            ]
            text = PayOSSignature.headerText(of: payout)
            signature = PayOSSignature.header(payout, checksumKey: key)
        default:
            Issue.record("no model for vector \(vector.name)")
            return
        }
        #expect(Array(text.utf8) == Array(vector.text.utf8))
        #expect(signature == vector.signature)
    }

    @Test func webhookVectorsVerifyWithTheProjectKey() throws {
        let w1 = try PayOSWebhook.verify(body: try Fixtures.bytes("webhook_vector_1.json"), checksumKeys: [Fixtures.projectKey])
        #expect(w1.body.signature == "e6317e3f1838a2068bb31738ed895333ae7da3ad182481abb506a3e8a45e4b56")
        #expect(w1.data.orderCode == 123456789 && w1.data.amount == 50000)
        let w2 = try PayOSWebhook.verify(body: try Fixtures.bytes("webhook_vector_2.json"), checksumKeys: [Fixtures.projectKey])
        #expect(w2.body.signature == "d3b7e6b692ce2b720819afaba9680ce8f29b0cc90544ab7bd18841ed969e2abd")
        #expect(w2.data.counterAccountName == nil)
    }

    @Test func webhookDataModelSignsLikeTheVectors() {
        #expect(
            ProtocolSamples.webhookW1.signature(checksumKey: Fixtures.projectKey)
                == "e6317e3f1838a2068bb31738ed895333ae7da3ad182481abb506a3e8a45e4b56"
        )
        var w2 = ProtocolSamples.webhookW1
        w2.counterAccountBankName = nil
        w2.counterAccountName = nil
        w2.virtualAccountName = nil
        w2.virtualAccountNumber = nil
        #expect(w2.signature(checksumKey: Fixtures.projectKey) == "d3b7e6b692ce2b720819afaba9680ce8f29b0cc90544ab7bd18841ed969e2abd")
    }

    /// W4: the docs' confirm-webhook sample (with `currency`), the payload a simulator probes webhook URLs with.
    @Test func docsSampleWebhookMatchesVectorW4() throws {
        let sample = PayOSWebhookData.confirmationSample
        #expect(sample.signature(checksumKey: Fixtures.projectKey) == "412e915d2871504ed31be63c8f62a149a4410d34c4c42affc9006ef9917eaa03")
        let body = PayOSWebhookBody.signed(sample, checksumKey: Fixtures.projectKey)
        let verified = try PayOSWebhook.verify(body: JSONValue.object(body.toJSON()).compactBytes, checksumKeys: [Fixtures.projectKey])
        #expect(verified.data.isConfirmationProbe)
        #expect(!ProtocolSamples.webhookW1.isConfirmationProbe)
    }

    // MARK: Header signature encodings (spec 4.3 probe)

    @Test func headerSignatureProbeDiffersByEncodingAsTheSDKsDo() {
        let probe: JSONObject = ["description": "a/b !'()*~ c", "referenceId": "x"]
        let key = Fixtures.officialKey
        #expect(PayOSSignature.header(probe, checksumKey: key) == "a7e6cfa66ffe79792525c5a7988764c5b18da805c32442aeb84f5b3af5e7a8f0")
        #expect(
            PayOSSignature.header(probe, checksumKey: key, encoding: .pythonQuote)
                == "868bac7645f9d803aa2d351901c9bebd03e26d95265cdd0c638c8a248e326e4c"
        )
        #expect(PayOSSignature.headerText(of: probe) == "description=a%2Fb%20!'()*~%20c&referenceId=x")
        #expect(PayOSSignature.headerText(of: probe, encoding: .pythonQuote) == "description=a/b%20%21%27%28%29%2A~%20c&referenceId=x")
        let python = PayOSSignature.header(probe, checksumKey: key, encoding: .pythonQuote)
        #expect(!PayOSSignature.verifyHeader(probe, signature: python, checksumKey: key))
        #expect(PayOSSignature.verifyHeader(probe, signature: python, checksumKey: key, encodings: [.encodeURIComponent, .pythonQuote]))
    }

    @Test func headerSignatureDeepSortsNestedObjectsButKeepsArrayOrder() {
        let object: JSONObject = ["z": ["b": 1, "a": ["d": true, "c": nil]], "a": [["y": 1, "x": 2], "s"]]
        #expect(
            PayOSSignature.headerText(of: object, encoding: .pythonQuote)
                == "a=%5B%7B%22x%22%3A2%2C%22y%22%3A1%7D%2C%22s%22%5D&z=%7B%22a%22%3A%7B%22c%22%3Anull%2C%22d%22%3Atrue%7D%2C%22b%22%3A1%7D"
        )
    }

    // MARK: Canonical text rules (spec 4.2)

    @Test func bodyCanonicalTextFollowsTheValueRules() {
        let object: JSONObject = [
            "b": true, "a": nil, "n": "null", "u": "undefined", "N": "NULL", "i": 9_007_199_254_740_991,
            "arr": [["z": "Đơn hàng /x", "a": ["y": 1, "x": 2]], "null", nil, false],
        ]
        #expect(
            PayOSSignature.canonicalText(of: object)
                == #"N=NULL&a=&arr=[{"a":{"y":1,"x":2},"z":"Đơn hàng /x"},"null",null,false]&b=true&i=9007199254740991&n=&u="#
        )
    }

    @Test func upperCaseSignatureIsRefused() {
        let data = ProtocolSamples.webhookW1.toJSON()
        let signature = PayOSSignature.body(data, checksumKey: Fixtures.projectKey)
        #expect(PayOSSignature.verifyBody(data, signature: signature, checksumKey: Fixtures.projectKey))
        #expect(!PayOSSignature.verifyBody(data, signature: signature.uppercased(), checksumKey: Fixtures.projectKey))
        #expect(!PayOSSignature.verifyBody(data, signature: String(signature.dropLast()), checksumKey: Fixtures.projectKey))
    }
}

@Suite struct VietQRTests {
    @Test func theTransferContentIsReadFromTheSpecExample() {
        let payload = "00020101021238570010A000000727012700069704220113VQRQAFRJT12340208QRIBFTTA53037045405500005802VN62330829CSX3K9QZ7B Thanh toan don 123630440AF"
        #expect(VietQR.purpose(of: payload) == "CSX3K9QZ7B Thanh toan don 123")
        #expect(VietQR.fields(of: payload)?["54"] == "50000")
        #expect(VietQR.purpose(of: "not a qr") == nil)
        #expect(VietQR.fields(of: "0005abc") == nil)
    }
}
