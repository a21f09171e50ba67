// Copyright (c) the Gatehouse authors
public import Tenancy
import HTTPTypes

/// 422 `PAYOS_CREDENTIALS_INVALID` with `part`: which of the submitted credentials payOS did not accept.
extension OnboardingError: APIErrorConvertible {
    public var apiError: APIError {
        var mapped = APIError(
            status: .unprocessableContent, code: "PAYOS_CREDENTIALS_INVALID", message: "payOS did not accept the credentials (\(part))")
        mapped.part = part.description
        return mapped
    }
}

/// 429 `ONBOARDING_ATTEMPTS_EXCEEDED` with `Retry-After`: the owner's proofs for the hour are used up.
extension OnboardingAttemptsExceeded: APIErrorConvertible {
    public var apiError: APIError {
        APIError(
            status: .tooManyRequests, code: "ONBOARDING_ATTEMPTS_EXCEEDED",
            message: "too many credential proofs for this owner (at most \(attemptsPerHour) an hour); retry after \(retryAfterSeconds) s",
            headers: [.retryAfter: "\(retryAfterSeconds)"])
    }
}
