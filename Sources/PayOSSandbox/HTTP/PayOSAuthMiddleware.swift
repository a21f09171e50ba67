// Copyright (c) the Gatehouse authors
import HTTPTypes
import Hummingbird
import Logging

extension HTTPField.Name {
    static let xClientID = Self("x-client-id")!
    static let xAPIKey = Self("x-api-key")!
}

/// Authenticates payOS calls by `x-client-id` + `x-api-key` (spec 1): anything else is HTTP 401.
struct PayOSAuthMiddleware: RouterMiddleware {
    typealias Context = SandboxRequestContext
    let state: SandboxState

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let clientID = request.headers[.xClientID], let apiKey = request.headers[.xAPIKey],
            let channel = await state.authenticate(clientId: clientID, apiKey: apiKey)
        else {
            return PayOSEnvelope.unauthorized.response(from: request, context: context)
        }
        var context = context
        context.channel = channel
        context.logger[metadataKey: "payos.client_id"] = .string(channel.clientId)
        return try await next(request, context)
    }
}

/// Applies the channel's API faults before the endpoint runs: latency, then 429 or 500 (the call changes nothing),
/// or a wrong response signature (the call takes effect, as when a response is corrupted in transit).
struct FaultInjectionMiddleware: RouterMiddleware {
    typealias Context = ChannelRequestContext
    let state: SandboxState

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let decision = await state.decideFault(clientId: context.channel.clientId)
        if decision.latencyMs > 0 { try await Task.sleep(for: .milliseconds(decision.latencyMs)) }
        switch decision.outcome {
        case .proceed:
            return try await next(request, context)
        case .invalidSignature:
            context.logger.debug("Injected invalid signature")
            var context = context
            context.corruptSignature = true
            return try await next(request, context)
        case .serverError:
            context.logger.debug("Injected 500")
            return PayOSEnvelope.injectedServerError.response(from: request, context: context)
        case .rateLimited(let retryAfter):
            context.logger.debug("Injected 429")
            return PayOSEnvelope.injectedRateLimit(retryAfterSeconds: retryAfter).response(from: request, context: context)
        }
    }
}
