// Copyright (c) the Gatehouse authors
import Foundation
import Logging
import LogTestSupport
import PayOS
import Testing

@testable import PayOSSandbox

/// Our `PayOSClient` against the sandbox's edge faults and forced statuses: each maps to the outcome a caller can act
/// on, and waits payOS asks for are kept — within the caller's deadline. Waits are checked in the sandbox's call log
/// (when each attempt arrived), not by the test's own clock.
@Suite(.timeLimit(.minutes(2)))
struct SwiftClientEdgeTests {
    static func request(_ orderCode: Int64) -> CreatePaymentLinkRequest { SwiftClientScenarioTests.request(orderCode) }

    /// Quick exponential retries; waits asked for by payOS are honoured up to the SDKs' 60 s.
    static let quickRetries = PayOSRetryPolicy(maximumRetries: 2, baseDelay: .milliseconds(20), maximumDelay: .milliseconds(50))

    func calls(_ h: SwiftClientHarness) async -> [SandboxAPICall] {
        await h.sandbox.sandbox.apiCalls(clientId: SwiftClientScenarioTests.channel.clientId)
    }

    // MARK: Transient

    @Test(arguments: [502, 504])
    func anHTMLProxyErrorIsRetriedThenReportedUnreachable(status: Int) async throws {
        try await SwiftClientHarness.with { h in
            try await h.setFaults(SandboxFaults(htmlErrorRate: 1, htmlErrorStatus: status))
            let error = try await #require(throws: PayOSError.self) {
                try await h.client(retryPolicy: Self.quickRetries).getPaymentLink(orderCode: 1, credentials: h.credentials, logger: h.logger)
            }
            #expect(error.code == .unreachable && error.httpStatus == status && error.businessCode == nil)
            #expect(await calls(h).map(\.fault) == ["htmlError", "htmlError", "htmlError"])
        }
    }

    @Test func aConnectionResetMidAnswerIsRetriedThenReportedUnreachable() async throws {
        try await SwiftClientHarness.with { h in
            try await h.setFaults(SandboxFaults(connectionResetRate: 1))
            let error = try await #require(throws: PayOSError.self) {
                try await h.client(retryPolicy: Self.quickRetries).getPaymentLink(orderCode: 1, credentials: h.credentials, logger: h.logger)
            }
            #expect(error.code == .unreachable && error.httpStatus == nil, "\(String(reflecting: error))")
            #expect(await calls(h).map(\.fault) == ["connectionReset", "connectionReset", "connectionReset"])
        }
    }

    @Test func aCreateWhoseAnswerIsCutOffIsRecoveredOnRetryThroughCode231() async throws {
        // A seed with which a reset rate of ½ resets the first call and spares the next two (the retried create, which
        // meets 231, and the lookup), found with the sandbox's own decision function.
        let seed = try #require((UInt64(1)...1_000).first { seed in
            var generator = SeededRandomNumberGenerator(seed: seed)
            return (0..<3).map { _ in generator.chance(0.5) } == [true, false, false]
        })
        try await SwiftClientHarness.with(seed: seed) { h in
            try await h.setFaults(SandboxFaults(connectionResetRate: 0.5))
            let result = try await h.client.createPaymentLink(Self.request(11_001), credentials: h.credentials, logger: h.logger)
            #expect(result.isRecovered && result.status == .pending)
            #expect(result.paymentLinkId == (try await h.sandbox.sandbox.paymentLink("11001", clientId: h.credentials.clientId)).id)
            let log = await calls(h)
            #expect(log.map(\.method) == ["POST", "POST", "GET"] && log.map(\.fault) == ["connectionReset", nil, nil])
        }
    }

    // MARK: Untrusted or invalid answers

    @Test func anAnswerWithoutSignatureIsUntrustedAndNotRetried() async throws {
        try await SwiftClientHarness.with { h in
            try await h.setFaults(SandboxFaults(missingSignatureRate: 1))
            let error = try await #require(throws: PayOSError.self) {
                try await h.client.createPaymentLink(Self.request(12_001), credentials: h.credentials, logger: h.logger)
            }
            #expect(error.code == .invalidSignature && error.httpStatus == 200)
            #expect(await calls(h).count == 1)
            #expect(h.logs.all.contains { $0.level == .warning && $0.message == "payOS answer failed signature verification" })
            // The create took effect; with trustworthy answers again it is recovered, not made twice.
            try await h.setFaults(.off)
            #expect(try await h.client.createPaymentLink(Self.request(12_001), credentials: h.credentials, logger: h.logger).isRecovered)
        }
    }

    @Test func successWithNullDataIsAnInvalidResponseAndNotRetried() async throws {
        try await SwiftClientHarness.with { h in
            _ = try await h.client.createPaymentLink(Self.request(13_001), credentials: h.credentials, logger: h.logger)
            try await h.setFaults(SandboxFaults(nullDataRate: 1))
            let error = try await #require(throws: PayOSError.self) {
                try await h.client.getPaymentLink(orderCode: 13_001, credentials: h.credentials, logger: h.logger)
            }
            #expect(error.code == .invalidResponse && error.httpStatus == 200 && error.businessCode == nil)
            #expect(await calls(h).map(\.method) == ["POST", "GET"])
        }
    }

    // MARK: Waits payOS asks for

    @Test func retryAfterIsWaitedForBeforeTheRetry() async throws {
        try await SwiftClientHarness.with { h in
            try await h.setFaults(SandboxFaults(rateLimitRate: 1, retryAfterSeconds: 1))
            let client = h.client(retryPolicy: PayOSRetryPolicy(maximumRetries: 1, baseDelay: .milliseconds(20)))
            let error = try await #require(throws: PayOSError.self) {
                try await client.getPaymentLink(orderCode: 14_001, credentials: h.credentials, logger: h.logger)
            }
            #expect(error.code == .rateLimited && error.retryAfter == .seconds(1))
            let log = await calls(h)
            #expect(log.count == 2)
            #expect(log[1].receivedAt - log[0].receivedAt >= 1.0, "\(log.map(\.receivedAt))")
        }
    }

    @Test func xRateLimitResetIsWaitedForUntilTheResetTime() async throws {
        try await SwiftClientHarness.with { h in
            try await h.setFaults(SandboxFaults(rateLimitRate: 1, retryAfterSeconds: 2, rateLimitHeader: .rateLimitReset))
            let client = h.client(retryPolicy: PayOSRetryPolicy(maximumRetries: 1, baseDelay: .milliseconds(20)))
            let error = try await #require(throws: PayOSError.self) {
                try await client.getPaymentLink(orderCode: 14_101, credentials: h.credentials, logger: h.logger)
            }
            // The wait is what remained until the announced second (at most 2 s; less, the later the answer was read).
            let wait = try #require(error.retryAfter)
            #expect(error.code == .rateLimited && wait <= .seconds(2), "\(wait)")
            let log = await calls(h)
            #expect(log.count == 2)
            // The sandbox announced (arrival second) + 2; the retry came no earlier.
            let reset = (log[0].receivedAt).rounded(.down) + 2
            #expect(log[1].receivedAt >= reset, "\(log.map(\.receivedAt))")
        }
    }

    @Test func aWaitPastTheCallersDeadlineFailsAtOnceWithRateLimited() async throws {
        try await SwiftClientHarness.with { h in
            // 50 s is within the SDKs' 60 s ceiling, so without a deadline the client would wait for it. The deadline,
            // 25 s away, is far enough that a loaded machine's slow call cannot reach it, and the test can tell "failed at
            // once" from both "waited for Retry-After" and "waited until the deadline".
            try await h.setFaults(SandboxFaults(rateLimitRate: 1, retryAfterSeconds: 50))
            let start = ContinuousClock.now
            let error = try await #require(throws: PayOSError.self) {
                try await PayOSClient.$deadline.withValue(start + .seconds(25)) {
                    try await h.client.getPaymentLink(orderCode: 14_201, credentials: h.credentials, logger: h.logger)
                }
            }
            #expect(error.code == .rateLimited && error.retryAfter == .seconds(50))
            #expect(await calls(h).count == 1)
            #expect(ContinuousClock.now - start < .seconds(25))
            #expect(h.logs.all.contains { $0.message == "payOS call failed; its retry would end after the caller's deadline" })
        }
    }

    // MARK: Forced statuses

    @Test func processingAndFailedLinksReadBackAsSuch() async throws {
        try await SwiftClientHarness.with { h in
            let created = try await h.client.createPaymentLink(Self.request(15_001), credentials: h.credentials, logger: h.logger)
            let clientId = h.credentials.clientId
            try await h.sandbox.sandbox.forceStatus("15001", to: .processing, clientId: clientId)
            let processing = try await h.client.getPaymentLink(orderCode: 15_001, credentials: h.credentials, logger: h.logger)
            #expect(processing.status == .processing && processing.id == created.paymentLinkId)
            // A create retried now is still recovered: the link is usable.
            #expect(try await h.client.createPaymentLink(Self.request(15_001), credentials: h.credentials, logger: h.logger).isRecovered)

            try await h.sandbox.sandbox.forceStatus("15001", to: .failed, clientId: clientId)
            let failed = try await h.client.getPaymentLink(orderCode: 15_001, credentials: h.credentials, logger: h.logger)
            #expect(failed.status == .failed && failed.amountPaid == 0 && failed.canceledAt == nil)
            // A failed link is not handed back by a repeated create.
            let again = try await #require(throws: PayOSError.self) {
                try await h.client.createPaymentLink(Self.request(15_001), credentials: h.credentials, logger: h.logger)
            }
            #expect(again.isBusiness(PayOSError.BusinessCode.orderCodeExists))
        }
    }
}
