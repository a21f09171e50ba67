// Copyright (c) the Gatehouse authors
public import Hummingbird
import Foundation
import HTTPTypes
import Logging
public import Tenancy
import GatehouseCore

/// The one place an owner's API key is turned into an owner, with the one suspension rule: every route that reads
/// owner keys (owner API, renter pages, notification checks) goes through ``owner(_:logger:)``.
public struct OwnerAuthenticator: Sendable {
    let apiKeys: APIKeyRepository
    let owners: OwnerRepository
    let failures: AuthFailureLimiter

    public init(apiKeys: APIKeyRepository, owners: OwnerRepository, failures: AuthFailureLimiter) {
        self.apiKeys = apiKeys
        self.owners = owners
        self.failures = failures
    }

    /// The active owner of the request's `Authorization: Bearer` key; `nil` without a bearer or for a key that is
    /// unknown, revoked or expired (each route decides what that means: 401, or 404 on a renter route). A wrong key is
    /// charged to the client's address (``AuthFailureLimiter``).
    /// - Throws: 403 `OWNER_SUSPENDED` for a valid key of a suspended owner, on every route; 429 `RATE_LIMITED` for a
    ///   key presented from an address whose failed attempts used up its budget.
    func owner(_ request: Request, context: GatehouseRequestContext) async throws -> Owner? {
        guard let token = request.bearerToken else { return nil }
        try await failures.admit(request, context: context, kind: .owner)
        guard let ownerID = try await apiKeys.authenticate(token, logger: context.logger),
            let owner = try await owners.get(ownerID, logger: context.logger)
        else {
            failures.recordFailure(request, context: context, kind: .owner)
            return nil
        }
        guard owner.status == .active else { throw APIError.ownerSuspended }
        return owner
    }
}

/// ``OwnerAuthenticator`` is also the owner API's gate (mount it on the owner group): a missing or wrong key is 401, a
/// suspended owner 403 `OWNER_SUSPENDED`. Routes run in ``OwnerRequestContext``; the request is charged to the owner by
/// a ``RateLimitMiddleware`` mounted after it.
extension OwnerAuthenticator: RouterMiddleware {
    public typealias Context = GatehouseRequestContext

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let owner = try await owner(request, context: context) else { throw APIError.unauthorized }
        var context = context
        context.access = RequestAccess(owner: owner, charge: .owner(owner.id))
        context.logger[metadataKey: "tenant.id"] = .stringConvertible(owner.id)
        return try await next(request, context)
    }
}

extension Request {
    /// The token of an `Authorization: Bearer …` header (owner API keys and admin tokens).
    ///
    /// Split on Unicode scalars, not characters: a space followed by a combining mark is one grapheme cluster, which
    /// made the token of `Bearer  ̠x` unreadable from `Bearer ̠x`.
    public var bearerToken: String? {
        guard let header = headers[.authorization] else { return nil }
        let scalars = header.unicodeScalars.drop { $0 == " " }
        guard let space = scalars.firstIndex(of: " "), String(scalars[..<space]).lowercased() == "bearer" else { return nil }
        let token = String(scalars[scalars.index(after: space)...]).trimmingCharacters(in: .whitespaces)
        return token.isEmpty ? nil : token
    }
}
