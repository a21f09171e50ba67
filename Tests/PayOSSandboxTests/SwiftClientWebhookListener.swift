// Copyright (c) the Gatehouse authors
import Hummingbird
import Logging
import NIOCore
import PayOS
import Testing

/// A merchant's webhook endpoint for the Swift-client scenario: a tiny Hummingbird app on `127.0.0.1:0`.
///
/// `POST /payos/webhook` answers 200; `POST /missing` answers 404 (a URL payOS must refuse to confirm). Every POST
/// is pushed into an `AsyncStream` that one ``SwiftClientWebhookInbox`` reads, so a test waits for a webhook on a
/// condition with a deadline rather than sleeping and hoping.
enum SwiftClientWebhookListener {
    /// The path that accepts webhooks.
    static let webhookPath = "/payos/webhook"
    /// The path that answers 404.
    static let missingPath = "/missing"

    /// One POST as the listener received it.
    struct Delivery: Sendable {
        var path: String
        var body: [UInt8]

        /// The body parsed with payOS's order-preserving JSON parser, or nil when it is not JSON.
        var json: JSONValue? { try? JSONValue(parsing: body) }
        /// `data.reference`, which identifies a payment webhook (and the confirm-webhook probe).
        var reference: String? { json?["data"]?["reference"]?.stringValue }
    }

    /// Runs the listener while `body` runs; `body` gets the listener's base URL and the inbox of what arrives.
    static func run<T: Sendable>(_ body: (_ baseURL: String, _ inbox: SwiftClientWebhookInbox) async throws -> T) async throws -> T {
        let (events, continuation) = AsyncStream<SwiftClientWebhookInbox.Event>.makeStream()
        let router = Router()
        router.post(RouterPath(webhookPath)) { request, context -> Response in
            try await Self.receive(request, context: context, status: .ok, into: continuation)
        }
        router.post(RouterPath(missingPath)) { request, context -> Response in
            try await Self.receive(request, context: context, status: .notFound, into: continuation)
        }
        let (ports, portContinuation) = AsyncStream<Int>.makeStream()
        var logger = Logger(label: "SwiftClientWebhookListener")
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
            defer {
                group.cancelAll()
                continuation.finish()
            }
            var portIterator = ports.makeAsyncIterator()
            let port = try #require(await portIterator.next())
            let inbox = SwiftClientWebhookInbox(events: events, continuation: continuation)
            return try await body("http://127.0.0.1:\(port)", inbox)
        }
    }

    private static func receive(
        _ request: Request,
        context: BasicRequestContext,
        status: HTTPResponse.Status,
        into continuation: AsyncStream<SwiftClientWebhookInbox.Event>.Continuation
    ) async throws -> Response {
        var request = request
        let buffer = try await request.collectBody(upTo: 1 << 20)
        continuation.yield(.delivery(Delivery(path: request.uri.path, body: Array(buffer.readableBytesView))))
        return Response(
            status: status,
            headers: [.contentType: "application/json"],
            body: .init(byteBuffer: ByteBuffer(string: #"{"success":\#(status == .ok)}"#))
        )
    }
}

/// What a ``SwiftClientWebhookListener`` received, read by the one test task that owns it (not `Sendable` on
/// purpose: an `AsyncStream` has a single consumer).
final class SwiftClientWebhookInbox {
    /// A POST, or a waiter's deadline passing (yielded into the same stream by a timer task).
    enum Event: Sendable {
        case delivery(SwiftClientWebhookListener.Delivery)
        case deadline(Int)
    }

    private var events: AsyncStream<Event>.Iterator
    private let continuation: AsyncStream<Event>.Continuation
    /// Deliveries read while waiting for another one, kept for later waits.
    private var unclaimed: [SwiftClientWebhookListener.Delivery] = []
    private var lastDeadline = 0

    init(events: AsyncStream<Event>, continuation: AsyncStream<Event>.Continuation) {
        self.events = events.makeAsyncIterator()
        self.continuation = continuation
    }

    /// The first delivery (earlier unclaimed ones included) that satisfies `predicate`, or nil once `timeout` has
    /// passed without one.
    func next(
        within timeout: Duration = .seconds(10),
        where predicate: (SwiftClientWebhookListener.Delivery) -> Bool
    ) async -> SwiftClientWebhookListener.Delivery? {
        if let index = unclaimed.firstIndex(where: predicate) { return unclaimed.remove(at: index) }
        lastDeadline += 1
        let token = lastDeadline
        let continuation = self.continuation
        let timer = Task {
            do { try await Task.sleep(for: timeout) } catch { return }
            continuation.yield(.deadline(token))
        }
        defer { timer.cancel() }
        while let event = await events.next() {
            switch event {
            case .delivery(let delivery):
                if predicate(delivery) { return delivery }
                unclaimed.append(delivery)
            case .deadline(let expired):
                // An earlier wait's timer may fire late; only this wait's own deadline ends it.
                if expired == token { return nil }
            }
        }
        return nil
    }
}
