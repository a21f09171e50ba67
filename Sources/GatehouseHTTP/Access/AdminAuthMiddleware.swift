// Copyright (c) the Gatehouse authors
public import Hummingbird
import Logging
public import Tenancy
public import Vault
public import GatehouseCore

/// Resolves `Authorization: Bearer <admin token>` to an admin, refusing a missing, malformed, unknown or revoked
/// token — and an owner API key, which is never an admin token — with 401 `UNAUTHORIZED`.
///
/// Routes behind it read the admin from ``AdminPrincipal/current``. A task-local rather than a context field
/// because the admin routes of other modules (rate limits, metrics) are plain `RouteCollection<GatehouseRequestContext>`
/// mounted in the same group, and `GatehouseRequestContext` belongs to the gateway; a task-local reaches every handler
/// and child task of the request, and nothing outside it.
public struct AdminAuthMiddleware: RouterMiddleware {
    public typealias Context = GatehouseRequestContext

    let tokens: AdminTokenRepository

    public init(tokens: AdminTokenRepository) {
        self.tokens = tokens
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let token = OwnerAuthMiddleware.bearerToken(request),
            let admin = try await tokens.authenticate(token, logger: context.logger)
        else {
            throw AdminAuthMiddleware.unauthorized
        }
        var context = context
        context.logger[metadataKey: "admin.prefix"] = .string(admin.prefix)
        return try await AdminPrincipal.$current.withValue(admin) { try await next(request, context) }
    }

    /// 401 with a message that names what `/admin` wants (not "API key", which would invite trying an owner key).
    static let unauthorized = APIError(status: .unauthorized, code: "UNAUTHORIZED", message: "a valid admin token is required")
}

extension AdminPrincipal {
    /// The admin of the request being handled (set by ``AdminAuthMiddleware`` or the dashboard's session check).
    @TaskLocal public static var current: AdminPrincipal?

    /// The current admin, or 401 when a route was reached without one (a wiring mistake, refused safely).
    public static func require() throws -> AdminPrincipal {
        guard let current else { throw AdminAuthMiddleware.unauthorized }
        return current
    }

    /// The audit context for the current request: actor `admin:<prefix>` and the request id.
    public static func audit(_ context: GatehouseRequestContext) throws -> AuditContext {
        AuditContext(actor: try require().actor, requestID: context.requestID)
    }
}
