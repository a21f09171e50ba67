// Copyright (c) the Gatehouse authors
public import Hummingbird

/// `GET /health`: liveness. Answers as long as the process serves HTTP; it touches no dependency,
/// so a slow database never makes an orchestrator restart a healthy process (readiness with
/// dependencies is `GET /health/payment`).
public struct HealthController<Context: RequestContext>: Sendable {
    /// The liveness document.
    public struct Liveness: ResponseEncodable, Sendable {
        public let status: String
        public let service: String
        public let version: String
        public let uptime_seconds: Int64
    }

    let startedAt: ContinuousClock.Instant
    let version: String

    public init(version: String = GatehouseVersion.current) {
        self.startedAt = .now
        self.version = version
    }

    public var endpoints: RouteCollection<Context> {
        let routes = RouteCollection(context: Context.self)
        routes.get("/health") { _, _ in
            Liveness(
                status: "ok",
                service: "gatehouse",
                version: self.version,
                uptime_seconds: (ContinuousClock.now - self.startedAt).components.seconds
            )
        }
        return routes
    }
}

/// The running build's version.
public enum GatehouseVersion {
    public static let current = "0.1.0"
}
