// Copyright (c) the Gatehouse authors
public import Hummingbird
import Foundation
import HTTPTypes
public import Logging
public import Tenancy
public import GatehouseCore

/// Resolves `Authorization: Bearer <owner API key>` to an owner, refusing a missing or wrong key (401)
/// and a suspended owner (403 `OWNER_SUSPENDED`). Routes added after it see `context.ownerID`.
public struct OwnerAuthMiddleware: RouterMiddleware {
    public typealias Context = GatehouseRequestContext

    let apiKeys: APIKeyRepository
    let owners: OwnerRepository

    public init(apiKeys: APIKeyRepository, owners: OwnerRepository) {
        self.apiKeys = apiKeys
        self.owners = owners
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let ownerID = try await Self.authenticate(request, apiKeys: apiKeys, logger: context.logger) else {
            throw APIError.unauthorized
        }
        guard let owner = try await owners.get(ownerID, logger: context.logger) else { throw APIError.unauthorized }
        guard owner.status == .active else { throw APIError.ownerSuspended }
        var context = context
        context.ownerID = ownerID
        context.logger[metadataKey: "tenant.id"] = .stringConvertible(ownerID)
        return try await next(request, context)
    }

    /// The owner of the request's bearer key, if any (no status check).
    public static func authenticate(_ request: Request, apiKeys: APIKeyRepository, logger: Logger) async throws -> OwnerID? {
        guard let token = bearerToken(request) else { return nil }
        return try await apiKeys.authenticate(token, logger: logger)
    }

    /// The token of an `Authorization: Bearer …` header.
    public static func bearerToken(_ request: Request) -> String? {
        guard let header = request.headers[.authorization] else { return nil }
        let parts = header.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else { return nil }
        let token = parts[1].trimmingCharacters(in: .whitespaces)
        return token.isEmpty ? nil : token
    }
}
