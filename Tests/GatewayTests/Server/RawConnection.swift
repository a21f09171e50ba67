// Copyright (c) the Gatehouse authors
import NIOCore
import NIOPosix
import Synchronization

/// A plain TCP connection to a test server, for what an HTTP client library will not do: send half a request head,
/// trickle bytes, keep a connection open and silent, and notice when the server closes it.
final class RawConnection: Sendable {
    private let channel: any Channel
    private let collector: Collector

    private init(channel: any Channel, collector: Collector) {
        self.channel = channel
        self.collector = collector
    }

    /// Connects to `127.0.0.1:port`.
    static func open(port: Int) async throws -> RawConnection {
        let collector = Collector()
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(collector.makeHandler()) }
            }
            .connect(host: "127.0.0.1", port: port).get()
        return RawConnection(channel: channel, collector: collector)
    }

    /// Writes `text` as it is.
    func send(_ text: String) async throws {
        try await channel.writeAndFlush(ByteBuffer(string: text))
    }

    /// Everything the server sent so far.
    var received: String { collector.text }

    /// Whether the server has closed the connection.
    var isClosed: Bool { !channel.isActive }

    /// Waits for the server to close the connection, at most `limit` (then closes it itself).
    /// - Returns: how long it took, or `nil` when the server did not close it within `limit`.
    func waitForClose(within limit: Duration) async throws -> Duration? {
        let started = ContinuousClock.now
        let closedByServer = try await withThrowingTaskGroup(of: Bool.self) { group in
            group.addTask {
                try await self.channel.closeFuture.get()
                return true
            }
            group.addTask {
                try await Task.sleep(for: limit)
                return false
            }
            let first = try await group.next() ?? false
            if !first { try? await channel.close() }  // lets the close-future task end
            group.cancelAll()
            return first
        }
        return closedByServer ? ContinuousClock.now - started : nil
    }

    /// Waits until what the server sent contains `text`, at most `limit`.
    func waitToReceive(_ text: String, within limit: Duration = .seconds(10)) async throws -> Bool {
        let deadline = ContinuousClock.now + limit
        while !received.contains(text) {
            guard ContinuousClock.now < deadline, channel.isActive else { return received.contains(text) }
            try await Task.sleep(for: .milliseconds(5))
        }
        return true
    }

    func close() async {
        try? await channel.close()
    }

    /// Collects the bytes the server sends.
    private final class Collector: Sendable {
        private let buffer = Mutex("")

        var text: String { buffer.withLock { $0 } }

        func append(_ bytes: ByteBuffer) { buffer.withLock { $0 += String(buffer: bytes) } }

        func makeHandler() -> Handler { Handler(collector: self) }

        final class Handler: ChannelInboundHandler {
            typealias InboundIn = ByteBuffer
            let collector: Collector

            init(collector: Collector) { self.collector = collector }

            func channelRead(context: ChannelHandlerContext, data: NIOAny) {
                collector.append(unwrapInboundIn(data))
            }
        }
    }
}
