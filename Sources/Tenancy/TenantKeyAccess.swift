// Copyright (c) the Gatehouse authors
public import GatehouseCore
public import Logging
public import PayOS
import Sodium
public import Vault

/// The one way to use an owner's payOS keys: every call to payOS made *as an owner* and every webhook signature check
/// goes through here, so the order "admit under the owner's payOS cap → unseal → call" is written once.
///
/// The keys live only for the closure (the vault wipes its guarded copy after); nothing is kept between calls.
/// The next step puts a cache behind this narrow API without touching its callers.
public struct TenantKeyAccess: Sendable {
    let vault: Vault
    let rateLimiter: TenantRateLimiter

    /// - Parameters:
    ///   - vault: where the owners' sealed credentials are.
    ///   - rateLimiter: whose per-owner payOS cap every call is admitted under.
    public init(vault: Vault, rateLimiter: TenantRateLimiter) {
        self.vault = vault
        self.rateLimiter = rateLimiter
    }

    /// Admits one payOS call under the owner's cap, unseals the owner's active credentials (audited with `purpose`)
    /// and hands them to `call`.
    /// - Throws: ``RateLimitError`` when the owner's payOS cap is exhausted (nothing unsealed, nothing sent);
    ///   ``VaultError`` when the owner has no usable credentials; whatever `call` throws.
    public func withPayOSCredentials<Value>(
        owner: OwnerID, purpose: String, audit: AuditContext, logger: Logger, isolation: isolated (any Actor)? = #isolation,
        _ call: (PayOSCredentials) async throws -> Value
    ) async throws -> Value {
        try rateLimiter.admitPayOSCall(owner: owner)
        return try await vault.withCredentials(owner: owner.rawValue, purpose: purpose, audit: audit, logger: logger) {
            try await call(PayOSCredentials(unsealed: $0))
        }
    }

    /// Admits one payOS call made for the owner with keys that are not (yet) its stored ones — the onboarding proof's
    /// confirm-webhook with candidate keys — under the same cap as calls with the stored ones.
    /// - Throws: ``RateLimitError`` when the owner's payOS cap is exhausted (the call must not be made).
    public func admitPayOSCall(owner: OwnerID) throws(RateLimitError) {
        try rateLimiter.admitPayOSCall(owner: owner)
    }

    /// Unseals the checksum keys a webhook of this owner may be signed with (the active one and, during a rotation's
    /// grace window, the previous one), active first, and hands them to `verify`. No payOS call: not rate limited.
    public func withWebhookVerificationKeys<Value>(
        owner: OwnerID, audit: AuditContext, logger: Logger, isolation: isolated (any Actor)? = #isolation,
        _ verify: ([String]) async throws -> Value
    ) async throws -> Value {
        try await vault.webhookVerificationKeys(owner: owner.rawValue, audit: audit, logger: logger) { keys in
            try await verify(keys.map { $0.key.unprotectedUTF8String() ?? "" })
        }
    }
}

extension PayOSCredentials {
    /// The strings payOS's headers and HMAC need, copied out of the vault's guarded memory for one call.
    init(unsealed: UnsealedCredentials) {
        self.init(
            clientId: unsealed.clientID.unprotectedUTF8String() ?? "",
            apiKey: unsealed.apiKey.unprotectedUTF8String() ?? "",
            checksumKey: unsealed.checksumKey.unprotectedUTF8String() ?? "")
    }
}
