// Copyright (c) the Gatehouse authors
import AsyncHTTPClient
import Foundation
import Logging
import LogTestSupport
import NIOHTTP1
import PayOS
import PayOSSandbox
import Testing
import GatehouseCore

/// Our own `PayOSClient` runs the scenario the official Python SDK runs in `Interop/interop.py`, against the
/// in-process sandbox: create (Vietnamese descriptions measured as payOS measures them), get by order code and by
/// paymentLinkId, duplicate order codes (recovered by lookup only when the link is the one asked for), unknown links,
/// bad credentials, cancel, confirm-webhook, a payment webhook verified with `PayOSWebhook.verify`, and every
/// injected fault mapped to its error after the client's retries.
@Suite(.timeLimit(.minutes(2)))
struct SwiftClientScenarioTests {
    /// The merchant channel of the scenario. Its keys are marked so a leak into logs or error texts is visible.
    static let channel = SandboxChannel(
        clientId: "gatehouse-swift-client",
        apiKey: "api-SECRET-7d41c2",
        checksumKey: "checksum-SECRET-e9a05b71",
        accountName: "NHA TRO GATEHOUSE"
    )

    static let credentials = PayOSCredentials(clientId: channel.clientId, apiKey: channel.apiKey, checksumKey: channel.checksumKey)

    /// A create request as the gateway would make it (ASCII description unless a test needs another).
    static func request(_ orderCode: Int64, amount: Int64 = 50_000, description: String = "Thanh toan phong 101") -> CreatePaymentLinkRequest {
        CreatePaymentLinkRequest(
            orderCode: orderCode,
            amount: amount,
            description: description,
            cancelUrl: "https://nha-tro.example.vn/thanh-toan/huy",
            returnUrl: "https://nha-tro.example.vn/thanh-toan/xong"
        )
    }

    // MARK: Create and read back

    @Test func createdLinkReadsBackTheSameByOrderCodeAndByPaymentLinkId() async throws {
        try await SwiftClientHarness.with { h in
            var request = Self.request(1001, amount: 5_000, description: "Thanh toán đơn hàng")
            request.items = [PaymentLinkItem(name: "Phòng 101", quantity: 1, price: 5_000)]
            request.buyerName = "Nguyễn Văn A"
            request.buyerEmail = "a@example.vn"
            request.buyerPhone = "0912345678"
            let expiry = Int64(Date().timeIntervalSince1970) + 3_600
            request.expiredAt = expiry

            let result = try await h.client.createPaymentLink(request, credentials: h.credentials, logger: h.logger)
            #expect(!result.isRecovered)
            let created = try #require(result.created)
            #expect(created.paymentLinkId.wholeMatch(of: /[0-9a-f]{32}/) != nil, "\(created.paymentLinkId)")
            #expect(created.status == .pending && result.status == .pending)
            #expect(created.orderCode == 1001 && created.amount == 5_000 && created.currency == "VND")
            #expect(created.description == "Thanh toán đơn hàng")
            #expect(created.bin == "970422" && created.accountNumber == Self.channel.accountNumber)
            #expect(created.accountName == Self.channel.accountName)
            #expect(created.expiredAt == expiry)
            #expect(created.checkoutUrl == "\(h.sandbox.baseURL)/web/\(created.paymentLinkId)")
            #expect(result.checkoutUrl == created.checkoutUrl && result.paymentLinkId == created.paymentLinkId)
            // VietQR: amount tag 54 = "5000", country VN, transfer content folded to ASCII.
            #expect(created.qrCode.hasPrefix("000201010212") && created.qrCode.contains("54045000") && created.qrCode.contains("5802VN"))
            #expect(created.qrCode.contains("Thanh toan don hang"))

            let byOrderCode = try await h.client.getPaymentLink(orderCode: 1001, credentials: h.credentials, logger: h.logger)
            let byID = try await h.client.getPaymentLink(paymentLinkId: created.paymentLinkId, credentials: h.credentials, logger: h.logger)
            #expect(byOrderCode == byID)
            #expect(byOrderCode.id == created.paymentLinkId && byOrderCode.orderCode == 1001 && byOrderCode.amount == 5_000)
            #expect(byOrderCode.status == .pending && byOrderCode.amountPaid == 0 && byOrderCode.amountRemaining == 5_000)
            #expect(byOrderCode.transactions.isEmpty && byOrderCode.cancellationReason == nil && byOrderCode.canceledAt == nil)
            #expect(byOrderCode.createdAt.wholeMatch(of: /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+07:00/) != nil, "\(byOrderCode.createdAt)")
            // Each call verified its answer's signature and succeeded at the first attempt.
            #expect(h.logs.attempts(of: "createPaymentLink").map(\.message) == ["payOS call succeeded"])
            #expect(h.logs.attempts(of: "getPaymentLink").map(\.message) == ["payOS call succeeded", "payOS call succeeded"])
        }
    }

