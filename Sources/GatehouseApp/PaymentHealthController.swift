// Copyright (c) the Gatehouse authors
public import AsyncHTTPClient
import Foundation
import Gateway
public import Hummingbird
import Logging
import NIOCore
public import Storage
import GatehouseHTTP

/// `GET /health/payment`: the seed's readiness document — database, payOS reachability, the webhook endpoint,
/// the time — answered 500 when a dependency is down. payOS is probed at most every `probeInterval`
/// (any HTTP answer from payOS means reachable; a refused or timed-out connection does not).
public struct PaymentHealthController<Context: RequestContext>: Sendable {
    let database: any SQLDatabase
    let httpClient: HTTPClient
    let payOSBaseURL: String
    let webhookURL: String
    let cache: ProbeCache

    public init(database: any SQLDatabase, httpClient: HTTPClient, payOSBaseURL: String, publicURL: String, probeInterval: Duration = .seconds(30)) {
        self.database = database
        self.httpClient = httpClient
        self.payOSBaseURL = payOSBaseURL
        self.webhookURL = publicURL + "/webhook/payos"
        self.cache = ProbeCache(interval: probeInterval)
    }

    struct Document: Encodable, Sendable {
        let status: String
        let database: String
        let payos_api: String
        let webhook_endpoint: String
        let timestamp: String
    }

    public var endpoints: RouteCollection<Context> {
        let routes = RouteCollection(context: Context.self)
        routes.get("/health/payment") { _, context -> JSONResponse<Document> in
            let databaseUp = (try? await database.query("SELECT 1 AS ok", logger: context.logger)) != nil
            let payOSUp = await cache.value { await self.probePayOS(logger: context.logger) }
            let healthy = databaseUp && payOSUp
            return JSONResponse(
                status: healthy ? .ok : .internalServerError,
                Document(
                    status: healthy ? "healthy" : "unhealthy", database: databaseUp ? "connected" : "unavailable",
                    payos_api: payOSUp ? "connected" : "unreachable", webhook_endpoint: webhookURL,
                    timestamp: APITime.format(Int64(Date().timeIntervalSince1970 * 1000))))
        }
        return routes
    }

    func probePayOS(logger: Logger) async -> Bool {
        do {
            let request = HTTPClientRequest(url: payOSBaseURL + "/v2/payment-requests/0")
            let response = try await httpClient.execute(request, timeout: .seconds(5), logger: logger)
            _ = try? await response.body.collect(upTo: 64 * 1024)
            return true
        } catch {
            logger.warning("payOS is unreachable", metadata: ["error.type": "\(type(of: error))"])
            return false
        }
    }

    /// The last probe's answer, reused for `interval`.
    actor ProbeCache {
        let interval: Duration
        var last: (at: ContinuousClock.Instant, value: Bool)?

        init(interval: Duration) { self.interval = interval }

        func value(_ probe: @Sendable () async -> Bool) async -> Bool {
            if let last, ContinuousClock.now - last.at < interval { return last.value }
            let value = await probe()
            last = (ContinuousClock.now, value)
            return value
        }
    }
}
