// Copyright (c) the Gatehouse authors

/// When and how long to wait before retrying a payOS call (spec 1: the official SDKs retry twice).
///
/// Only transient failures are retried (``PayOSError/isTransient``: unreachable incl. HTTP 5xx, timeout,
/// HTTP 429). The wait is the one payOS asked for (`Retry-After` or `x-ratelimit-reset`) when it is within
/// ``maximumRetryAfter`` (60 s, the SDKs' ceiling); a longer one ends the retries at once (the caller gets
/// `rateLimited` with the wait, instead of a request that hangs for minutes). ``PayOSClient/deadline`` cuts any
/// wait shorter. Otherwise it is exponential, `baseDelay · 2^retry` capped at
/// ``maximumDelay``, reduced by up to 25 % at random so that many clients do not retry in step.
public struct PayOSRetryPolicy: Sendable, Hashable {
    /// Retries after the first attempt (the SDKs use 2, i.e. 3 attempts).
    public var maximumRetries: Int
    public var baseDelay: Duration
    public var maximumDelay: Duration
    /// Longest wait asked for by payOS (`Retry-After`, `x-ratelimit-reset`) that is waited for.
    public var maximumRetryAfter: Duration

    public init(
        maximumRetries: Int = 2,
        baseDelay: Duration = .milliseconds(500),
        maximumDelay: Duration = .seconds(10),
        maximumRetryAfter: Duration = .seconds(60)
    ) {
        self.maximumRetries = maximumRetries
        self.baseDelay = baseDelay
        self.maximumDelay = maximumDelay
        self.maximumRetryAfter = maximumRetryAfter
    }

    /// No retries at all.
    public static let none = PayOSRetryPolicy(maximumRetries: 0)

    /// The wait before retry number `retry` (0 for the first retry) after `error`, or `nil` to give up.
    ///
    /// - Parameter jitter: A number in `0..<1`; the exponential delay is multiplied by `0.75 + 0.25 · jitter`.
    public func delay(beforeRetry retry: Int, after error: PayOSError, jitter: Double) -> Duration? {
        guard retry < maximumRetries, error.isTransient else { return nil }
        if let retryAfter = error.retryAfter {
            return retryAfter <= maximumRetryAfter ? retryAfter : nil
        }
        let exponential = baseDelay * (1 << min(retry, 30))
        let capped = min(exponential, maximumDelay)
        return capped * (0.75 + 0.25 * min(max(jitter, 0), 1))
    }
}
