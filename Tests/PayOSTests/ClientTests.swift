// Copyright (c) the Gatehouse authors
import Logging
import LogTestSupport
import Testing

@testable import PayOS

/// The client's own behaviour that needs no payOS server: refusal before sending, transport failures on a port
/// nothing listens on, recovery decisions, and what it logs. Answer handling is covered by `ResponseDecoderTests`;
/// the live scenario against the simulator belongs to the sandbox tests.
@Suite struct ClientTests {
    let credentials = PayOSCredentials(
        clientId: "client-123",
        apiKey: "api-key-SECRET-4f1d",
        checksumKey: "checksum-SECRET-9a2b"
    )

    /// Port 1 (tcpmux) on loopback: nothing listens there, so connecting is refused at once.
    func refusedClient(retries: Int = 2) -> PayOSClient {
        PayOSClient(
            configuration: .init(
                baseURL: "http://127.0.0.1:1",
                requestTimeout: .seconds(5),
                retryPolicy: PayOSRetryPolicy(maximumRetries: retries, baseDelay: .milliseconds(1))
            )
        )
    }

    func payOSError(_ body: () async throws -> some Any) async -> PayOSError? {
        do {
            _ = try await body()
            return nil
        } catch let error as PayOSError {
            return error
        } catch {
            Issue.record("unexpected error \(error)")
            return nil
        }
    }

    // MARK: Credentials

    @Test func credentialsNeverShowTheirKeys() {
        let texts = [
            "\(credentials)", String(reflecting: credentials),
            {
                var s = ""; dump(credentials, to: &s); return s
            }(),
        ]
        for text in texts {
            #expect(text.contains("client-123"))
            #expect(!text.contains("SECRET"))
        }
    }

    // MARK: Refusal before sending

    @Test func invalidCreateIsRefusedBeforeSending() async {
        var request = ProtocolSamples.createRequestC1
        request.description = String(repeating: "x", count: 26)
        let error = await payOSError { try await refusedClient().createPaymentLink(request, credentials: credentials) }
        // `unreachable` would mean it tried the network.
        #expect(error?.code == .invalidRequest)
        #expect(error?.schemaError == PayOSSchemaError(.outOfRange, path: "description"))
    }

    @Test func unsafePaymentLinkIdsAreRefused() async {
        for id in ["../confirm-webhook", "abc/def", "a?b=1", "", "lien-ket-thanh-toán"] {
            let error = await payOSError { try await refusedClient().getPaymentLink(paymentLinkId: id, credentials: credentials) }
            #expect(error?.code == .invalidRequest, "id \(id)")
        }
        let error = await payOSError { try await refusedClient().cancelPaymentLink(.orderCode(0), credentials: credentials) }
        #expect(error?.code == .invalidRequest)
    }

    @Test func credentialsThatWouldSplitHeadersAreRefused() async {
        let bad = PayOSCredentials(clientId: "client", apiKey: "key\r\nx-evil: 1", checksumKey: "k")
        let error = await payOSError { try await refusedClient().getPaymentLink(orderCode: 1, credentials: bad) }
        #expect(error?.schemaError == PayOSSchemaError(.invalidValue, path: "credentials.apiKey"))
        let noChecksum = PayOSCredentials(clientId: "client", apiKey: "key", checksumKey: "")
        #expect(await payOSError { try await refusedClient().getPaymentLink(orderCode: 1, credentials: noChecksum) }?.code == .invalidRequest)
    }

    // MARK: Transport failures

    @Test func refusedConnectionIsUnreachableAfterTwoRetries() async throws {
        let records = LogCapture()
        let logger = records.logger
        let error = await payOSError { try await refusedClient().getPaymentLink(orderCode: 123456789, credentials: credentials, logger: logger) }
        #expect(error?.code == .unreachable)
        #expect(error?.description == "payOS request failed: unreachable")
        let attempts = records.all.compactMap { $0.metadata["payos.attempt"] }.map { "\($0)" }
        #expect(attempts == ["1", "2", "3"])
        #expect(records.all.filter { $0.message.contains("retrying") }.count == 2)
        #expect(records.all.allSatisfy { $0.metadata["payos.operation"] == "getPaymentLink" })
        // Nothing logged carries a key.
        records.expectNoSecrets(["SECRET"])
    }

    @Test func createOnARefusedConnectionIsUnreachableNotRecovered() async {
        let error = await payOSError {
            try await refusedClient(retries: 0).createPaymentLink(ProtocolSamples.createRequestC1, credentials: credentials)
        }
        #expect(error?.code == .unreachable)
    }

    @Test func cancellationIsNotTurnedIntoAPayOSError() async {
        let client = PayOSClient(
            configuration: .init(baseURL: "http://127.0.0.1:1", retryPolicy: PayOSRetryPolicy(maximumRetries: 2, baseDelay: .seconds(30)))
        )
        let task = Task { try await client.getPaymentLink(orderCode: 1, credentials: credentials) }
        task.cancel()
        let result = await task.result
        #expect(throws: CancellationError.self) { try result.get() }
    }

    // MARK: Recovery after code 231

    @Test func recoveryAcceptsOnlyAUsableLinkWithTheRequestedAmount() throws {
        let request = ProtocolSamples.createRequestC1
        let prefix = "https://pay.payos.vn/web/"
        let recovered = try #require(CreatePaymentLinkResult(recovering: ProtocolSamples.pendingLink, for: request, checkoutURLPrefix: prefix))
        #expect(recovered.isRecovered && recovered.qrCode == nil && recovered.status == .pending)
        #expect(recovered.checkoutUrl == "https://pay.payos.vn/web/\(ProtocolSamples.linkId)")
        #expect(recovered.paymentLinkId == ProtocolSamples.linkId)
        // Already paid (the renter paid the link whose answer was lost) is still ours.
        #expect(CreatePaymentLinkResult(recovering: ProtocolSamples.paidLinkG1, for: request, checkoutURLPrefix: prefix) != nil)

        var otherAmount = ProtocolSamples.pendingLink
        otherAmount.amount = 60000
        #expect(CreatePaymentLinkResult(recovering: otherAmount, for: request, checkoutURLPrefix: prefix) == nil)
        for status in [PaymentLinkStatus.cancelled, .expired, .failed] {
            var dead = ProtocolSamples.pendingLink
            dead.status = status
            #expect(CreatePaymentLinkResult(recovering: dead, for: request, checkoutURLPrefix: prefix) == nil)
        }
        let created = CreatePaymentLinkResult(created: ProtocolSamples.createResponseR1)
        #expect(!created.isRecovered && created.qrCode == ProtocolSamples.createResponseR1.qrCode)
    }
}
