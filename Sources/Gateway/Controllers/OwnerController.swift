// Copyright (c) the Gatehouse authors
public import Hummingbird
import Logging
public import Tenancy
import Vault
import GatehouseCore
public import GatehouseHTTP

/// The owner's own settings: payOS credentials (write-only; shown again only as a hint) and API keys.
public struct OwnerController: Sendable {
    let credentials: OwnerCredentialsService
    let onboarding: OnboardingService
    let apiKeys: APIKeyRepository

    public init(credentials: OwnerCredentialsService, onboarding: OnboardingService, apiKeys: APIKeyRepository) {
        self.credentials = credentials
        self.onboarding = onboarding
        self.apiKeys = apiKeys
    }

    /// Routes; mount in the ``OwnerRequestContext`` group behind ``OwnerAuthenticator``.
    public var endpoints: RouteCollection<OwnerRequestContext> {
        let routes = RouteCollection(context: OwnerRequestContext.self)
        routes.put("/api/owner/payos-credentials", use: storeCredentials)
        routes.get("/api/owner/payos-credentials", use: credentialInfo)
        routes.get("/api/owner/api-keys", use: listKeys)
        routes.delete("/api/owner/api-keys/{prefix}", use: revokeKey)
        return routes
    }

    struct CredentialsRequest: Decodable {
        let client_id: String
        let api_key: String
        let checksum_key: String
    }

    struct CredentialsBody: Encodable {
        let success = true
        let configured: Bool
        let client_id_hint: String?
        let version: Int?
        let rotated_at: String?
        let previous_checksum_key_usable_until: String?
        var webhook_registered: Bool? = nil

        init(_ info: CredentialInfo?) {
            configured = info != nil
            client_id_hint = info?.clientIDHint.map { "…" + $0 }
            version = info?.activeVersion
            rotated_at = info.map { APITime.format($0.rotatedAt) }
            previous_checksum_key_usable_until = info?.previousChecksumKey.map { APITime.format($0.usableUntil) }
        }
    }

    /// Proves the candidate set with payOS (confirm-webhook and its signed probe) before storing anything; a wrong
    /// set is 422 `PAYOS_CREDENTIALS_INVALID` with the failed `part`. On success payOS already delivers the owner's
    /// webhooks to its own URL (`webhook_registered`).
    @Sendable func storeCredentials(request: Request, context: OwnerRequestContext) async throws -> JSONResponse<CredentialsBody> {
        let owner = context.ownerID
        let body = try await request.decodeJSON(as: CredentialsRequest.self, context: context)
        let info = try await onboarding.submit(
            owner: owner, clientID: body.client_id, apiKey: body.api_key, checksumKey: body.checksum_key, audit: context.audit, logger: context.logger)
        var answer = CredentialsBody(info)
        answer.webhook_registered = true
        return JSONResponse(answer)
    }

    @Sendable func credentialInfo(request: Request, context: OwnerRequestContext) async throws -> JSONResponse<CredentialsBody> {
        let owner = context.ownerID
        return JSONResponse(CredentialsBody(try await credentials.info(owner: owner, logger: context.logger)))
    }

    struct KeyBody: Encodable {
        let prefix: String
        let name: String?
        let created_at: String
        let last_used_at: String?
        let expires_at: String?
        let revoked_at: String?
    }

    struct KeyList: Encodable {
        let api_keys: [KeyBody]
    }

    @Sendable func listKeys(request: Request, context: OwnerRequestContext) async throws -> JSONResponse<KeyList> {
        let owner = context.ownerID
        let keys = try await apiKeys.list(owner: owner, logger: context.logger)
        return JSONResponse(
            KeyList(
                api_keys: keys.map {
                    KeyBody(
                        prefix: $0.prefix, name: $0.name, created_at: APITime.format($0.createdAt), last_used_at: $0.lastUsedAt.map(APITime.format),
                        expires_at: $0.expiresAt.map(APITime.format), revoked_at: $0.revokedAt.map(APITime.format))
                }))
    }

    struct RevokeBody: Encodable {
        let success = true
        let revoked: String
    }

    @Sendable func revokeKey(request: Request, context: OwnerRequestContext) async throws -> JSONResponse<RevokeBody> {
        let owner = context.ownerID
        guard let prefix = context.parameters.get("prefix"), try await apiKeys.revoke(owner: owner, prefix: prefix, logger: context.logger) else {
            throw APIError.notFound("API key")
        }
        return JSONResponse(RevokeBody(revoked: prefix))
    }
}
