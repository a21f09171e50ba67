// Copyright (c) the Gatehouse authors

/// Candidate payOS credentials failed their proof; nothing was stored.
///
/// `description` is generic and names only the failed ``Part`` (never a key); the edge answers
/// 422 `PAYOS_CREDENTIALS_INVALID` with `part`.
public struct OnboardingError: Error, Hashable, CustomStringConvertible, CustomDebugStringConvertible {
    /// Which part of the credential set failed.
    public enum Part: String, Sendable, Hashable, CustomStringConvertible {
        /// payOS refused the client id / API key pair (HTTP 401). payOS answers the same for an unknown client id
        /// and for a wrong API key, so the two cannot honestly be told apart.
        case clientIDOrAPIKey = "client_id_or_api_key"
        /// payOS accepted the pair and probed the owner's webhook URL, but its signed probe does not verify with the
        /// candidate checksum key.
        case checksumKey = "checksum_key"
        /// payOS accepted the pair but its probe never reached Gatehouse (payOS reported the URL invalid, or
        /// confirmed it without the probe arriving at any instance).
        case webhookURL = "webhook_url"

        public var description: String { rawValue }
    }

    public let part: Part

    public init(part: Part) {
        self.part = part
    }

    public var description: String { "OnboardingError(payOS credentials invalid: \(part))" }
    public var debugDescription: String { description }
}
