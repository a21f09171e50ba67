// Copyright (c) the Gatehouse authors
import Foundation
import Hummingbird
import Logging
import PayOS
import Synchronization
import Testing

/// A real merchant webhook endpoint for tests: a tiny Hummingbird app on an ephemeral loopback port that records
/// every POST and answers with scripted statuses (then 200).
final class WebhookListener: Sendable {
    struct Received: Sendable {
        var path: String
        var body: [UInt8]
        var contentType: String?

        var json: JSONValue? { try? JSONValue(parsing: body) }
    }

    private struct State {
        var received: [Received] = []
        var scriptedStatuses: [Int] = []
    }

    private let state = Mutex(State())

    /// Answer the next requests with these statuses, in order; afterwards 200.
    func script(_ statuses: [Int]) {
        state.withLock { $0.scriptedStatuses = statuses }
    }

    var received: [Received] { state.withLock { $0.received } }

    private func record(_ received: Received) -> Int {
        state.withLock { state in
            state.received.append(received)
            return state.scriptedStatuses.isEmpty ? 200 : state.scriptedStatuses.removeFirst()
        }
    }

    /// Runs the listener while `body` runs; `body` gets the listener's base URL.
    func run<T: Sendable>(_ body: @Sendable (String) async throws -> T) async throws -> T {
        let router = Router()
        let handler: @Sendable (Request, BasicRequestContext) async throws -> Response = { request, context in
            var request = request
            let buffer = try await request.collectBody(upTo: 1 << 20)
            let status = self.record(
                Received(path: request.uri.path, body: Array(buffer.readableBytesView), contentType: request.headers[.contentType])
            )
            return Response(
                status: .init(code: status),
                headers: [.contentType: "application/json"],
                body: .init(byteBuffer: ByteBuffer(string: #"{"success":true}"#))
            )
        }
        router.post("/", use: handler)
        router.post("**", use: handler)
        let (portStream, portContinuation) = AsyncStream<Int>.makeStream()
        var logger = Logger(label: "WebhookListener")
        logger.logLevel = .critical
        let app = Application(
            router: router,
            configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { channel in
                portContinuation.yield(channel.localAddress?.port ?? 0)
                portContinuation.finish()
            },
            logger: logger
        )
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await app.run() }
            defer { group.cancelAll() }
            var iterator = portStream.makeAsyncIterator()
            let port = try #require(await iterator.next())
            return try await body("http://127.0.0.1:\(port)")
        }
    }

    /// Waits until `count` requests have arrived (or fails after `timeout`), then returns all received.
    func waitFor(count: Int, timeout: Duration = .seconds(10), sourceLocation: SourceLocation = #_sourceLocation) async throws -> [Received] {
        let deadline = ContinuousClock.now + timeout
        while true {
            let received = self.received
            if received.count >= count { return received }
            guard ContinuousClock.now < deadline else {
                Issue.record("expected \(count) webhooks, got \(received.count)", sourceLocation: sourceLocation)
                return received
            }
            try await Task.sleep(for: .milliseconds(10))
        }
    }
}