    @Test func vietnameseDescriptionsAreMeasuredInUTF16UnitsAsPayOSMeasuresThem() async throws {
        let exactly25 = "Tiền phòng tháng 6 Đà Lạt"
        let twentySix = "Tiền phòng tháng 12 Đà Lạt"
        // The same 25 characters in decomposed form (NFD): Swift calls the strings equal, payOS counts 31 units.
        let decomposed = "Ti\u{65}\u{302}\u{300}n ph\u{6F}\u{300}ng th\u{61}\u{301}ng 6 \u{110}\u{61}\u{300} L\u{61}\u{323}t"
        #expect(exactly25.utf16.count == 25 && exactly25.utf8.count > 25)
        #expect(twentySix.utf16.count == 26)
        #expect(decomposed == exactly25 && decomposed.count == 25 && decomposed.utf16.count == 31)

        try await SwiftClientHarness.with { h in
            let accepted = try await h.client.createPaymentLink(
                Self.request(2001, description: exactly25),
                credentials: h.credentials,
                logger: h.logger
            )
            let echoed = try #require(accepted.created?.description)
            #expect(Array(echoed.utf8) == Array(exactly25.utf8))

            for (orderCode, description) in [(Int64(2002), twentySix), (Int64(2003), decomposed)] {
                let error = try await #require(throws: PayOSError.self) {
                    try await h.client.createPaymentLink(
                        Self.request(orderCode, description: description),
                        credentials: h.credentials,
                        logger: h.logger
                    )
                }
                #expect(error.code == .invalidRequest)
                #expect(error.schemaError == PayOSSchemaError(.outOfRange, path: "description"))
                // payOS refuses the same description: the sandbox, sent the signed body directly, answers code 20.
                let raw = try await h.sandbox.payOS(
                    .POST,
                    "/v2/payment-requests",
                    json: h.sandbox.createBody(orderCode: orderCode, description: description, channel: Self.channel),
                    channel: Self.channel
                )
                let envelope = try raw.json()
                #expect(envelope["code"] == "20" && envelope["desc"] == "description: Mô tả tối đa 25 kí tự", "\(raw.text)")
            }
            // The refused requests never left the client: one attempt in all, the accepted one.
            #expect(h.logs.attempts(of: "createPaymentLink").count == 1)
        }
    }

    // MARK: Duplicate order codes (payOS code 231)

    @Test func duplicateOrderCodeWithTheSameAmountIsRecoveredByLookup() async throws {
        try await SwiftClientHarness.with { h in
            let first = try await h.client.createPaymentLink(Self.request(3001, amount: 20_000), credentials: h.credentials, logger: h.logger)
            h.logs.reset()
            let again = try await h.client.createPaymentLink(Self.request(3001, amount: 20_000), credentials: h.credentials, logger: h.logger)

            #expect(again.isRecovered && again.created == nil && again.qrCode == nil)
            #expect(again.paymentLinkId == first.paymentLinkId && again.orderCode == 3001 && again.amount == 20_000)
            #expect(again.status == .pending)
            // Rebuilt from the configured checkout prefix: the same page the create answered.
            #expect(again.checkoutUrl == first.checkoutUrl)
            #expect(again.recoveredLink?.id == first.paymentLinkId && again.recoveredLink?.amountRemaining == 20_000)
            // payOS said 231, then the client looked the link up.
            #expect(h.logs.attempts(of: "createPaymentLink").map { $0.metadata["payos.code"] } == ["231"])
            #expect(h.logs.attempts(of: "getPaymentLink").count == 1)
            #expect(h.logs.all.contains { $0.message == "payOS create recovered after code 231" })
        }
    }

    @Test func duplicateOrderCodeWithAnotherAmountOrACancelledLinkThrowsThe231() async throws {
        try await SwiftClientHarness.with { h in
            let first = try await h.client.createPaymentLink(Self.request(3101, amount: 20_000), credentials: h.credentials, logger: h.logger)

            let otherAmount = try await #require(throws: PayOSError.self) {
                try await h.client.createPaymentLink(Self.request(3101, amount: 25_000), credentials: h.credentials, logger: h.logger)
            }
            #expect(otherAmount.isBusiness(PayOSError.BusinessCode.orderCodeExists) && otherAmount.httpStatus == 200)
            #expect(otherAmount.businessDescription == "Đơn thanh toán đã tồn tại")
            #expect(otherAmount.description == "payOS request failed: business code 231")
            // The existing link is untouched.
            let existing = try await h.client.getPaymentLink(orderCode: 3101, credentials: h.credentials, logger: h.logger)
            #expect(existing.id == first.paymentLinkId && existing.amount == 20_000 && existing.status == .pending)

            // A cancelled link is not handed back as if it were usable, even for the same amount.
            _ = try await h.client.cancelPaymentLink(.orderCode(3101), credentials: h.credentials, logger: h.logger)
            let cancelled = try await #require(throws: PayOSError.self) {
                try await h.client.createPaymentLink(Self.request(3101, amount: 20_000), credentials: h.credentials, logger: h.logger)
            }
            #expect(cancelled.isBusiness(PayOSError.BusinessCode.orderCodeExists))
        }
    }

    // MARK: Refusals

    @Test func unknownLinkIsBusinessCode101ByOrderCodeAndByPaymentLinkId() async throws {
        try await SwiftClientHarness.with { h in
            for reference in [PaymentLinkReference.orderCode(4242), .paymentLinkId("0123456789abcdef0123456789abcdef")] {
                let lookup = try await #require(throws: PayOSError.self) {
                    try await h.client.getPaymentLink(reference, credentials: h.credentials, logger: h.logger)
                }
                #expect(lookup.isBusiness(PayOSError.BusinessCode.notFound) && lookup.httpStatus == 200, "\(reference)")
                #expect(lookup.businessDescription == "Đơn thanh toán không tồn tại")
                let cancel = try await #require(throws: PayOSError.self) {
                    try await h.client.cancelPaymentLink(reference, credentials: h.credentials, logger: h.logger)
                }
                #expect(cancel.isBusiness(PayOSError.BusinessCode.notFound), "\(reference)")
            }
            // A business answer is final: nothing was retried.
            #expect(h.logs.attempts(of: "getPaymentLink").count == 2)
            #expect(h.logs.attempts(of: "cancelPaymentLink").count == 2)
        }
    }

    @Test func wrongAPIKeyOrUnknownClientIdIsUnauthorized() async throws {
        try await SwiftClientHarness.with { h in
            let intruders = [
                PayOSCredentials(clientId: Self.channel.clientId, apiKey: "api-SECRET-wrong", checksumKey: Self.channel.checksumKey),
                PayOSCredentials(clientId: "someone-else", apiKey: Self.channel.apiKey, checksumKey: Self.channel.checksumKey),
            ]
            for intruder in intruders {
                let lookup = try await #require(throws: PayOSError.self) {
                    try await h.client.getPaymentLink(orderCode: 5001, credentials: intruder, logger: h.logger)
                }
                #expect(lookup.code == .unauthorized && lookup.httpStatus == 401 && lookup.businessCode == "401")
                let create = try await #require(throws: PayOSError.self) {
                    try await h.client.createPaymentLink(Self.request(5001), credentials: intruder, logger: h.logger)
                }
                #expect(create.code == .unauthorized)
                for error in [lookup, create] {
                    #expect(!"\(error)".contains("SECRET") && !String(reflecting: error).contains("SECRET"))
                }
            }
            #expect(h.logs.attempts(of: "getPaymentLink").count == 2 && h.logs.attempts(of: "createPaymentLink").count == 2)
            // Nothing was created with refused credentials.
            let after = try await #require(throws: PayOSError.self) {
                try await h.client.getPaymentLink(orderCode: 5001, credentials: h.credentials, logger: h.logger)
            }
            #expect(after.isBusiness(PayOSError.BusinessCode.notFound))
        }
    }

    // MARK: Cancel

    @Test func cancelSetsCancelledAndTheReasonRoundTrips() async throws {
        try await SwiftClientHarness.with { h in
            let withReason = try await h.client.createPaymentLink(Self.request(6001), credentials: h.credentials, logger: h.logger)
            let withoutReason = try await h.client.createPaymentLink(Self.request(6002), credentials: h.credentials, logger: h.logger)

            let reason = "Khách đổi ngày nhận phòng"
            let cancelled = try await h.client.cancelPaymentLink(.orderCode(6001), reason: reason, credentials: h.credentials, logger: h.logger)
            #expect(cancelled.id == withReason.paymentLinkId && cancelled.status == .cancelled)
            #expect(cancelled.cancellationReason == reason)
            let canceledAt = try #require(cancelled.canceledAt)
            #expect(canceledAt.wholeMatch(of: /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+07:00/) != nil, "\(canceledAt)")
            #expect(try await h.client.getPaymentLink(orderCode: 6001, credentials: h.credentials, logger: h.logger) == cancelled)

            let plain = try await h.client.cancelPaymentLink(
                .paymentLinkId(withoutReason.paymentLinkId),
                credentials: h.credentials,
                logger: h.logger
            )
            #expect(plain.orderCode == 6002 && plain.status == .cancelled)
            #expect(plain.cancellationReason == nil && plain.canceledAt != nil)
            #expect(
                try await h.client.getPaymentLink(paymentLinkId: withoutReason.paymentLinkId, credentials: h.credentials, logger: h.logger) == plain
            )
        }
    }

    // MARK: Webhooks

    @Test func confirmWebhookRegistersALiveListenerAndRefusesOneAnswering404() async throws {
        try await SwiftClientHarness.with { h in
            try await SwiftClientWebhookListener.run { baseURL, inbox in
                let url = baseURL + SwiftClientWebhookListener.webhookPath
                // Decoding requires exactly the five documented keys, so success means payOS answered those five.
                let confirmed = try await h.client.confirmWebhook(url: url, credentials: h.credentials, logger: h.logger)
                #expect(confirmed.webhookUrl == url)
                #expect(confirmed.accountName == Self.channel.accountName && confirmed.accountNumber == Self.channel.accountNumber)
                #expect(confirmed.shortName == "MBBank" && confirmed.name == "Ngân hàng TMCP Quân đội")

                // payOS probed the URL with the docs' sample, signed with the channel's key.
                let probe = try #require(await inbox.next { $0.path == SwiftClientWebhookListener.webhookPath })
                let verified = try PayOSWebhook.verify(body: probe.body, checksumKeys: [Self.channel.checksumKey])
                #expect(verified.data.isConfirmationProbe)
                #expect(verified.data == PayOSWebhookData.confirmationSample)

                let refused = try await #require(throws: PayOSError.self) {
                    try await h.client.confirmWebhook(
                        url: baseURL + SwiftClientWebhookListener.missingPath,
                        credentials: h.credentials,
                        logger: h.logger
                    )
                }
                #expect(refused.isBusiness(PayOSError.BusinessCode.invalidInput) && refused.httpStatus == 400)
                #expect(refused.businessDescription == "Webhook url invalid")
                // The probe did reach the 404 URL.
                #expect(await inbox.next { $0.path == SwiftClientWebhookListener.missingPath } != nil)
            }
        }
    }

    @Test func paymentWebhookVerifiesWithTheChecksumKeyAndTheLinkReadsBackPaid() async throws {
        try await SwiftClientHarness.with { h in
            try await SwiftClientWebhookListener.run { baseURL, inbox in
                let url = baseURL + SwiftClientWebhookListener.webhookPath
                _ = try await h.client.confirmWebhook(url: url, credentials: h.credentials, logger: h.logger)
                let created = try await h.client.createPaymentLink(Self.request(7001, amount: 150_000), credentials: h.credentials, logger: h.logger)

                // A renter pays the whole amount (the sandbox's control API stands in for the bank).
                let paid = try await h.sandbox.control(.POST, "/payment-requests/7001/pay", headers: [("x-client-id", Self.channel.clientId)])
                #expect(paid.status == 200, "\(paid.text)")
                let answer = try paid.json()
                let reference = try #require(answer["transaction"]?["reference"]?.stringValue, "\(paid.text)")
                #expect(answer["status"] == "PAID")

                let delivery = try #require(await inbox.next { $0.reference == reference })
                #expect(delivery.path == SwiftClientWebhookListener.webhookPath)
                let verified = try PayOSWebhook.verify(body: delivery.body, checksumKeys: [Self.channel.checksumKey])
                #expect(verified.matchedKeyIndex == 0)
                #expect(verified.body.code == "00" && verified.body.success == true)
                let data = verified.data
                #expect(data.orderCode == 7001 && data.amount == 150_000 && data.currency == "VND" && data.code == "00")
                #expect(data.paymentLinkId == created.paymentLinkId && data.reference == reference)
                #expect(data.accountNumber == Self.channel.accountNumber && !data.isConfirmationProbe)
                #expect(data.transactionDateTime.wholeMatch(of: /\d{4}-\d\d-\d\d \d\d:\d\d:\d\d/) != nil, "\(data.transactionDateTime)")

                // Another key does not verify it; during a rotation the previous key still does, and says so.
                #expect(throws: PayOSWebhookError(.invalidSignature)) {
                    try PayOSWebhook.verify(body: delivery.body, checksumKeys: ["checksum-key-of-another-merchant"])
                }
                let rotated = try PayOSWebhook.verify(body: delivery.body, checksumKeys: ["checksum-key-not-yet-in-use", Self.channel.checksumKey])
                #expect(rotated.matchedKeyIndex == 1)
                // A changed amount breaks the signature.
                let text = String(decoding: delivery.body, as: UTF8.self)
                let tampered = text.replacingOccurrences(of: #""amount":150000,"#, with: #""amount":1500000,"#)
                #expect(tampered != text)
                #expect(throws: PayOSWebhookError(.invalidSignature)) {
                    try PayOSWebhook.verify(body: Array(tampered.utf8), checksumKeys: [Self.channel.checksumKey])
                }

                let link = try await h.client.getPaymentLink(orderCode: 7001, credentials: h.credentials, logger: h.logger)
                #expect(link.status == .paid && link.amountPaid == 150_000 && link.amountRemaining == 0)
                #expect(link.transactions.count == 1)
                let transaction = try #require(link.transactions.first)
                #expect(transaction.amount == 150_000 && transaction.reference == reference)
                #expect(transaction.accountNumber == data.accountNumber && transaction.description == data.description)
            }
        }
    }

    @Test func partialPaymentsReadBackUnderpaidThenPaidWithOneVerifiedWebhookEach() async throws {
        try await SwiftClientHarness.with { h in
            try await SwiftClientWebhookListener.run { baseURL, inbox in
                _ = try await h.client.confirmWebhook(
                    url: baseURL + SwiftClientWebhookListener.webhookPath,
                    credentials: h.credentials,
                    logger: h.logger
                )
                _ = try await h.client.createPaymentLink(Self.request(7101, amount: 10_000), credentials: h.credentials, logger: h.logger)

                var references: [String] = []
                // The first transfer names its amount; the second body is empty and pays what remains.
                let parts: [(body: JSONValue?, status: PayOS.PaymentLinkStatus)] = [(["amount": 4_000], .underpaid), (nil, .paid)]
                for (part, expected) in parts {
                    let paid = try await h.sandbox.control(
                        .POST,
                        "/payment-requests/7101/pay",
                        json: part,
                        headers: [("x-client-id", Self.channel.clientId)]
                    )
                    let reference = try #require(try paid.json()["transaction"]?["reference"]?.stringValue, "\(paid.text)")
                    references.append(reference)
                    let delivery = try #require(await inbox.next { $0.reference == reference })
                    let data = try PayOSWebhook.verify(body: delivery.body, checksumKeys: [Self.channel.checksumKey]).data
                    #expect(data.amount == (expected == .underpaid ? 4_000 : 6_000) && data.orderCode == 7101)
                    let link = try await h.client.getPaymentLink(orderCode: 7101, credentials: h.credentials, logger: h.logger)
                    #expect(link.status == expected)
                    #expect(link.amountPaid == 10_000 - link.amountRemaining && link.amountRemaining == (expected == .underpaid ? 6_000 : 0))
                }
                let link = try await h.client.getPaymentLink(orderCode: 7101, credentials: h.credentials, logger: h.logger)
                #expect(link.transactions.map(\.reference) == references && link.transactions.map(\.amount) == [4_000, 6_000])
            }
        }
    }

    // MARK: Injected faults

    @Test func corruptedResponseSignaturesFailClosedOnEveryCall() async throws {
        try await SwiftClientHarness.with { h in
            try await h.setFaults(SandboxFaults(invalidSignatureRate: 1))
            let create = try await #require(throws: PayOSError.self) {
                try await h.client.createPaymentLink(Self.request(8001), credentials: h.credentials, logger: h.logger)
            }
            #expect(create.code == .invalidSignature && create.httpStatus == 200)
            // The create took effect at payOS; only its answer could not be trusted.
            let stored = try await h.sandbox.sandbox.paymentLink("8001", clientId: Self.channel.clientId)
            for reference in [PaymentLinkReference.orderCode(8001), .paymentLinkId(stored.id)] {
                let lookup = try await #require(throws: PayOSError.self) {
                    try await h.client.getPaymentLink(reference, credentials: h.credentials, logger: h.logger)
                }
                #expect(lookup.code == .invalidSignature, "\(reference)")
            }
            // Not transient, so never retried; each refusal is logged as a warning.
            #expect(h.logs.attempts(of: "createPaymentLink").count == 1 && h.logs.attempts(of: "getPaymentLink").count == 2)
            #expect(h.logs.all.filter { $0.level == .warning && $0.message == "payOS answer failed signature verification" }.count == 3)

            // With trustworthy answers again, repeating the create recovers the link the untrusted answer described.
            try await h.setFaults(.off)
            let retried = try await h.client.createPaymentLink(Self.request(8001), credentials: h.credentials, logger: h.logger)
            #expect(retried.isRecovered && retried.paymentLinkId == stored.id)

            // Cancel answers are checked too; the cancel itself happened.
            try await h.setFaults(SandboxFaults(invalidSignatureRate: 1))
            let cancel = try await #require(throws: PayOSError.self) {
                try await h.client.cancelPaymentLink(.orderCode(8001), reason: "Sai thông tin", credentials: h.credentials, logger: h.logger)
            }
            #expect(cancel.code == .invalidSignature)
            try await h.setFaults(.off)
            let after = try await h.client.getPaymentLink(orderCode: 8001, credentials: h.credentials, logger: h.logger)
            #expect(after.status == .cancelled && after.cancellationReason == "Sai thông tin")
        }
    }

    @Test func serverErrorsAreRetriedThenReportedUnreachable() async throws {
        try await SwiftClientHarness.with { h in
            let client = h.client(retryPolicy: PayOSRetryPolicy(maximumRetries: 2, baseDelay: .milliseconds(20), maximumDelay: .milliseconds(50)))
            try await h.setFaults(SandboxFaults(errorRate: 1))
            let error = try await #require(throws: PayOSError.self) {
                try await client.createPaymentLink(Self.request(9001), credentials: h.credentials, logger: h.logger)
            }
            #expect(error.code == .unreachable && error.isTransient && error.httpStatus == 500 && error.businessCode == "500")
            let attempts = h.logs.attempts(of: "createPaymentLink")
            #expect(attempts.map { $0.metadata["payos.attempt"] } == ["1", "2", "3"])
            #expect(attempts.map(\.message) == ["payOS call failed, retrying", "payOS call failed, retrying", "payOS call failed"])
            #expect(attempts.allSatisfy { $0.metadata["http.status"] == "500" })

            // The failed attempts changed nothing: the same create now makes a new link.
            try await h.setFaults(.off)
            let created = try await client.createPaymentLink(Self.request(9001), credentials: h.credentials, logger: h.logger)
            #expect(!created.isRecovered)
        }
    }

    @Test func rateLimitedCallWaitsRetryAfterThenReportsIt() async throws {
        try await SwiftClientHarness.with { h in
            let client = h.client(retryPolicy: PayOSRetryPolicy(maximumRetries: 1, baseDelay: .milliseconds(20), maximumRetryAfter: .seconds(5)))
            try await h.setFaults(SandboxFaults(rateLimitRate: 1, retryAfterSeconds: 1))
            let start = ContinuousClock.now
            let error = try await #require(throws: PayOSError.self) {
                try await client.getPaymentLink(orderCode: 9101, credentials: h.credentials, logger: h.logger)
            }
            let elapsed = ContinuousClock.now - start
            #expect(error.code == .rateLimited && error.httpStatus == 429 && error.retryAfter == .seconds(1))
            let attempts = h.logs.attempts(of: "getPaymentLink")
            #expect(attempts.count == 2)
            // The one retry waited exactly what payOS asked for.
            #expect(attempts.first?.metadata["payos.retry_in_ms"] == "1000")
            #expect(elapsed >= .seconds(1), "\(elapsed)")
        }
    }

    @Test func retryAfterBeyondThePolicyCapIsReportedWithoutWaiting() async throws {
        try await SwiftClientHarness.with { h in
            let client = h.client(retryPolicy: PayOSRetryPolicy(maximumRetries: 2, baseDelay: .milliseconds(20), maximumRetryAfter: .seconds(5)))
            try await h.setFaults(SandboxFaults(rateLimitRate: 1, retryAfterSeconds: 30))
            let start = ContinuousClock.now
            let error = try await #require(throws: PayOSError.self) {
                try await client.getPaymentLink(orderCode: 9201, credentials: h.credentials, logger: h.logger)
            }
            #expect(error.code == .rateLimited && error.retryAfter == .seconds(30))
            #expect(h.logs.attempts(of: "getPaymentLink").count == 1)
            // The caller learns the wait at once instead of hanging for it.
            #expect(ContinuousClock.now - start < .seconds(10))
        }
    }

    @Test func answerSlowerThanTheRequestTimeoutIsATimeoutAndTheCreateStaysRecoverable() async throws {
        try await SwiftClientHarness.with { h in
            let impatient = h.client(
                requestTimeout: .milliseconds(300),
                retryPolicy: PayOSRetryPolicy(maximumRetries: 1, baseDelay: .milliseconds(20))
            )
            try await h.setFaults(SandboxFaults(latencyMs: 1_500))
            let error = try await #require(throws: PayOSError.self) {
                try await impatient.createPaymentLink(Self.request(9301), credentials: h.credentials, logger: h.logger)
            }
            #expect(error.code == .timeout && error.isTransient && error.httpStatus == nil)
            #expect(h.logs.attempts(of: "createPaymentLink").map { $0.metadata["payos.error"] } == ["timeout", "timeout"])

            // payOS finished the first attempt after the client gave up (a lost answer); repeating the create is safe.
            try await h.waitForLink(orderCode: 9301)
            try await h.setFaults(.off)
            let retried = try await h.client.createPaymentLink(Self.request(9301), credentials: h.credentials, logger: h.logger)
            #expect(retried.isRecovered && retried.amount == 50_000)
        }
    }
}

