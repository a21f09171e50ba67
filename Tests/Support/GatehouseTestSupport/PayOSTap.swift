// Copyright (c) the Gatehouse authors
import HTTPTypes
import Hummingbird
public import Logging
public import PayOSSandbox
import Synchronization

/// Serves the sandbox's payOS API on a second loopback port, recording every call, so tests can count what reached
/// payOS (e.g. "exactly one link was created") and stop it to make payOS unreachable. Both servers share the
/// sandbox's state: links created through the tap are the sandbox's links.
public final class PayOSTap: Sendable {
    public struct Call: Sendable, Hashable {
        public let method: String
        public let path: String
        public let clientID: String?
    }

    private struct State {
        public var calls: [Call] = []
        var port: Int?
        var services: BackgroundServices?
        var createAnswersToLose = 0
    }

    private let state = Mutex(State())

    /// Every call so far, oldest first.
    public var calls: [Call] { state.withLock { $0.calls } }

    /// The creates (`POST /v2/payment-requests`) so far.
    public var creates: [Call] { calls.filter { $0.method == "POST" && $0.path == "/v2/payment-requests" } }

    public var baseURL: String { "http://127.0.0.1:\(state.withLock { $0.port } ?? 0)" }

    fileprivate func record(_ request: Request) {
        let call = Call(
            method: request.method.rawValue, path: request.uri.path, clientID: request.headers[HTTPField.Name("x-client-id")!])
        state.withLock { $0.calls.append(call) }
    }

    /// Starts serving and returns once the port is known.
    public static func start(sandbox: PayOSSandbox, logger: Logger) async throws -> PayOSTap {
        let tap = PayOSTap()
        let app = Application(
            responder: RecordingResponder(inner: sandbox.buildRouter().buildResponder(), tap: tap),
            configuration: .init(address: .hostname("127.0.0.1", port: 0), serverName: nil),
            onServerRunning: { channel in
                let port = channel.localAddress?.port
                tap.state.withLock { $0.port = port }
            },
            logger: logger)
        let services = BackgroundServices([app], name: "the payOS tap", logger: logger)
        tap.state.withLock { $0.services = services }
        let deadline = ContinuousClock.now + .seconds(10)
        while tap.state.withLock({ $0.port }) == nil {
            guard ContinuousClock.now < deadline else {
                await tap.stop()
                throw HarnessError(description: "the payOS tap did not start listening within 10 s")
            }
            try await Task.sleep(for: .milliseconds(5))
        }
        return tap
    }

    /// The next `count` creates reach payOS (the link is made) but their answers are lost on the way back: the caller
    /// gets a proxy's 504, as when payOS answers after the gateway's deadline. A retry then meets payOS's code 231.
    public func loseAnswers(ofNextCreates count: Int) {
        state.withLock { $0.createAnswersToLose = count }
    }

    /// Whether this create's answer is to be lost (counts it).
    fileprivate func takeLostCreateAnswer(_ request: Request) -> Bool {
        guard request.method == .post, request.uri.path == "/v2/payment-requests" else { return false }
        return state.withLock { state in
            guard state.createAnswersToLose > 0 else { return false }
            state.createAnswersToLose -= 1
            return true
        }
    }

    /// Stops serving: payOS is unreachable from then on (connections are refused).
    public func stop() async {
        guard let services = state.withLock({ state -> BackgroundServices? in
            defer { state.services = nil }
            return state.services
        }) else { return }
        await services.stop()
    }
}

/// Records each request, then lets the sandbox's own router answer it.
struct RecordingResponder<Inner: HTTPResponder>: HTTPResponder {
    typealias Context = Inner.Context
    let inner: Inner
    let tap: PayOSTap

    func respond(to request: Request, context: Context) async throws -> Response {
        tap.record(request)
        let lose = tap.takeLostCreateAnswer(request)
        let response = try await inner.respond(to: request, context: context)
        guard lose else { return response }
        return Response(
            status: .gatewayTimeout, headers: [.contentType: "text/html"],
            body: .init(byteBuffer: ByteBuffer(string: "<html><body><h1>504 Gateway Time-out</h1></body></html>")))
    }
}

