// Copyright (c) the Gatehouse authors
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

extension PayOSSandbox {
    /// How a sandbox listens and behaves. Every field has a default suitable for tests.
    public struct Configuration: Sendable {
        /// Interface to bind; `127.0.0.1` by default (the sandbox holds test keys only, but there is no reason to expose it).
        public var host: String
        /// Port to bind; 0 picks a free one (read it back with ``PayOSSandbox/baseURL()``).
        public var port: Int
        /// Base of `checkoutUrl` (`<base>/web/<paymentLinkId>`) when the sandbox is reached through another name
        /// (a phone on the LAN, a tunnel). Default: `http://<host>:<bound port>` (`127.0.0.1` for a wildcard host).
        public var publicBaseURL: String?
        /// Channels present from the start (e.g. loaded with ``SandboxChannel/parseChannelsFile(_:)``).
        public var channels: [SandboxChannel]
        /// Retry schedule for payment webhooks that fail (non-2xx or no connection).
        public var webhookRetry: WebhookRetryPolicy
        /// Limit for one webhook attempt and for the confirm-webhook probe.
        public var webhookTimeout: Duration
        /// Random source for fault injection; pass a ``SeededRandomNumberGenerator`` for reproducible faults.
        public var faultRandomSource: any RandomNumberGenerator & Sendable
        /// Wall clock in Unix seconds (default: the system clock); replace it in tests to move time (link expiry).
        public var now: @Sendable () -> Int64

        public init(
            host: String = "127.0.0.1",
            port: Int = 0,
            publicBaseURL: String? = nil,
            channels: [SandboxChannel] = [],
            webhookRetry: WebhookRetryPolicy = .init(),
            webhookTimeout: Duration = .seconds(10),
            faultRandomSource: any RandomNumberGenerator & Sendable = SystemRandomNumberGenerator(),
            now: (@Sendable () -> Int64)? = nil
        ) {
            self.host = host
            self.port = port
            self.publicBaseURL = publicBaseURL
            self.channels = channels
            self.webhookRetry = webhookRetry
            self.webhookTimeout = webhookTimeout
            self.faultRandomSource = faultRandomSource
            self.now = now ?? { Int64(Date().timeIntervalSince1970.rounded(.down)) }
        }
    }
}

/// Exponential back-off for webhook deliveries: attempt *n* + 1 waits `initialDelay · multiplierⁿ⁻¹`, capped at
/// `maximumDelay`. payOS's own schedule is undocumented (spec 5.3); the defaults (6 attempts over about 30 s)
/// are long enough for a restarting merchant server and short enough for a test run.
public struct WebhookRetryPolicy: Sendable, Hashable {
    /// Total attempts including the first (at least 1).
    public var maximumAttempts: Int
    /// Wait before the second attempt.
    public var initialDelay: Duration
    /// Growth factor between waits (at least 1).
    public var multiplier: Int
    /// Upper bound of any single wait.
    public var maximumDelay: Duration

    public init(
        maximumAttempts: Int = 6,
        initialDelay: Duration = .seconds(1),
        multiplier: Int = 2,
        maximumDelay: Duration = .seconds(16)
    ) {
        precondition(maximumAttempts >= 1, "at least one attempt")
        precondition(multiplier >= 1, "multiplier must be at least 1")
        self.maximumAttempts = maximumAttempts
        self.initialDelay = initialDelay
        self.multiplier = multiplier
        self.maximumDelay = maximumDelay
    }

    /// The wait after failed attempt `attempt` (1-based) before the next one.
    public func delay(afterAttempt attempt: Int) -> Duration {
        var delay = initialDelay
        for _ in 1..<max(attempt, 1) {
            delay = delay * multiplier
            if delay >= maximumDelay { return maximumDelay }
        }
        return min(delay, maximumDelay)
    }
}
