// Copyright (c) the Gatehouse authors
public import CoreMetrics
public import HummingbirdCore
import NIOCore

extension HTTPServerBuilder {
    /// Gatehouse's HTTP/1.1 server: Hummingbird's, with both connection timeouts that keep slow or silent clients from
    /// holding sockets.
    ///
    /// - Parameters:
    ///   - idleTimeout: a connection with no request in progress and no HTTP part read for this long is closed (an
    ///     idle keep-alive connection, a silent new one, a body that stopped); a request being handled (a long poll)
    ///     is never cut by it.
    ///   - requestHeadTimeout: a request head must be complete this long after its first byte (``RequestHeadTimeout``).
    ///   - factory: where `gatehouse_http_request_head_timeouts_total` is made.
    public static func gatehouse(idleTimeout: Duration, requestHeadTimeout: Duration, metrics factory: any MetricsFactory) -> HTTPServerBuilder {
        let headTimeout = RequestHeadTimeout(timeout: TimeAmount(requestHeadTimeout), metrics: factory)
        return .http1(configuration: .init(additionalChannelHandlers: [headTimeout.makeHandler()], idleTimeout: TimeAmount(idleTimeout)))
    }
}
