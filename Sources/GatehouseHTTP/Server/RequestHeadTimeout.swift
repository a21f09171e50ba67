// Copyright (c) the Gatehouse authors
public import CoreMetrics
public import NIOCore
import NIOHTTPTypes

/// Closes a connection whose request head is not complete within `timeout` of its first byte: a slowloris client
/// that trickles a head (or sends half of one and stops) holds a socket and a file descriptor for as long as the
/// server lets it, and Hummingbird's idle timeout does not see raw bytes, only whole HTTP parts.
///
/// The deadline runs from the first byte of a head that did not arrive whole in one read, and more bytes do not
/// move it: trickling one byte a second buys nothing. A head that arrives in one read (every browser and nginx
/// send it in one write) never schedules a timer, so a normal request costs nothing here. Once the head is in, the
/// body and the handler are Hummingbird's idle timeout's business; a pipelined request that follows another in the
/// same read is only bounded by the idle timeout. Each connection closed here counts in
/// `gatehouse_http_request_head_timeouts_total`.
public struct RequestHeadTimeout: Sendable {
    public let timeout: TimeAmount
    let expired: Counter

    /// - Parameters:
    ///   - timeout: how long a request head may take from its first byte.
    ///   - factory: where the counter of closed connections is made.
    public init(timeout: TimeAmount, metrics factory: any MetricsFactory) {
        self.timeout = timeout
        self.expired = Counter(label: "gatehouse_http_request_head_timeouts_total", factory: factory)
    }

    /// The handler for Hummingbird's `additionalChannelHandlers` (it sits after HTTP decoding); when added to a
    /// pipeline it puts its byte-level partner, which sees the bytes before the decoder does, at the front.
    public func makeHandler() -> any RemovableChannelHandler {
        RequestHeadObserver(deadline: RequestHeadDeadline(timeout: timeout, expired: expired))
    }
}

/// Sees the decoded request parts and tells ``RequestHeadDeadline`` when a head is complete and when a request ends.
/// Both handlers live on the channel's event loop, so they share state without a lock.
final class RequestHeadObserver: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart

    private let deadline: RequestHeadDeadline

    init(deadline: RequestHeadDeadline) {
        self.deadline = deadline
    }

    func handlerAdded(context: ChannelHandlerContext) {
        do {
            try context.pipeline.syncOperations.addHandler(deadline, position: .first)
        } catch {
            // Only fails on a pipeline that is already closing.
            context.close(promise: nil)
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head: deadline.headReceived()
        case .end: deadline.requestEnded()
        case .body: break
        }
        context.fireChannelRead(data)
    }
}

/// The byte-level half: arms the deadline when a read leaves a head incomplete, and closes the connection when it
/// passes.
final class RequestHeadDeadline: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    private let timeout: TimeAmount
    private let expired: Counter
    /// Between a request's head and its end (body bytes are not a head).
    private var inRequest = false
    /// Set by ``headReceived()`` while a read is being decoded.
    private var headCompletedInRead = false
    private var scheduled: Scheduled<Void>?

    init(timeout: TimeAmount, expired: Counter) {
        self.timeout = timeout
        self.expired = expired
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        // The decoder below runs synchronously: by the time this returns, any head these bytes completed was seen.
        headCompletedInRead = false
        context.fireChannelRead(data)
        if !headCompletedInRead, !inRequest, scheduled == nil {
            scheduled = context.eventLoop.assumeIsolated().scheduleTask(in: timeout) { [self] in
                scheduled = nil
                expired.increment()
                context.close(promise: nil)
            }
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        cancel()
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        cancel()
    }

    func headReceived() {
        headCompletedInRead = true
        inRequest = true
        cancel()
    }

    func requestEnded() {
        inRequest = false
    }

    private func cancel() {
        scheduled?.cancel()
        scheduled = nil
    }
}

@available(*, unavailable)
extension RequestHeadObserver: Sendable {}

@available(*, unavailable)
extension RequestHeadDeadline: Sendable {}
