// Copyright (c) the Gatehouse authors
import HTTPTypes
import Hummingbird
import Logging
import NIOCore

/// Applies the channel's API faults and logs the call (``SandboxAPICall``). Latency first; then a 429, 500 or HTML
/// error page before the endpoint runs (the call changes nothing); or the endpoint runs and its answer is cut off
/// mid-body or spoiled (wrong or missing signature, null data), as when an answer is lost or corrupted in transit.
struct FaultInjectionMiddleware: RouterMiddleware {
    typealias Context = ChannelRequestContext
    let state: SandboxState

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let decision = await state.decideFault(clientId: context.channel.clientId)
        await state.recordAPICall(
            clientId: context.channel.clientId, method: request.method.rawValue, path: request.uri.path,
            apiKey: request.headers[.xAPIKey] ?? "", outcome: decision.outcome)
        if decision.latencyMs > 0 { try await Task.sleep(for: .milliseconds(decision.latencyMs)) }
        switch decision.outcome {
        case .proceed:
            return try await next(request, context)
        case .spoiledAnswer(let fault):
            context.logger.debug("Injected spoiled answer", metadata: ["sandbox.fault": "\(fault)"])
            var context = context
            context.answerFault = fault
            return try await next(request, context)
        case .serverError:
            context.logger.debug("Injected 500")
            return PayOSEnvelope.injectedServerError.response(from: request, context: context)
        case .rateLimited(let retryAfter, let header):
            context.logger.debug("Injected 429")
            return PayOSEnvelope.injectedRateLimit(retryAfterSeconds: retryAfter, header: header, now: state.now())
                .response(from: request, context: context)
        case .htmlError(let status):
            context.logger.debug("Injected HTML error page")
            return Self.nginxErrorPage(status: status)
        case .connectionReset:
            context.logger.debug("Injected connection reset")
            return try await Self.cutOff(try await next(request, context))
        }
    }

    /// What nginx answers when its upstream fails: an HTML page, not payOS's JSON.
    static func nginxErrorPage(status: Int) -> Response {
        let status: HTTPResponse.Status = status == 504 ? .gatewayTimeout : .badGateway
        let title = "\(status.code) \(status.reasonPhrase)"
        let page = "<html>\r\n<head><title>\(title)</title></head>\r\n<body>\r\n<center><h1>\(title)</h1></center>\r\n"
            + "<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
        return Response(status: status, headers: [.contentType: "text/html"], body: .init(byteBuffer: ByteBuffer(string: page)))
    }

    /// `response` announced at its full length, but only the head and the first half of the body are sent before
    /// the writer throws, which makes Hummingbird close the connection: the client sees a truncated answer.
    static func cutOff(_ response: Response) async throws -> Response {
        let collected = CollectingWriter.Storage()
        try await response.body.write(CollectingWriter(storage: collected))
        let body = collected.buffer
        var cut = response
        cut.body = ResponseBody(contentLength: body.readableBytes) { writer in
            try await writer.write(body.getSlice(at: body.readerIndex, length: body.readableBytes / 2) ?? ByteBuffer())
            throw InjectedConnectionReset()
        }
        return cut
    }
}

/// Thrown mid-body to drop the connection (fault `connectionResetRate`).
struct InjectedConnectionReset: Error {}

/// Collects a response body in memory (payOS answers are a few kB).
private struct CollectingWriter: ResponseBodyWriter {
    /// A reference, since `ResponseBody.write(_:)` consumes the writer.
    final class Storage {
        var buffer = ByteBuffer()
    }

    let storage: Storage

    mutating func write(_ buffer: ByteBuffer) async throws {
        var buffer = buffer
        storage.buffer.writeBuffer(&buffer)
    }

    consuming func finish(_ trailingHeaders: HTTPFields?) async throws {}
}
