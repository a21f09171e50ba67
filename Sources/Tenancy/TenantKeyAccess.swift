// Copyright (c) the Gatehouse authors
public import GatehouseCore
public import Logging
public import PayOS
public import Sodium
public import Vault

/// The one way to use an owner's payOS keys: every call to payOS made *as an owner* and every webhook signature check
/// goes through here, so the order "admit under the owner's payOS cap → keys → call" is written once.
///
/// With a ``TenantKeyCache`` (the composition root gives one), the keys come from this instance's cache in guarded
/// memory; a miss is an audited unseal that fills it, and each use served from the cache is counted in the cache's
/// ``KeyUseLedger`` (aggregated audit rows); concurrent misses of one owner share one fill
/// (``TenantKeyCache/fillTurn(owner:part:)``). Without one, every use is an audited unseal whose guarded copy is wiped
/// after the call. Either way the keys stay in guarded memory: ``PayOSCredentials`` and the verification keys are
/// ``GuardedBytes``, and signatures are computed from them.
public struct TenantKeyAccess: Sendable {
    let vault: Vault
    let rateLimiter: TenantRateLimiter
    /// This instance's cache of unsealed keys, or `nil` for an unseal per use.
    public let cache: TenantKeyCache?

    /// The purpose recorded for webhook signature checks.
    public static let verifyPurpose = "webhook.verify"

    /// - Parameters:
    ///   - vault: where the owners' sealed credentials are.
    ///   - rateLimiter: whose per-owner payOS cap every call is admitted under.
    ///   - cache: this instance's key cache (`nil`: unseal for every use).
    public init(vault: Vault, rateLimiter: TenantRateLimiter, cache: TenantKeyCache? = nil) {
        self.vault = vault
        self.rateLimiter = rateLimiter
        self.cache = cache
    }

    /// Admits one payOS call under the owner's cap, takes the owner's active credentials (from the cache, or an
    /// unseal audited with `purpose` that fills it) and hands them to `call`.
    /// - Throws: ``RateLimitError`` when the owner's payOS cap is exhausted (nothing unsealed, nothing sent);
    ///   ``VaultError`` when the owner has no usable credentials; whatever `call` throws.
    public func withPayOSCredentials<Value>(
        owner: OwnerID, purpose: String, audit: AuditContext, logger: Logger, isolation: isolated (any Actor)? = #isolation,
        _ call: (PayOSCredentials) async throws -> Value
    ) async throws -> Value {
        try rateLimiter.admitPayOSCall(owner: owner)
        var ticket: TenantKeyCache.FillTicket?
        if let cache {
            if let cached = cache.payOSCredentials(owner: owner.rawValue) {
                cache.uses.record(owner: owner.rawValue, purpose: purpose)
                return try await call(cached)
            }
            // One fill per owner: a concurrent miss waits for the running one and is then served from the cache.
            ticket = await cache.fillTurn(owner: owner.rawValue, part: .payOS)
            if ticket == nil, let cached = cache.payOSCredentials(owner: owner.rawValue, counted: false) {
                cache.uses.record(owner: owner.rawValue, purpose: purpose)
                return try await call(cached)
            }
        }
        defer { ticket?.end() }
        let generation = cache?.generation ?? 0
        return try await vault.withCredentials(owner: owner.rawValue, purpose: purpose, audit: audit, logger: logger) { [ticket] unsealed in
            let credentials = cache?.storePayOS(owner: owner.rawValue, unsealed, generation: generation) ?? PayOSCredentials(unsealed: unsealed)
            ticket?.end()  // the waiters read the cache now, not after this call
            return try await call(credentials)
        }
    }

    /// Admits one payOS call made for the owner with keys that are not (yet) its stored ones — the onboarding proof's
    /// confirm-webhook with candidate keys — under the same cap as calls with the stored ones.
    /// - Throws: ``RateLimitError`` when the owner's payOS cap is exhausted (the call must not be made).
    public func admitPayOSCall(owner: OwnerID) throws(RateLimitError) {
        try rateLimiter.admitPayOSCall(owner: owner)
    }

    /// The checksum keys a webhook of this owner may be signed with (the active one and, during a rotation's grace
    /// window, the previous one), active first, handed to `verify`. No payOS call: not rate limited. With a cache hit
    /// no database is touched.
    public func withWebhookVerificationKeys<Value>(
        owner: OwnerID, audit: AuditContext, logger: Logger, isolation: isolated (any Actor)? = #isolation,
        _ verify: ([any GuardedBytes]) async throws -> Value
    ) async throws -> Value {
        if let cache, let cached = cache.verificationKeys(owner: owner.rawValue) {
            do {
                let verified = try await verify(cached)
                cache.uses.record(owner: owner.rawValue, purpose: Self.verifyPurpose)
                return verified
            } catch {
                // A key rotated on another instance within the last poll interval would fail here: read (never write)
                // the owner's recent invalidations; only if one dropped the entry are the keys unsealed again (that
                // unseal's audit row accounts for this use).
                try await vault.catchUpKeyInvalidations(owner: owner.rawValue, logger: logger)
                guard !cache.contains(owner: owner.rawValue) else {
                    cache.uses.record(owner: owner.rawValue, purpose: Self.verifyPurpose)
                    throw error
                }
            }
        }
        var ticket: TenantKeyCache.FillTicket?
        if let cache {
            // One fill per owner: a concurrent miss waits for the running one and is then served from the cache.
            ticket = await cache.fillTurn(owner: owner.rawValue, part: .verification)
            if ticket == nil, let cached = cache.verificationKeys(owner: owner.rawValue, counted: false) {
                defer { cache.uses.record(owner: owner.rawValue, purpose: Self.verifyPurpose) }
                return try await verify(cached)
            }
        }
        defer { ticket?.end() }
        let generation = cache?.generation ?? 0
        return try await vault.webhookVerificationKeys(owner: owner.rawValue, purpose: Self.verifyPurpose, audit: audit, logger: logger) {
            [ticket] keys in
            let guarded = cache?.storeVerification(owner: owner.rawValue, keys, generation: generation) ?? keys.map { $0.key as any GuardedBytes }
            ticket?.end()  // the waiters read the cache now, not after this call
            return try await verify(guarded)
        }
    }
}

extension PayOSCredentials {
    /// The vault's unsealed set for one call: the keys stay in the vault's guarded copies (wiped after the call).
    init(unsealed: UnsealedCredentials) {
        self.init(clientId: unsealed.clientID.unprotectedUTF8String() ?? "", apiKey: unsealed.apiKey, checksumKey: unsealed.checksumKey)
    }
}