/// One scenario's world: an in-process sandbox holding the scenario channel, our client pointed at it through an
/// `HTTPClient` made with ``PayOSClient/recommendedHTTPClientConfiguration()`` (shut down at the end), and a capture
/// of what the client logged, checked for keys after every test.
struct SwiftClientHarness: Sendable {
    let sandbox: TestSandbox
    let httpClient: HTTPClient
    let logs: LogCapture
    var credentials: PayOSCredentials { SwiftClientScenarioTests.credentials }
    var logger: Logger { logs.logger }

    /// Our client with a 10 s timeout and quick retries.
    var client: PayOSClient { client() }

    /// Our client with the given timeout and retry policy; recovered checkout URLs point at the sandbox.
    func client(
        requestTimeout: Duration = .seconds(10),
        retryPolicy: PayOSRetryPolicy = PayOSRetryPolicy(maximumRetries: 2, baseDelay: .milliseconds(20), maximumDelay: .milliseconds(100))
    ) -> PayOSClient {
        PayOSClient(
            httpClient: httpClient,
            configuration: .init(
                baseURL: sandbox.baseURL,
                requestTimeout: requestTimeout,
                retryPolicy: retryPolicy,
                checkoutURLPrefix: sandbox.baseURL + "/web/"
            )
        )
    }

