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
