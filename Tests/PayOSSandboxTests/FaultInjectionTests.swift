// Copyright (c) the Gatehouse authors
import NIOHTTP1
import PayOS
import Testing

@testable import PayOSSandbox

/// Per-channel fault injection (`/sandbox/channels/{clientId}/faults`).
@Suite struct FaultInjectionTests {
    static func setFaults(
        _ sandbox: TestSandbox,
        _ faults: JSONValue,
        clientId: String = "client-a",
        sourceLocation: SourceLocation = #_sourceLocation
    ) async throws {
        let response = try await sandbox.control(.PUT, "/channels/\(clientId)/faults", json: faults)
        #expect(response.status == 200, "\(response.text)", sourceLocation: sourceLocation)
    }

    // MARK: Configuration

    @Test func faultsCanBeReadSetAndCleared() async throws {
        try await TestSandbox.with { sandbox in
            let initial = try await sandbox.control(.GET, "/channels/client-a/faults").json()
            // Whole-number rates print without a fraction, as JavaScript's JSON does.
            #expect(
                initial == [
                    "latencyMs": 0, "errorRate": 0, "rateLimitRate": 0, "retryAfterSeconds": 1, "rateLimitHeader": "retry-after",
                    "htmlErrorRate": 0, "htmlErrorStatus": 502, "connectionResetRate": 0, "invalidSignatureRate": 0,
                    "missingSignatureRate": 0, "nullDataRate": 0,
                    "dropWebhookRate": 0, "duplicateWebhookRate": 0, "duplicateCopies": 1, "reorderWebhooks": false,
                ]
            )
            try await Self.setFaults(sandbox, ["errorRate": .double(0.25), "latencyMs": 5, "reorderWebhooks": true])
            let set = try await sandbox.control(.GET, "/channels/client-a/faults").json()
            #expect(set["errorRate"] == .double(0.25) && set["latencyMs"] == 5 && set["reorderWebhooks"] == true)
            // Per channel.
            #expect(try await sandbox.control(.GET, "/channels/client-b/faults").json() == initial)
            try await Self.setFaults(sandbox, [:])
            #expect(try await sandbox.control(.GET, "/channels/client-a/faults").json() == initial)
        }
    }

    static let invalidFaults: [(JSONValue, String)] = [
        (["errorRate": .double(1.5)], "errorRate must be between 0 and 1"),
        (["rateLimitRate": -1], "rateLimitRate must be between 0 and 1"),
        (["dropWebhookRate": "half"], "dropWebhookRate must be a number between 0 and 1"),
        (["latencyMs": -1], "latencyMs must be between 0 and 60000"),
        (["latencyMs": .double(1.5)], "latencyMs must be an integer"),
        (["retryAfterSeconds": 61], "retryAfterSeconds must be between 0 and 60"),
        (["reorderWebhooks": 1], "reorderWebhooks must be true or false"),
        (["htmlErrorStatus": 500], "htmlErrorStatus must be 502 or 504"),
        (["rateLimitHeader": "Retry-After-Ms"], "rateLimitHeader must be"),
        (["nullDataRate": 2], "nullDataRate must be between 0 and 1"),
        (["errorRat": .double(0.5)], "unknown fault 'errorRat'"),
        ([1, 2], "faults must be a JSON object"),
    ]

    @Test(arguments: invalidFaults.indices)
    func invalidFaultsAreRefusedWithAClear400(index: Int) async throws {
        let (body, message) = Self.invalidFaults[index]
        try await TestSandbox.with { sandbox in
            let response = try await sandbox.control(.PUT, "/channels/client-a/faults", json: body)
            #expect(response.status == 400)
            let error = try #require(try response.json()["error"]?.objectValue)
            #expect(error["code"] == "invalid_input")
            #expect(error["message"]?.stringValue?.hasPrefix(message) == true, "\(error)")
            // Nothing changed.
            #expect(try await sandbox.sandbox.faults(clientId: "client-a") == .off)
        }
    }

    @Test func faultsOfAnUnknownChannelAre404() async throws {
        try await TestSandbox.with { sandbox in
            #expect(try await sandbox.control(.GET, "/channels/nobody/faults").status == 404)
            #expect(try await sandbox.control(.PUT, "/channels/nobody/faults", json: [:]).status == 404)
            let notJSON = try await sandbox.request(.PUT, "/sandbox/channels/client-a/faults", body: Array("{".utf8))
            #expect(notJSON.status == 400)
        }
    }

    // MARK: API faults

    @Test func errorRateOneAnswers500AndChangesNothing() async throws {
        try await TestSandbox.with { sandbox in
            try await Self.setFaults(sandbox, ["errorRate": 1])
            let response = try await sandbox.payOS(.POST, "/v2/payment-requests", json: sandbox.createBody(orderCode: 1))
            #expect(response.status == 500)
            #expect(response.text == #"{"code":"500","desc":"Internal Server Error","data":null}"#)
            // Another channel is unaffected.
            _ = try await sandbox.createLink(orderCode: 1, channel: channelB)
            try await Self.setFaults(sandbox, [:])
            _ = try await sandbox.createLink(orderCode: 1)
        }
    }

    @Test func rateLimitRateOneAnswers429WithRetryAfter() async throws {
        try await TestSandbox.with { sandbox in
            try await Self.setFaults(sandbox, ["rateLimitRate": 1, "retryAfterSeconds": 7])
            let response = try await sandbox.payOS(.GET, "/v2/payment-requests/1")
            #expect(response.status == 429)
            #expect(response.headers["Retry-After"] == ["7"])
            #expect(try response.json()["code"] == "429")
        }
    }

    @Test func invalidSignatureRateOneCorruptsSignaturesButTheCallTakesEffect() async throws {
        try await TestSandbox.with { sandbox in
            try await Self.setFaults(sandbox, ["invalidSignatureRate": 1])
            let create = try await sandbox.payOS(.POST, "/v2/payment-requests", json: sandbox.createBody(orderCode: 1))
            let envelope = try #require(try create.json().objectValue)
            let data = try #require(envelope["data"]?.objectValue)
            let signature = try #require(envelope["signature"]?.stringValue)
            #expect(envelope["code"] == "00" && signature.wholeMatch(of: /[0-9a-f]{64}/) != nil)
            #expect(!PayOSSignature.verifyBody(data, signature: signature, checksumKey: docsChecksumKey))
            try await Self.setFaults(sandbox, [:])
            // The link exists: a retry of the create is a duplicate, and GET is signed correctly again.
            let retry = try await sandbox.payOS(.POST, "/v2/payment-requests", json: sandbox.createBody(orderCode: 1))
            try PaymentRequestsTests.expectBusinessError(retry, code: "231")
            let info = try PaymentRequestsTests.signedData(try await sandbox.payOS(.GET, "/v2/payment-requests/1"))
            #expect(info["id"] == data["paymentLinkId"])
        }
    }

    @Test func authenticationComesBeforeFaults() async throws {
        try await TestSandbox.with { sandbox in
            try await Self.setFaults(sandbox, ["errorRate": 1])
            let response = try await sandbox.request(.GET, "/v2/payment-requests/1", headers: [("x-client-id", "client-a"), ("x-api-key", "wrong")])
            #expect(response.status == 401)
        }
    }

    @Test func latencyDelaysTheAnswer() async throws {
        try await TestSandbox.with { sandbox in
            try await Self.setFaults(sandbox, ["latencyMs": 300])
            let start = ContinuousClock.now
            _ = try await sandbox.payOS(.GET, "/v2/payment-requests/1")
            #expect(ContinuousClock.now - start >= .milliseconds(300))
        }
    }

    @Test func seededFaultsAreReproducible() async throws {
        @Sendable func statuses(seed: UInt64) async throws -> [Int] {
            try await TestSandbox.with(seed: seed) { sandbox in
                try await Self.setFaults(sandbox, ["errorRate": .double(0.3), "rateLimitRate": .double(0.2), "retryAfterSeconds": 0])
                var statuses: [Int] = []
                for _ in 0..<40 { statuses.append(try await sandbox.payOS(.GET, "/v2/payment-requests/1").status) }
                return statuses
            }
        }
        let first = try await statuses(seed: 42)
        #expect(try await statuses(seed: 42) == first)
        #expect(try await statuses(seed: 43) != first)
        // The same decisions computed straight from the generator: 429 drawn first, then 500.
        var generator = SeededRandomNumberGenerator(seed: 42)
        let expected = (0..<40).map { _ in generator.chance(0.2) ? 429 : generator.chance(0.3) ? 500 : 200 }
        #expect(first == expected)
        #expect(Set(first) == [200, 429, 500])
    }

    // MARK: Webhook faults

    @Test func droppedWebhooksAreLoggedAndNeverSent() async throws {
        let listener = WebhookListener()
        try await listener.run { listenerURL in
            try await TestSandbox.with { sandbox in
                try await sandbox.setWebhookURL(listenerURL)
                _ = try await sandbox.createLink(orderCode: 1)
                _ = try await sandbox.createLink(orderCode: 2)
                try await Self.setFaults(sandbox, ["dropWebhookRate": 1])
                let dropped = try await sandbox.sandbox.pay("1", clientId: "client-a")
                try await Self.setFaults(sandbox, [:])
                let sent = try await sandbox.sandbox.pay("2", clientId: "client-a")
                let deliveries = try await sandbox.waitForDeliveries { $0.count == 2 && $0[1].state == .delivered }
                #expect(deliveries[0].state == .dropped && deliveries[0].attempts.isEmpty && deliveries[0].reference == dropped.reference)
                // The only webhook that ever arrived is the second payment's.
                let references = listener.received.compactMap { $0.json?["data"]?["reference"]?.stringValue }
                #expect(references == [sent.reference])
            }
        }
    }

    @Test func duplicatedWebhooksArriveTwiceWithTheSameBody() async throws {
        let listener = WebhookListener()
        try await listener.run { listenerURL in
            try await TestSandbox.with { sandbox in
                try await sandbox.setWebhookURL(listenerURL)
                _ = try await sandbox.createLink(orderCode: 1)
                try await Self.setFaults(sandbox, ["duplicateWebhookRate": 1])
                try await sandbox.sandbox.pay("1", clientId: "client-a")
                let received = try await listener.waitFor(count: 2)
                #expect(received.count == 2 && received[0].body == received[1].body)
                _ = try PaymentWebhookTests.verifiedWebhook(received[1])
                let deliveries = try await sandbox.waitForDeliveries { $0.count == 2 && $0.allSatisfy { $0.state == .delivered } }
                #expect(deliveries.map(\.duplicateOf) == [nil, 1])
            }
        }
    }

    @Test func duplicatedWebhooksCanArriveThreeTimes() async throws {
        let listener = WebhookListener()
        try await listener.run { listenerURL in
            try await TestSandbox.with { sandbox in
                try await sandbox.setWebhookURL(listenerURL)
                _ = try await sandbox.createLink(orderCode: 1)
                try await Self.setFaults(sandbox, ["duplicateWebhookRate": 1, "duplicateCopies": 2])
                try await sandbox.sandbox.pay("1", clientId: "client-a")
                let received = try await listener.waitFor(count: 3)
                #expect(received.count == 3 && Set(received.map(\.body)).count == 1)
                let deliveries = try await sandbox.waitForDeliveries { $0.count == 3 && $0.allSatisfy { $0.state == .delivered } }
                #expect(deliveries.map(\.duplicateOf) == [nil, 1, 1])
            }
        }
    }

    @Test func duplicateCopiesOutOfRangeAreRefused() async throws {
        try await TestSandbox.with { sandbox in
            for copies in [0, 6] {
                let response = try await sandbox.control(.PUT, "/channels/client-a/faults", json: ["duplicateCopies": .int(Int64(copies))])
                #expect(response.status == 400, "\(response.text)")
            }
        }
    }

    @Test func reorderedWebhooksArriveNewestFirstAfterTheNextOne() async throws {
        let listener = WebhookListener()
        try await listener.run { listenerURL in
            try await TestSandbox.with { sandbox in
                try await sandbox.setWebhookURL(listenerURL)
                for orderCode in 1...3 { _ = try await sandbox.createLink(orderCode: Int64(orderCode)) }
                try await Self.setFaults(sandbox, ["reorderWebhooks": true])
                try await sandbox.sandbox.pay("1", clientId: "client-a")
                #expect(await sandbox.sandbox.deliveries().map(\.state) == [.held])
                try await sandbox.sandbox.pay("2", clientId: "client-a")
                let received = try await listener.waitFor(count: 2)
                #expect(received.compactMap { $0.json?["data"]?["orderCode"] } == [2, 1])
                // A third is held until flushed.
                try await sandbox.sandbox.pay("3", clientId: "client-a")
                #expect(await sandbox.sandbox.deliveries().last?.state == .held)
                let flush = try await sandbox.control(.POST, "/channels/client-a/webhooks/flush")
                #expect(try flush.json() == ["released": 1])
                let all = try await listener.waitFor(count: 3)
                #expect(all.compactMap { $0.json?["data"]?["orderCode"] } == [2, 1, 3])
            }
        }
    }

    @Test func clearingReorderReleasesHeldWebhooks() async throws {
        let listener = WebhookListener()
        try await listener.run { listenerURL in
            try await TestSandbox.with { sandbox in
                try await sandbox.setWebhookURL(listenerURL)
                _ = try await sandbox.createLink(orderCode: 1)
                try await Self.setFaults(sandbox, ["reorderWebhooks": true])
                try await sandbox.sandbox.pay("1", clientId: "client-a")
                #expect(listener.received.isEmpty)
                try await Self.setFaults(sandbox, [:])
                _ = try await listener.waitFor(count: 1)
                _ = try await sandbox.waitForDeliveries { $0.first?.state == .delivered }
            }
        }
    }
}
