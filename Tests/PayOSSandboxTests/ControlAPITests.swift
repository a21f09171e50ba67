// Copyright (c) the Gatehouse authors
import Foundation
import NIOHTTP1
import PayOS
import Testing

@testable import PayOSSandbox

/// The sandbox's own control API: channels, channels files, command options.
@Suite struct ControlAPITests {
    // MARK: Channels

    @Test func addedChannelGetsBankDefaultsAndCanBeUsed() async throws {
        try await TestSandbox.with(channels: []) { sandbox in
            let response = try await sandbox.control(.POST, "/channels", json: ["clientId": "new", "apiKey": "k1", "checksumKey": "c1"])
            #expect(response.status == 201)
            let channel = try #require(try response.json().objectValue)
            #expect(channel.keys == ["clientId", "bin", "accountNumber", "accountName", "webhookUrl", "linkedAccount", "extraFields"])
            #expect(channel["extraFields"] == [:])
            #expect(channel["bin"] == "970422" && channel["accountName"] == "GATEHOUSE SANDBOX MERCHANT" && channel["webhookUrl"] == .null)
            #expect(channel["linkedAccount"] == true)
            let account = try #require(channel["accountNumber"]?.stringValue)
            #expect(account.wholeMatch(of: /VQRQ[0-9A-F]{9}/) != nil)
            // The keys work, and are never echoed.
            #expect(!response.text.contains("k1") && !response.text.contains("c1"))
            let newChannel = SandboxChannel(clientId: "new", apiKey: "k1", checksumKey: "c1")
            let data = try await sandbox.createLink(orderCode: 1, channel: newChannel)
            #expect(data["accountNumber"] == .string(account))
            let list = try await sandbox.control(.GET, "/channels")
            #expect(try list.json()["channels"]?.arrayValue?.count == 1 && !list.text.contains("k1"))
        }
    }

