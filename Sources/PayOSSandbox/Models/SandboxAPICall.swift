// Copyright (c) the Gatehouse authors

/// One payOS API call as the sandbox received it (after authentication), so tests can see what a client really
/// sent and when — e.g. that a retry came only after the wait a 429 announced.
public struct SandboxAPICall: Sendable, Hashable {
    public let clientId: String
    public let method: String
    /// The request path, e.g. `/v2/payment-requests/42`.
    public let path: String
    /// Wall-clock arrival, Unix seconds with fraction (comparable with `x-ratelimit-reset`).
    public let receivedAt: Double
    /// The injected fault (`rateLimited`, `serverError`, `htmlError`, `connectionReset`, `invalidSignature`,
    /// `missingSignature`, `nullData`), or nil for a call answered normally.
    public let fault: String?
}