    /// Seed of the sandbox's fault decisions, so a fractional fault rate decides the same way every run.
    static let seed: UInt64 = 20_250_618

    static func with<T: Sendable>(
        seed: UInt64 = SwiftClientHarness.seed,
        sourceLocation: SourceLocation = #_sourceLocation,
        _ body: @Sendable (SwiftClientHarness) async throws -> T
    ) async throws -> T {
        let logs = LogCapture()
        let result = try await TestSandbox.with(channels: [SwiftClientScenarioTests.channel], seed: seed) { sandbox in
            let httpClient = HTTPClient(eventLoopGroupProvider: .singleton, configuration: PayOSClient.recommendedHTTPClientConfiguration())
            do {
                let result = try await body(SwiftClientHarness(sandbox: sandbox, httpClient: httpClient, logs: logs))
                try await httpClient.shutdown()
                return result
            } catch {
                try? await httpClient.shutdown()
                throw error
            }
        }
        logs.expectNoSecrets([SwiftClientScenarioTests.channel.apiKey, SwiftClientScenarioTests.channel.checksumKey], sourceLocation: sourceLocation)
        return result
    }

    /// Replaces the scenario channel's faults.
    func setFaults(_ faults: SandboxFaults) async throws {
        try await sandbox.sandbox.setFaults(faults, clientId: SwiftClientScenarioTests.channel.clientId)
    }

    /// Waits until the sandbox holds a link for `orderCode`, failing after `timeout`.
    func waitForLink(orderCode: Int64, timeout: Duration = .seconds(10), sourceLocation: SourceLocation = #_sourceLocation) async throws {
        let deadline = ContinuousClock.now + timeout
        while (try? await sandbox.sandbox.paymentLink(String(orderCode), clientId: SwiftClientScenarioTests.channel.clientId)) == nil {
            guard ContinuousClock.now < deadline else {
                Issue.record("no link for order code \(orderCode) after \(timeout)", sourceLocation: sourceLocation)
                return
            }
            try await Task.sleep(for: .milliseconds(10))
        }
    }
}
