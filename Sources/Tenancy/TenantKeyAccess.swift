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
/// (``TenantKeyCache/fillTurn(owner:)``), which unseals and caches the payOS keys and the verification keys together. Without one, every use is an audited unseal whose guarded copy is wiped
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
        guard let cache else {
            return try await vault.withCredentials(owner: owner.rawValue, purpose: purpose, audit: audit, logger: logger) {
                try await call(PayOSCredentials(unsealed: $0))
            }
        }
        if let cached = cache.payOSCredentials(owner: owner.rawValue) {
            cache.uses.record(owner: owner.rawValue, purpose: purpose)
            return try await call(cached)
        }
        return try await fill(cache, owner: owner, purpose: purpose, audit: audit, logger: logger) { cache, counted in
            cache.payOSCredentials(owner: owner.rawValue, counted: counted)
        } pick: { $0.payOS } use: { credentials, filled in
            if !filled { cache.uses.record(owner: owner.rawValue, purpose: purpose) }
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
        guard let cache else {
            return try await vault.webhookVerificationKeys(owner: owner.rawValue, purpose: Self.verifyPurpose, audit: audit, logger: logger) {
                try await verify($0.map { $0.key as any GuardedBytes })
            }
        }
        return try await fill(cache, owner: owner, purpose: Self.verifyPurpose, audit: audit, logger: logger) { cache, counted in
            cache.verificationKeys(owner: owner.rawValue, counted: counted)
        } pick: { $0.verificationKeys } use: { keys, filled in
            defer { if !filled { cache.uses.record(owner: owner.rawValue, purpose: Self.verifyPurpose) } }
            return try await verify(keys)
        }
    }

    /// A cache miss: one fill per owner at a time. The leader unseals the owner's active set and verification keys
    /// together (one audit row, accounting for this use) and caches both halves of the entry, so the owner's first
    /// webhook after its first payOS call (or the reverse) is a hit; a concurrent miss waits for the running fill and
    /// is then served from the cache (its use counted), or, when the fill cached nothing, makes its own.
    /// - Parameters:
    ///   - cached: the cache lookup of what the caller needs (`counted`: whether it counts as a lookup).
    ///   - pick: what the caller needs from a fill.
    ///   - use: the call; its flag says whether these keys came from this caller's own (audited) fill.
    private func fill<Keys, Value>(
        _ cache: TenantKeyCache, owner: OwnerID, purpose: String, audit: AuditContext, logger: Logger,
        isolation: isolated (any Actor)? = #isolation,
        cached: (TenantKeyCache, _ counted: Bool) -> Keys?,
        pick: (TenantKeyCache.Filled) -> Keys,
        use: (Keys, _ filled: Bool) async throws -> Value
    ) async throws -> Value {
        let ticket = await cache.fillTurn(owner: owner.rawValue)
        if ticket == nil, let keys = cached(cache, false) { return try await use(keys, false) }
        defer { ticket?.end() }
        let generation = cache.generation
        return try await vault.withCredentialsAndVerificationKeys(owner: owner.rawValue, purpose: purpose, audit: audit, logger: logger) {
            [ticket] credentials, verificationKeys in
            let filled = cache.store(owner: owner.rawValue, credentials, verificationKeys: verificationKeys, generation: generation)
            ticket?.end()  // the waiters read the cache now, not after this call
            return try await use(pick(filled), true)
        }
    }
}

extension PayOSCredentials {
    /// The vault's unsealed set for one call: the keys stay in the vault's guarded copies (wiped after the call).
    init(unsealed: UnsealedCredentials) {
        self.init(clientId: unsealed.clientID.unprotectedUTF8String() ?? "", apiKey: unsealed.apiKey, checksumKey: unsealed.checksumKey)
    }
}
