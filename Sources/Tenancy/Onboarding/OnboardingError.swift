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

/// Too many onboarding proofs for one owner in the last hour: nothing was sent to payOS.
///
/// The proof answers which part of a candidate set payOS refused, so without a cap it would be an oracle for guessing
/// client id / API key pairs; and each attempt is a payOS call and a probe. Attempts are counted per owner over a
/// sliding hour, fleet-wide (from the audit trail, where each attempt is recorded before payOS is called).
public struct OnboardingAttemptsExceeded: Error, Hashable, CustomStringConvertible {
    /// The cap that was reached.
    public let attemptsPerHour: Int
    /// Seconds until the oldest counted attempt leaves the window (at least 1).
    public let retryAfterSeconds: Int

    public init(attemptsPerHour: Int, retryAfterSeconds: Int) {
        self.attemptsPerHour = attemptsPerHour
        self.retryAfterSeconds = max(1, retryAfterSeconds)
    }

    public var description: String { "OnboardingAttemptsExceeded(\(attemptsPerHour) per hour, retry after \(retryAfterSeconds) s)" }
}
