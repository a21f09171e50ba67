// Copyright (c) the Gatehouse authors
import HTTPTypes
public import Payments

/// Every long-poll slot of this instance is taken: 503 `LONG_POLLS_EXHAUSTED` with `Retry-After` (the client may poll
/// without `wait` at once; only waiting is refused).
extension LongPollLimitError: APIErrorConvertible {
    public var apiError: APIError {
        .init(
            status: .serviceUnavailable, code: "LONG_POLLS_EXHAUSTED",
            message: "too many status requests are waiting on this server; retry after \(retryAfterSeconds) s or poll without wait",
            headers: [.retryAfter: String(retryAfterSeconds)])
    }
}
