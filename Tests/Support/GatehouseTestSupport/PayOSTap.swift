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
        var task: Task<Void, any Error>?
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
        let task = Task { try await app.run() }
        tap.state.withLock { $0.task = task }
        let deadline = ContinuousClock.now + .seconds(10)
        while tap.state.withLock({ $0.port }) == nil {
            guard ContinuousClock.now < deadline else {
                task.cancel()
                throw HarnessError(description: "the payOS tap did not start listening within 10 s")
            }
            try await Task.sleep(for: .milliseconds(5))
        }
        return tap
    }

    /// Stops serving: payOS is unreachable from then on (connections are refused).
    public func stop() async {
        guard let task = state.withLock({ state -> Task<Void, any Error>? in
            defer { state.task = nil }
            return state.task
        }) else { return }
        task.cancel()
        _ = await task.result
    }
}

/// Records each request, then lets the sandbox's own router answer it.
struct RecordingResponder<Inner: HTTPResponder>: HTTPResponder {
    typealias Context = Inner.Context
    let inner: Inner
    let tap: PayOSTap

    func respond(to request: Request, context: Context) async throws -> Response {
        tap.record(request)
        return try await inner.respond(to: request, context: context)
    }
}

