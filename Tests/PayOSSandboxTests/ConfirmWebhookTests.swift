// Copyright (c) the Gatehouse authors
import NIOHTTP1
import PayOS
import Testing

@testable import PayOSSandbox
import GatehouseCore

/// `POST /confirm-webhook` (spec 2.5, 5.4).
@Suite struct ConfirmWebhookTests {
    // MARK: Tests

    @Test func reachableURLGetsTheSignedDocsSampleAndIsRemembered() async throws {
        let listener = WebhookListener()
        try await listener.run { listenerURL in
            try await TestSandbox.with { sandbox in
                let url = listenerURL + "/payos/webhook?tenant=1"
                let response = try await sandbox.payOS(.POST, "/confirm-webhook", json: ["webhookUrl": .string(url)])
                #expect(response.status == 200)
                let envelope = try #require(try response.json().objectValue)
                #expect(envelope.keys == ["code", "desc", "data"])
                #expect(envelope["code"] == "00")
                let data = try #require(envelope["data"]?.objectValue)
                #expect(data.keys == ["webhookUrl", "accountName", "accountNumber", "name", "shortName"])
                #expect(data["webhookUrl"] == .string(url))
                #expect(data["accountName"] == "GATEHOUSE SANDBOX MERCHANT" && data["accountNumber"] == .string(channelA.accountNumber))
                #expect(data["shortName"] == "MBBank" && data["name"] == "Ngân hàng TMCP Quân đội")

                // The probe arrived first, signed with the channel key — with the docs key that is vector W4.
                let probe = try #require(listener.received.first)
                #expect(probe.path == "/payos/webhook")
                let body = try #require(probe.json?.objectValue)
                #expect(body["signature"] == "412e915d2871504ed31be63c8f62a149a4410d34c4c42affc9006ef9917eaa03")
                let probeData = try PaymentWebhookTests.verifiedWebhookShape(probe)
                #expect(probeData["orderCode"] == 123 && probeData["amount"] == 3000 && probeData["description"] == "VQRIO123")
                #expect(probeData["accountNumber"] == "12345678" && probeData["reference"] == "TF230204212323")
                #expect(probeData["paymentLinkId"] == "124c33293c43417ab7879e14c8d9eb18" && probeData["currency"] == "VND")

                // Payments now go to the confirmed URL.
                _ = try await sandbox.createLink(orderCode: 1)
                try await sandbox.sandbox.pay("1", clientId: "client-a")
                let received = try await listener.waitFor(count: 2)
                #expect(try PaymentWebhookTests.verifiedWebhook(received[1])["orderCode"] == 1)
                #expect(received[1].path == "/payos/webhook")
            }
        }
    }

    @Test func probeIsSignedWithTheCallingChannelsKey() async throws {
        let listener = WebhookListener()
        try await listener.run { listenerURL in
            try await TestSandbox.with { sandbox in
                _ = try await sandbox.payOS(.POST, "/confirm-webhook", json: ["webhookUrl": .string(listenerURL)], channel: channelB)
                let probe = try #require(listener.received.first)
                _ = try PaymentWebhookTests.verifiedWebhookShape(probe, key: channelB.checksumKey)
            }
        }
    }

    @Test func urlAnswering404IsRefusedWithTheProbeError() async throws {
        let listener = WebhookListener()
        listener.script([404])
        try await listener.run { listenerURL in
            try await TestSandbox.with { sandbox in
                let response = try await sandbox.payOS(.POST, "/confirm-webhook", json: ["webhookUrl": .string(listenerURL + "/missing")])
                #expect(response.status == 400)
                #expect(response.text == #"{"code":"20","desc":"Webhook url invalid","data":"Request failed with status code 404"}"#)
                // Not remembered: a payment finds no webhook URL.
                _ = try await sandbox.createLink(orderCode: 1)
                try await sandbox.sandbox.pay("1", clientId: "client-a")
                #expect(await sandbox.sandbox.deliveries().map(\.state) == [.noWebhookURL])
            }
        }
    }

    @Test func unreachableURLIsRefusedWithConnectionError() async throws {
        try await TestSandbox.with { sandbox in
            let closed = try await WebhookListener().run { url in url }
            let response = try await sandbox.payOS(.POST, "/confirm-webhook", json: ["webhookUrl": .string(closed)])
            #expect(response.status == 400)
            let json = try response.json()
            #expect(json["desc"] == "Webhook url invalid")
            #expect(json["data"]?.stringValue?.hasPrefix("connect ECONNREFUSED 127.0.0.1:") == true)
        }
    }

    @Test(arguments: ["ftp://example.vn/hook", "not a url", "http://"])
    func malformedURLIsRefused(url: String) async throws {
        try await TestSandbox.with { sandbox in
            let response = try await sandbox.payOS(.POST, "/confirm-webhook", json: ["webhookUrl": .string(url)])
            #expect(response.status == 400)
            #expect(response.text == #"{"code":"20","desc":"Webhook url invalid","data":"Invalid URL"}"#)
        }
    }

    @Test(arguments: ["", "{}", #"{"webhookUrl":5}"#, #"{"webhookUrl":""}"#, "[]"])
    func missingWebhookURLIsCode20(body: String) async throws {
        try await TestSandbox.with { sandbox in
            let response = try await sandbox.payOS(.POST, "/confirm-webhook", rawBody: Array(body.utf8))
            try PaymentRequestsTests.expectBusinessError(response, code: "20", desc: "Thông tin truyền lên không đúng.")
        }
    }
}

extension PaymentWebhookTests {
    /// Like ``verifiedWebhook(_:key:sourceLocation:)`` but for the probe, whose key order follows the docs sample.
    static func verifiedWebhookShape(
        _ received: WebhookListener.Received,
        key: String = docsChecksumKey,
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws -> JSONObject {
        let body = try #require(received.json?.objectValue, sourceLocation: sourceLocation)
        #expect(body.keys == ["code", "desc", "success", "data", "signature"], sourceLocation: sourceLocation)
        let data = try #require(body["data"]?.objectValue, sourceLocation: sourceLocation)
        #expect(data.keySet == Set(webhookDataKeys), sourceLocation: sourceLocation)
        let signature = try #require(body["signature"]?.stringValue, sourceLocation: sourceLocation)
        #expect(PayOSSignature.verifyBody(data, signature: signature, checksumKey: key), sourceLocation: sourceLocation)
        return data
    }
}
