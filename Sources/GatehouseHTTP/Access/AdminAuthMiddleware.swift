// Copyright (c) the Gatehouse authors
public import Hummingbird
import Logging
public import Tenancy
import Vault
import GatehouseCore

/// Resolves `Authorization: Bearer <admin token>` to an admin, refusing a missing, malformed, unknown or revoked
/// token — and an owner API key, which is never an admin token — with 401 `UNAUTHORIZED`. Routes behind it run in
/// ``AdminRequestContext``.
public struct AdminAuthMiddleware: RouterMiddleware {
    public typealias Context = GatehouseRequestContext

    let tokens: AdminTokenRepository
    let failures: AuthFailureLimiter

    public init(tokens: AdminTokenRepository, failures: AuthFailureLimiter) {
        self.tokens = tokens
        self.failures = failures
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let token = request.bearerToken else { throw AdminAuthMiddleware.unauthorized }
        try await failures.admit(request, context: context, kind: .admin)
        guard let admin = try await tokens.authenticate(token, logger: context.logger) else {
            failures.recordFailure(request, context: context, kind: .admin)
            throw AdminAuthMiddleware.unauthorized
        }
        var context = context
        context.access = RequestAccess(admin: admin)
        context.logger[metadataKey: "admin.prefix"] = .string(admin.prefix)
        return try await next(request, context)
    }

    /// 401 with a message that names what `/admin` wants (not "API key", which would invite trying an owner key).
    static let unauthorized = APIError(status: .unauthorized, code: "UNAUTHORIZED", message: "a valid admin token is required")
}
