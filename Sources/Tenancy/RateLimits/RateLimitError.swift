// Copyright (c) the Gatehouse authors

/// A call refused by a rate limit before it left Gatehouse.
///
/// `description` is generic (no owner, no numbers); the edge maps ``Code/payOSCallsLimited`` to
/// 429 `PAYOS_RATE_LIMITED` with `Retry-After`.
public struct RateLimitError: Error, Hashable, CustomStringConvertible, CustomDebugStringConvertible {
    public enum Code: String, Sendable, Hashable, CustomStringConvertible {
        /// The owner's cap on calls to payOS is exhausted: the call was not made.
        case payOSCallsLimited

        public var description: String { rawValue }
    }

    public let code: Code
    /// How long until a call would be admitted.
    public let retryAfter: Duration
    /// The decision behind the refusal (for headers and logs).
    public let decision: RateLimitDecision

    public init(_ code: Code, decision: RateLimitDecision) {
        self.code = code
        self.decision = decision
        self.retryAfter = .nanoseconds(decision.retryAfterNanos)
    }

    public var description: String { "RateLimitError(\(code))" }
    public var debugDescription: String { "RateLimitError(\(code), retry after \(retryAfter), policy \(decision.policy))" }
}