    @Test func channelWithAllFieldsKeepsThem() async throws {
        try await TestSandbox.with(channels: []) { sandbox in
            let body: JSONValue = [
                "clientId": "x", "apiKey": "k", "checksumKey": "c", "bin": "970436", "accountNumber": "0071000123456",
                "accountName": "CONG TY ABC", "webhookUrl": "https://merchant.example.vn/hook", "linkedAccount": false, "extraFields": ["feeAmount": 1100],
            ]
            let channel = try await sandbox.control(.POST, "/channels", json: body).json()
            #expect(
                channel == [
                    "clientId": "x", "bin": "970436", "accountNumber": "0071000123456", "accountName": "CONG TY ABC",
                    "webhookUrl": "https://merchant.example.vn/hook", "linkedAccount": false, "extraFields": ["feeAmount": 1100],
                ]
            )
        }
    }

    /// `extraFields` stand for fields payOS may add: they appear in answers' `data`, signed with the rest, and never
    /// replace a documented key.
    @Test func extraFieldsAreAddedToAnswersAndSigned() async throws {
        try await TestSandbox.with(channels: []) { sandbox in
            let extra: JSONObject = ["feeAmount": 1100, "amount": 1, "payerNote": .null]
            let channel = SandboxChannel(clientId: "extra", apiKey: "k", checksumKey: "c", extraFields: extra)
            _ = try await sandbox.control(.POST, "/channels", json: ["clientId": "extra", "apiKey": "k", "checksumKey": "c", "extraFields": .object(extra)])
            let response = try await sandbox.payOS(
                .POST, "/v2/payment-requests", json: sandbox.createBody(orderCode: 7, channel: channel), channel: channel)
            let envelope = try #require(try response.json().objectValue)
            let data = try #require(envelope["data"]?.objectValue)
            #expect(data["feeAmount"] == 1100 && data["payerNote"] == .null && data["amount"] == 50_000)
            #expect(PayOSSignature.verifyBody(data, signature: envelope["signature"]?.stringValue ?? "", checksumKey: "c"))
            #expect(try CreatePaymentLinkResponse(json: data).orderCode == 7)
        }
    }

    static let invalidChannels: [(JSONValue, String)] = [
        (["apiKey": "k", "checksumKey": "c"], "clientId is required"),
        (["clientId": "x", "checksumKey": "c"], "apiKey is required"),
        (["clientId": "x", "apiKey": "k"], "checksumKey is required"),
        (["clientId": "x", "apiKey": 5, "checksumKey": "c"], "apiKey must be a string"),
        (["clientId": "x y", "apiKey": "k", "checksumKey": "c"], "clientId must be"),
        (["clientId": "x", "apiKey": "k", "checksumKey": "c", "bin": "9704"], "bin must be 6 digits"),
        (["clientId": "x", "apiKey": "k", "checksumKey": "c", "accountNumber": "vqrq-1"], "accountNumber must be"),
        (["clientId": "x", "apiKey": "k", "checksumKey": "c", "accountName": "Cửa hàng"], "accountName must be"),
        (["clientId": "x", "apiKey": "k", "checksumKey": "c", "webhookUrl": "ftp://x"], "webhookUrl must be"),
        (["clientId": "x", "apiKey": "k", "checksumKey": "c", "secret": "s"], "unknown channel field 'secret'"),
        (["clientId": "x", "apiKey": "k", "checksumKey": "c", "extraFields": ["a"]], "extraFields must be a JSON object"),
        ([1], "a channel must be a JSON object"),
    ]

    @Test(arguments: invalidChannels.indices)
    func invalidChannelIsRefusedWithAClear400(index: Int) async throws {
        let (body, message) = Self.invalidChannels[index]
        try await TestSandbox.with(channels: []) { sandbox in
            let response = try await sandbox.control(.POST, "/channels", json: body)
            #expect(response.status == 400)
            #expect(try response.json()["error"]?["code"] == "invalid_input")
            #expect(try response.json()["error"]?["message"]?.stringValue?.hasPrefix(message) == true, "\(response.text)")
            #expect(try await sandbox.control(.GET, "/channels").json() == ["channels": []])
        }
    }

    @Test func addingAnExistingClientIdIs409() async throws {
        try await TestSandbox.with { sandbox in
            let response = try await sandbox.control(.POST, "/channels", json: ["clientId": "client-a", "apiKey": "other", "checksumKey": "other"])
            #expect(try response.status == 409 && response.json()["error"]?["code"] == "channel_exists")
            // The original keys still work.
            _ = try await sandbox.createLink(orderCode: 1)
        }
    }

    @Test func puttingAChannelRotatesKeysAndKeepsLinks() async throws {
        try await TestSandbox.with { sandbox in
            _ = try await sandbox.createLink(orderCode: 1)
            try await sandbox.setWebhookURL("http://127.0.0.1:9/hook")
            let response = try await sandbox.control(.PUT, "/channels/client-a", json: ["apiKey": "rotated-api", "checksumKey": "rotated-checksum"])
            #expect(response.status == 200)
            #expect(try response.json()["webhookUrl"] == "http://127.0.0.1:9/hook")
            #expect(try await sandbox.payOS(.GET, "/v2/payment-requests/1").status == 401)
            let rotated = SandboxChannel(clientId: "client-a", apiKey: "rotated-api", checksumKey: "rotated-checksum")
            let data = try PaymentRequestsTests.signedData(
                try await sandbox.payOS(.GET, "/v2/payment-requests/1", channel: rotated),
                key: "rotated-checksum"
            )
            #expect(data["orderCode"] == 1)
            // A new client id through PUT is created.
            let created = try await sandbox.control(.PUT, "/channels/client-c", json: ["apiKey": "a", "checksumKey": "c"])
            #expect(created.status == 201)
            let mismatch = try await sandbox.control(.PUT, "/channels/client-d", json: ["clientId": "client-e", "apiKey": "a", "checksumKey": "c"])
            #expect(mismatch.status == 400)
        }
    }

    @Test func paymentLinkCanBeInspected() async throws {
        try await TestSandbox.with { sandbox in
            let created = try await sandbox.createLink(orderCode: 31)
            let response = try await sandbox.control(.GET, "/payment-requests/31")
            let json = try response.json()
            #expect(json["clientId"] == "client-a")
            #expect(json["paymentLink"]?["id"] == created["paymentLinkId"])
            #expect(json["paymentLink"]?.objectValue?.keySet == PaymentRequestsTests.infoKeys)
        }
    }

    // MARK: Channels file and command options

    @Test func channelsFileIsParsed() throws {
        let file = #"[{"clientId":"a","apiKey":"k","checksumKey":"c"},{"clientId":"b","apiKey":"k2","checksumKey":"c2","bin":"970436"}]"#
        let channels = try SandboxChannel.parseChannelsFile(Array(file.utf8))
        #expect(channels.map(\.clientId) == ["a", "b"])
        #expect(channels[1].bin == "970436" && channels[0].bin == "970422")
    }

    @Test(arguments: [
        (#"{"clientId":"a"}"#, "channels file must be a JSON array"),
        (
            #"[{"clientId":"a","apiKey":"k","checksumKey":"c"},{"clientId":"a","apiKey":"k","checksumKey":"c"}]"#,
            "channels[1]: clientId 'a' appears twice"
        ),
        (#"[{"clientId":"a","apiKey":"k","checksumKey":"c"},{"clientId":"b","checksumKey":"c"}]"#, "channels[1]: apiKey is required"),
        ("[", "channels file is not valid JSON"),
    ])
    func badChannelsFileNamesTheProblem(file: String, message: String) {
        #expect {
            try SandboxChannel.parseChannelsFile(Array(file.utf8))
        } throws: { error in
            (error as? SandboxControlError)?.message.hasPrefix(message) == true
        }
    }

    @Test func commandOptionsLoadTheChannelsFile() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("channels-\(UUID().uuidString).json")
        try #"[{"clientId":"file-client","apiKey":"k","checksumKey":"c"}]"#.write(to: url, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: url) }
        let options = SandboxCommandOptions(port: 0, channelsFile: url.path, publicBaseURL: "http://192.168.1.20:8089", faultSeed: 7)
        let configuration = try options.makeConfiguration()
        #expect(configuration.channels.map(\.clientId) == ["file-client"])
        #expect(configuration.publicBaseURL == "http://192.168.1.20:8089" && configuration.port == 0)

        #expect(throws: PayOSSandboxError.self) { try SandboxCommandOptions(channelsFile: url.path + ".missing").makeConfiguration() }
        #expect(throws: PayOSSandboxError.invalidOption("public base URL must be an absolute http or https URL")) {
            try SandboxCommandOptions(publicBaseURL: "phone").makeConfiguration()
        }
        #expect(throws: PayOSSandboxError.invalidOption("port must be between 0 and 65535")) {
            try SandboxCommandOptions(port: 70_000).makeConfiguration()
        }
    }

    @Test func publicBaseURLIsUsedForCheckoutURLs() async throws {
        try await TestSandbox.with(publicBaseURL: "http://192.168.1.20:8089/") { sandbox in
            let data = try await sandbox.createLink(orderCode: 1)
            let id = try #require(data["paymentLinkId"]?.stringValue)
            #expect(data["checkoutUrl"] == .string("http://192.168.1.20:8089/web/\(id)"))
            #expect(sandbox.baseURL.hasPrefix("http://127.0.0.1:"))
        }
    }
}
