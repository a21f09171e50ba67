// Copyright (c) the Gatehouse authors
public import Tenancy
import HTTPTypes

/// The owner's own cap on payOS calls: the call never left, so this is the owner's 429, not payOS's 503.
extension RateLimitError: APIErrorConvertible {
    public var apiError: APIError {
        .init(
            status: .tooManyRequests, code: "PAYOS_RATE_LIMITED",
            message: "too many payOS calls for this owner; retry after \(decision.retryAfterSeconds) s",
            headers: decision.rateLimitHeaders(policyName: "payos", advertised: decision.policy, instances: 1, refused: true))
    }
}
