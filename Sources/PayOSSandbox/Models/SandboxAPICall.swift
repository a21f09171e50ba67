// Copyright (c) the Gatehouse authors
import Sodium

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
    /// ``fingerprint(apiKey:)`` of the `x-api-key` the call carried (never the key itself), so a test can tell which
    /// of an owner's keys a client used — e.g. that a rotation reached every instance.
    public let apiKeyFingerprint: String

    /// The first 8 bytes of the key's SHA-256, in hex: enough to tell keys apart, nothing to authenticate with.
    public static func fingerprint(apiKey: String) -> String {
        Hex.encode(Array(SHA256.hash(Array(apiKey.utf8)).prefix(8)))
    }
}
