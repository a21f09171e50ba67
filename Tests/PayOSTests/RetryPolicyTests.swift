// Copyright (c) the Gatehouse authors
import Testing

@testable import PayOS

@Suite struct RetryPolicyTests {
    let policy = PayOSRetryPolicy()

    @Test func transientFailuresAreRetriedTwiceWithExponentialBackoff() {
        let unreachable = PayOSError(.unreachable, httpStatus: 500)
        #expect(policy.delay(beforeRetry: 0, after: unreachable, jitter: 1) == .milliseconds(500))
        #expect(policy.delay(beforeRetry: 1, after: unreachable, jitter: 1) == .seconds(1))
        #expect(policy.delay(beforeRetry: 2, after: unreachable, jitter: 1) == nil)
        #expect(policy.delay(beforeRetry: 0, after: PayOSError(.timeout), jitter: 1) == .milliseconds(500))
        #expect(policy.delay(beforeRetry: 0, after: PayOSError(.rateLimited, httpStatus: 429), jitter: 1) == .milliseconds(500))
    }

    @Test func jitterShortensTheDelayByAtMostAQuarter() {
        let error = PayOSError(.unreachable)
        #expect(policy.delay(beforeRetry: 1, after: error, jitter: 0) == .milliseconds(750))
        #expect(policy.delay(beforeRetry: 1, after: error, jitter: 0.5) == .milliseconds(875))
        // Out-of-range jitter is clamped.
        #expect(policy.delay(beforeRetry: 1, after: error, jitter: 7) == .seconds(1))
    }

    @Test func exponentialDelayIsCapped() {
        let many = PayOSRetryPolicy(maximumRetries: 10)
        #expect(many.delay(beforeRetry: 9, after: PayOSError(.unreachable), jitter: 1) == .seconds(10))
    }

    @Test func nonTransientFailuresAreNotRetried() {
        for error in [
            PayOSError.business("231", description: nil), PayOSError(.unauthorized), PayOSError(.invalidSignature),
            PayOSError(.invalidResponse), PayOSError(.invalidRequest),
        ] {
            #expect(policy.delay(beforeRetry: 0, after: error, jitter: 1) == nil)
        }
    }

    @Test func retryAfterIsHonouredUpToTheCap() {
        #expect(policy.delay(beforeRetry: 0, after: PayOSError(.rateLimited, retryAfter: .seconds(3)), jitter: 0) == .seconds(3))
        #expect(policy.delay(beforeRetry: 0, after: PayOSError(.rateLimited, retryAfter: .zero), jitter: 0) == .zero)
        // The SDKs' ceiling: up to 60 s is waited for.
        #expect(policy.delay(beforeRetry: 0, after: PayOSError(.rateLimited, retryAfter: .seconds(60)), jitter: 0) == .seconds(60))
        // Longer than the cap: give up now and let the caller see how long to wait.
        #expect(policy.delay(beforeRetry: 0, after: PayOSError(.rateLimited, retryAfter: .seconds(61)), jitter: 0) == nil)
        #expect(policy.delay(beforeRetry: 0, after: PayOSError(.unreachable, httpStatus: 503, retryAfter: .seconds(2)), jitter: 0) == .seconds(2))
    }

    @Test func noRetriesPolicyNeverRetries() {
        #expect(PayOSRetryPolicy.none.delay(beforeRetry: 0, after: PayOSError(.unreachable), jitter: 0) == nil)
    }
}
