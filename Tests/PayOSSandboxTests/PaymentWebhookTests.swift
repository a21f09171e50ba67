// Copyright (c) the Gatehouse authors
import NIOHTTP1
import PayOS
import Testing

@testable import PayOSSandbox
import GatehouseCore

/// Paying through the control API and the payment webhooks that follow (spec 5.1, 12.6).
@Suite struct PaymentWebhookTests {
    static let webhookDataKeys = [
        "accountNumber", "amount", "description", "reference", "transactionDateTime", "virtualAccountNumber",
        "counterAccountBankId", "counterAccountBankName", "counterAccountName", "counterAccountNumber", "virtualAccountName",
        "currency", "orderCode", "paymentLinkId", "code", "desc",
    ]

    /// Checks a received webhook body and returns its verified `data`.
    static func verifiedWebhook(
        _ received: WebhookListener.Received,
        key: String = docsChecksumKey,
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws -> JSONObject {
        #expect(received.contentType == "application/json", sourceLocation: sourceLocation)
        let body = try #require(received.json?.objectValue, sourceLocation: sourceLocation)
        #expect(body.keys == ["code", "desc", "success", "data", "signature"], sourceLocation: sourceLocation)
        #expect(body["code"] == "00" && body["desc"] == "success" && body["success"] == true, sourceLocation: sourceLocation)
        let data = try #require(body["data"]?.objectValue, sourceLocation: sourceLocation)
        #expect(data.keys == webhookDataKeys, sourceLocation: sourceLocation)
        let signature = try #require(body["signature"]?.stringValue, sourceLocation: sourceLocation)
        #expect(PayOSSignature.verifyBody(data, signature: signature, checksumKey: key), "webhook signature", sourceLocation: sourceLocation)
        return data
    }

    // MARK: Tests

    @Test func payingInFullSendsASignedSixteenKeyWebhookAndMarksThePaymentPaid() async throws {
        let listener = WebhookListener()
        try await listener.run { listenerURL in
            try await TestSandbox.with { sandbox in
                try await sandbox.setWebhookURL(listenerURL + "/payos/webhook")
                let created = try await sandbox.createLink(orderCode: 123_456_789)
                let response = try await sandbox.control(.POST, "/payment-requests/123456789/pay", headers: [("x-client-id", "client-a")])
                #expect(response.status == 200)
                let answer = try #require(try response.json().objectValue)
                #expect(answer["status"] == "PAID" && answer["amountPaid"] == 50_000 && answer["amountRemaining"] == 0)
                let transaction = try #require(answer["transaction"]?.objectValue)
                #expect(transaction.keySet == PaymentRequestsTests.transactionKeys)
                let reference = try #require(transaction["reference"]?.stringValue)
                #expect(reference.wholeMatch(of: /FT\d{14}/) != nil)

                let received = try await listener.waitFor(count: 1)
                #expect(received.first?.path == "/payos/webhook")
                let data = try Self.verifiedWebhook(try #require(received.first))
                #expect(data["orderCode"] == 123_456_789 && data["amount"] == 50_000 && data["currency"] == "VND")
                #expect(data["reference"] == .string(reference))
                #expect(data["paymentLinkId"] == created["paymentLinkId"])
                #expect(data["accountNumber"] == .string(channelA.accountNumber))
                #expect(data["code"] == "00" && data["desc"] == "success")
                #expect(data["counterAccountBankId"] == "970436" && data["counterAccountName"] == "NGUYEN VAN A")
                #expect(data["virtualAccountName"] == "" && data["virtualAccountNumber"] == "")
                #expect(data["description"]?.stringValue?.hasSuffix(" Thanh toan don 123") == true)
                #expect(data["transactionDateTime"]?.stringValue?.wholeMatch(of: /\d{4}-\d\d-\d\d \d\d:\d\d:\d\d/) != nil)

                let info = try PaymentRequestsTests.signedData(try await sandbox.payOS(.GET, "/v2/payment-requests/123456789"))
                #expect(info["status"] == "PAID" && info["amountPaid"] == 50_000 && info["amountRemaining"] == 0)
                let transactions = try #require(info["transactions"]?.arrayValue)
                #expect(transactions.count == 1)
                let stored = try #require(transactions.first?.objectValue)
                #expect(
                    stored.keys == [
                        "reference", "amount", "accountNumber", "description", "transactionDateTime", "virtualAccountName",
                        "virtualAccountNumber", "counterAccountBankId", "counterAccountBankName", "counterAccountName", "counterAccountNumber",
                    ]
                )
                #expect(stored["reference"] == .string(reference) && stored["description"] == data["description"])
                #expect(stored["transactionDateTime"]?.stringValue?.hasSuffix("+07:00") == true)

                let deliveries = try await sandbox.waitForDeliveries { $0.first?.state == .delivered }
                #expect(deliveries.count == 1 && deliveries[0].attempts.map(\.status) == [200])
            }
        }
    }

    @Test func partialPaymentsMakeTheLinkUnderpaidUntilTheRestArrives() async throws {
        let listener = WebhookListener()
        try await listener.run { listenerURL in
            try await TestSandbox.with { sandbox in
                try await sandbox.setWebhookURL(listenerURL)
                _ = try await sandbox.createLink(orderCode: 5, amount: 10_000)
                let first = try await sandbox.control(
                    .POST,
                    "/payment-requests/5/pay",
                    json: ["amount": 4_000],
                    headers: [("x-client-id", "client-a")]
                )
                #expect(try first.json()["status"] == "UNDERPAID")
                var info = try PaymentRequestsTests.signedData(try await sandbox.payOS(.GET, "/v2/payment-requests/5"))
                #expect(info["status"] == "UNDERPAID" && info["amountPaid"] == 4_000 && info["amountRemaining"] == 6_000)

                let tooMuch = try await sandbox.control(
                    .POST,
                    "/payment-requests/5/pay",
                    json: ["amount": 6_001],
                    headers: [("x-client-id", "client-a")]
                )
                #expect(try tooMuch.status == 400 && tooMuch.json()["error"]?["code"] == "invalid_input")

                let second = try await sandbox.control(.POST, "/payment-requests/5/pay", headers: [("x-client-id", "client-a")])
                #expect(try second.json()["transaction"]?["amount"] == 6_000)
                info = try PaymentRequestsTests.signedData(try await sandbox.payOS(.GET, "/v2/payment-requests/5"))
                #expect(info["status"] == "PAID" && info["transactions"]?.arrayValue?.count == 2)

                let amounts = try await listener.waitFor(count: 2).map { try Self.verifiedWebhook($0)["amount"] }
                #expect(Set(amounts.compactMap { $0?.int64Value }) == [4_000, 6_000])
            }
        }
    }

    @Test func referencesAreUnique() async throws {
        try await TestSandbox.with { sandbox in
            var references: Set<String> = []
            for orderCode in 1...20 {
                _ = try await sandbox.createLink(orderCode: Int64(orderCode), amount: 3)
                for _ in 0..<3 { references.insert(try await sandbox.sandbox.pay(String(orderCode), amount: 1, clientId: "client-a").reference) }
            }
            #expect(references.count == 60)
        }
    }

    @Test func payingACancelledPaidOrUnknownLinkIsRefused() async throws {
        try await TestSandbox.with { sandbox in
            _ = try await sandbox.createLink(orderCode: 1)
            _ = try await sandbox.createLink(orderCode: 2)
            _ = try await sandbox.payOS(.POST, "/v2/payment-requests/1/cancel")
            try await sandbox.sandbox.pay("2", clientId: "client-a")
            for id in ["1", "2"] {
                let response = try await sandbox.control(.POST, "/payment-requests/\(id)/pay", json: [:], headers: [("x-client-id", "client-a")])
                #expect(response.status == 409)
                #expect(try response.json()["error"]?["code"] == "payment_link_not_payable")
            }
            let unknown = try await sandbox.control(.POST, "/payment-requests/999/pay")
            #expect(try unknown.status == 404 && unknown.json()["error"]?["code"] == "payment_link_not_found")
            let badAmount = try await sandbox.control(.POST, "/payment-requests/1/pay", json: ["amount": "all"])
            #expect(badAmount.status == 400)
            let unknownField = try await sandbox.control(.POST, "/payment-requests/1/pay", json: ["amonut": 5])
            #expect(unknownField.status == 400)
        }
    }

    @Test func orderCodeUsedByTwoChannelsNeedsAClientId() async throws {
        try await TestSandbox.with { sandbox in
            _ = try await sandbox.createLink(orderCode: 10)
            let b = try await sandbox.createLink(orderCode: 10, amount: 777, channel: channelB)
            let ambiguous = try await sandbox.control(.POST, "/payment-requests/10/pay")
            #expect(try ambiguous.status == 409 && ambiguous.json()["error"]?["code"] == "ambiguous_order_code")
            let byQuery = try await sandbox.control(.POST, "/payment-requests/10/pay?clientId=client-b")
            #expect(try byQuery.json()["transaction"]?["amount"] == 777)
            // A payment link id is global.
            let linkA = try await sandbox.sandbox.paymentLink("10", clientId: "client-a")
            let byID = try await sandbox.control(.POST, "/payment-requests/\(linkA.id)/pay")
            #expect(try byID.json()["paymentLinkId"] == .string(linkA.id))
            #expect(b["paymentLinkId"] != .string(linkA.id))
        }
    }

    @Test func failedDeliveriesAreRetriedWithBackoff() async throws {
        let listener = WebhookListener()
        listener.script([500, 503])
        try await listener.run { listenerURL in
            try await TestSandbox.with { sandbox in
                try await sandbox.setWebhookURL(listenerURL)
                _ = try await sandbox.createLink(orderCode: 1)
                try await sandbox.sandbox.pay("1", clientId: "client-a")
                let deliveries = try await sandbox.waitForDeliveries { $0.first?.state == .delivered }
                let attempts = try #require(deliveries.first?.attempts)
                #expect(attempts.map(\.status) == [500, 503, 200])
                #expect(attempts.map(\.error) == ["Request failed with status code 500", "Request failed with status code 503", nil])
                // Waits grow: 20 ms then 40 ms (fastRetry).
                #expect(attempts[1].startedAtMs - attempts[0].startedAtMs >= 20)
                #expect(attempts[2].startedAtMs - attempts[1].startedAtMs >= 40)
                let bodies = try await listener.waitFor(count: 3).map(\.body)
                #expect(Set(bodies).count == 1, "every attempt sends the same signed body")
            }
        }
    }

    @Test func deliveryGivesUpAfterTheLastAttempt() async throws {
        let listener = WebhookListener()
        listener.script(Array(repeating: 500, count: 10))
        try await listener.run { listenerURL in
            try await TestSandbox.with { sandbox in
                try await sandbox.setWebhookURL(listenerURL)
                _ = try await sandbox.createLink(orderCode: 1)
                try await sandbox.sandbox.pay("1", clientId: "client-a")
                let deliveries = try await sandbox.waitForDeliveries { $0.first?.state == .failed }
                #expect(deliveries.first?.attempts.count == TestSandbox.fastRetry.maximumAttempts)
                #expect(listener.received.count == TestSandbox.fastRetry.maximumAttempts)
            }
        }
    }

    @Test func unreachableWebhookURLIsRetriedAndReported() async throws {
        try await TestSandbox.with { sandbox in
            // A port nothing listens on: bind, read the port, close.
            let closedPort = try await WebhookListener().run { url in url }
            try await sandbox.setWebhookURL(closedPort + "/hook")
            _ = try await sandbox.createLink(orderCode: 1)
            try await sandbox.sandbox.pay("1", clientId: "client-a")
            let deliveries = try await sandbox.waitForDeliveries { $0.first?.state == .failed }
            let port = try #require(closedPort.split(separator: ":").last)
            #expect(deliveries.first?.attempts.allSatisfy { $0.status == nil && $0.error == "connect ECONNREFUSED 127.0.0.1:\(port)" } == true)
        }
    }

    @Test func withoutAWebhookURLThePaymentIsLoggedButNotSent() async throws {
        try await TestSandbox.with { sandbox in
            _ = try await sandbox.createLink(orderCode: 1)
            try await sandbox.sandbox.pay("1", clientId: "client-a")
            let deliveries = await sandbox.sandbox.deliveries()
            #expect(deliveries.map(\.state) == [.noWebhookURL])
            #expect(deliveries.first?.url == nil)
        }
    }

    @Test func deliveryLogIsVisibleThroughTheControlAPI() async throws {
        let listener = WebhookListener()
        try await listener.run { listenerURL in
            try await TestSandbox.with { sandbox in
                try await sandbox.setWebhookURL(listenerURL)
                try await sandbox.setWebhookURL(listenerURL, channel: channelB)
                _ = try await sandbox.createLink(orderCode: 1)
                _ = try await sandbox.createLink(orderCode: 2, channel: channelB)
                try await sandbox.sandbox.pay("1", clientId: "client-a")
                try await sandbox.sandbox.pay("2", clientId: "client-b")
                _ = try await sandbox.waitForDeliveries { $0.count == 2 && $0.allSatisfy { $0.state == .delivered } }
                let all = try await sandbox.control(.GET, "/deliveries").json()
                #expect(all["deliveries"]?.arrayValue?.count == 2)
                let onlyB = try await sandbox.control(.GET, "/deliveries?clientId=client-b").json()
                let entry = try #require(onlyB["deliveries"]?.arrayValue?.first?.objectValue)
                #expect(onlyB["deliveries"]?.arrayValue?.count == 1)
                #expect(
                    entry.keys == ["id", "clientId", "orderCode", "paymentLinkId", "reference", "url", "state", "duplicateOf", "attempts", "body"]
                )
                #expect(entry["clientId"] == "client-b" && entry["state"] == "delivered" && entry["orderCode"] == 2)
                // The logged body is exactly what the listener got.
                let received = listener.received.map { String(decoding: $0.body, as: UTF8.self) }
                #expect(received.contains(try #require(entry["body"]?.stringValue)))
            }
        }
    }
}
