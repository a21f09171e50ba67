// Copyright (c) the Gatehouse authors
public import CoreMetrics
public import GatehouseCore
public import PayOS
public import Sodium
import Synchronization
public import Vault

/// This instance's cache of owners' unsealed payOS keys, in guarded memory, behind ``TenantKeyAccess``.
///
/// **Why.** Every unseal is an audited vault read whose audit row takes the chain's lock: with one unseal per key use,
/// every tenant's traffic in the fleet queued on that lock. With the cache, an owner's keys are unsealed (one audit row,
/// written before the keys are used, as before) once per ``Configuration/timeToLive`` or per invalidation; the uses in
/// between are counted in ``KeyUseLedger`` and written as aggregated audit rows.
///
/// **Memory.** All entries live in ONE ``SecureSlab`` (one `sodium_malloc`: guard pages, canary, `mlock`, `PROT_NONE`
/// outside reads), one fixed 320-byte slot per owner: the API key and the active checksum key in the first half, the
/// webhook verification keys (active, and the previous one within its grace window) in the second. 10,000 owners take
/// 3.2 MB of locked memory and three mappings — separate `SecureBytes` per key would need 30,000 regions (~90,000
/// mappings, beyond `vm.max_map_count`) and ~240 MB of locked pages. Keys too long for a slot (payOS's are 36 and 64
/// bytes) are not cached: such an owner is served by an audited unseal per use, as before the cache. A slot is zeroed
/// when its entry is evicted, invalidated or expired and no running call still uses it.
///
/// **Bounds.** At most ``Configuration/capacity`` owners (least recently used evicted first) and at most
/// ``Configuration/timeToLive`` per entry. Invalidation (``invalidate(owner:)``, ``invalidateAll()``) is driven by
/// ``KeyInvalidations``: at once on the instance making the change, within a poll on the others. A fill that started
/// before an invalidation is not cached (``generation``), so a fill racing a rotation cannot keep the old keys.
///
/// **Metrics.** `gatehouse_key_cache_lookups_total{result="hit"|"miss"}` and `gatehouse_key_cache_entries` (this
/// instance's; no owner label: one series per result whatever the number of owners).
public final class TenantKeyCache: Sendable {
    public struct Configuration: Sendable, Hashable {
        /// Owners kept (default 10,000).
        public var capacity: Int
        /// How long an unsealed entry is used before it is unsealed again (default 5 minutes).
        ///
        /// Why 5 minutes: it bounds how long plaintext keys of an owner who stopped being active stay in memory, and
        /// how long a missed invalidation (an instance cut off from the database beyond the poller's window) could
        /// keep an old key in use; and it costs at most one audited unseal per active owner per 5 minutes per
        /// instance (10,000 busy owners → ~33 unseals/s, far below the audit chain's ~1,000 appends/s).
        public var timeToLive: Duration

        public init(capacity: Int = 10_000, timeToLive: Duration = .seconds(300)) {
            self.capacity = max(1, capacity)
            self.timeToLive = timeToLive
        }
    }

    /// Bytes per owner: two halves of ``halfSize``.
    static let slotSize = 320
    static let halfSize = 160

    /// What lookups found, for metrics and tests.
    public struct Statistics: Sendable, Hashable {
        public var hits: Int
        public var misses: Int
        public var entries: Int

        public init(hits: Int, misses: Int, entries: Int) {
            self.hits = hits
            self.misses = misses
            self.entries = entries
        }
    }

    struct PayOSPart {
        var clientId: String
        var apiKey: SecureSlab.Field
        var checksumKey: SecureSlab.Field
    }

    struct VerificationPart {
        var key: SecureSlab.Field
        /// `nil` for the active key; the end of the grace window for the previous one.
        var usableUntil: Int64?
    }

    struct Entry {
        var slot: SecureSlab.Slot
        var expiresAt: Int64
        var payOS: PayOSPart?
        var verification: [VerificationPart]?
        var newer: Int64?
        var older: Int64?
    }

    struct State {
        var entries: [Int64: Entry] = [:]
        /// Most and least recently used owners (a doubly linked list through `newer`/`older`).
        var newest: Int64?
        var oldest: Int64?
        var generation: UInt64 = 0
        var hits = 0
        var misses = 0
    }

    public let configuration: Configuration
    /// Uses served from this cache, for the aggregated audit rows.
    public let uses: KeyUseLedger
    let slab: SecureSlab
    let clock: WallClock
    private let state = Mutex(State())
    private let hitCounter: Counter
    private let missCounter: Counter
    private let entriesGauge: Meter
    /// Fills running, per owner, with the callers waiting for each (``fillTurn(owner:)``).
    let fills = Mutex<[Int64: [CheckedContinuation<Void, Never>]]>([:])

    public static let lookupsMetric = "gatehouse_key_cache_lookups_total"
    public static let entriesMetric = "gatehouse_key_cache_entries"

    /// - Parameters:
    ///   - invalidations: the events that drop entries (``Vault/keyInvalidations``); the cache subscribes.
    ///   - metrics: where the lookup counters and the entries gauge are made.
    public init(
        configuration: Configuration = .init(), invalidations: KeyInvalidations?, clock: WallClock = .system,
        metrics: any MetricsFactory = NOOPMetricsHandler.instance
    ) {
        self.configuration = configuration
        self.clock = clock
        self.hitCounter = Counter(label: Self.lookupsMetric, dimensions: [("result", "hit")], factory: metrics)
        self.missCounter = Counter(label: Self.lookupsMetric, dimensions: [("result", "miss")], factory: metrics)
        self.entriesGauge = Meter(label: Self.entriesMetric, dimensions: [], factory: metrics)
        entriesGauge.set(0)
        self.uses = KeyUseLedger(clock: clock)
        // A little headroom: an evicted entry's slot stays held while a call that took it is still running.
        self.slab = SecureSlab(slotSize: Self.slotSize, slotCount: configuration.capacity + min(256, configuration.capacity))
        invalidations?.subscribe { [weak self] event in
            if let owner = event.ownerID { self?.invalidate(owner: owner) } else { self?.invalidateAll() }
        }
    }

    // MARK: Lookups

    /// The owner's cached payOS credentials, or `nil` (not cached, expired).
    /// - Parameter counted: whether the lookup counts in ``statistics`` and the lookup metrics (not the second look of a caller that waited
    ///   for another caller's fill: its first look was counted as the miss it was).
    public func payOSCredentials(owner: Int64, counted: Bool = true) -> PayOSCredentials? {
        let now = clock.now()
        return mutate { state -> PayOSCredentials? in
            guard let part = Self.touch(&state, owner: owner, now: now)?.payOS else {
                if counted { state.misses += 1; missCounter.increment() }
                return nil
            }
            if counted { state.hits += 1; hitCounter.increment() }
            return PayOSCredentials(clientId: part.clientId, apiKey: part.apiKey, checksumKey: part.checksumKey)
        }
    }

    /// The owner's cached webhook verification keys, active first, the previous one only within its grace window.
    /// - Parameter counted: see ``payOSCredentials(owner:counted:)``.
    public func verificationKeys(owner: Int64, counted: Bool = true) -> [any GuardedBytes]? {
        let now = clock.now()
        return mutate { state -> [any GuardedBytes]? in
            guard let parts = Self.touch(&state, owner: owner, now: now)?.verification else {
                if counted { state.misses += 1; missCounter.increment() }
                return nil
            }
            if counted { state.hits += 1; hitCounter.increment() }
            return Self.usable(parts, now: now)
        }
    }

    /// A number that changes on every invalidation: read it before unsealing and pass it to a `store` call, which
    /// caches nothing when it changed in between.
    public var generation: UInt64 { state.withLock { $0.generation } }

    public var statistics: Statistics { state.withLock { Statistics(hits: $0.hits, misses: $0.misses, entries: $0.entries.count) } }

    /// Whether `owner` has an entry (tests).
    public func contains(owner: Int64) -> Bool { state.withLock { $0.entries[owner] != nil } }

    /// The slab slot index of `owner`'s entry (tests: the slot must read zero once the entry is gone).
    public func slotIndex(owner: Int64) -> Int? { state.withLock { $0.entries[owner]?.slot.index } }

    /// Whether slot `index` reads zero (tests).
    public func slotIsZero(_ index: Int) -> Bool { slab.slotIsZero(index) }

    // MARK: Fills

    /// The keys a fill hands to its caller: views of the cached copies, or the unsealed ones for what could not be
    /// cached (valid only while the unsealed set is).
    public struct Filled: Sendable {
        public var payOS: PayOSCredentials
        /// Active first; the previous checksum key only within its grace window.
        public var verificationKeys: [any GuardedBytes]
    }

    /// Caches a freshly unsealed set and its verification keys (active first) in the two halves of `owner`'s entry.
    /// What was not cached — an invalidation since `generation`, keys too long for a half, no free slot — is handed
    /// back as the unsealed copies: use those then. A half filled meanwhile by a concurrent miss is kept.
    public func store(owner: Int64, _ unsealed: UnsealedCredentials, verificationKeys keys: [WebhookVerificationKey], generation: UInt64) -> Filled {
        let now = clock.now()
        var filled = Filled(payOS: PayOSCredentials(unsealed: unsealed), verificationKeys: Self.usable(keys, now: now))
        let apiCount = unsealed.apiKey.count, checksumCount = unsealed.checksumKey.count
        let clientId = unsealed.clientID.unprotectedUTF8String()
        let payOSFits = apiCount + checksumCount <= Self.halfSize && clientId != nil
        let verificationFits = keys.reduce(0, { $0 + $1.key.count }) <= Self.halfSize
        guard payOSFits || verificationFits else { return filled }
        return mutate { state -> Filled in
            guard state.generation == generation else { return filled }
            let (slot, _) = entrySlot(&state, owner: owner, now: now)
            guard let slot else { return filled }
            if payOSFits, let clientId {
                let part = state.entries[owner]?.payOS ?? {
                    Self.copy([unsealed.apiKey, unsealed.checksumKey], into: slot, at: 0)
                    return PayOSPart(
                        clientId: clientId, apiKey: slot.field(offset: 0, count: apiCount),
                        checksumKey: slot.field(offset: apiCount, count: checksumCount))
                }()
                state.entries[owner]?.payOS = part
                filled.payOS = PayOSCredentials(clientId: part.clientId, apiKey: part.apiKey, checksumKey: part.checksumKey)
            }
            if verificationFits {
                let parts = state.entries[owner]?.verification ?? {
                    Self.copy(keys.map(\.key), into: slot, at: Self.halfSize)
                    var offset = Self.halfSize
                    return keys.map { key in
                        defer { offset += key.key.count }
                        return VerificationPart(key: slot.field(offset: offset, count: key.key.count), usableUntil: key.isActive ? nil : key.usableUntil)
                    }
                }()
                state.entries[owner]?.verification = parts
                filled.verificationKeys = Self.usable(parts, now: now)
            }
            return filled
        }
    }

    // MARK: Invalidation

    /// Drops `owner`'s entry (its slot is zeroed once no running call uses it).
    public func invalidate(owner: Int64) {
        let removed = mutate { state -> Entry? in
            state.generation &+= 1
            return Self.unlink(&state, owner: owner)
        }
        _ = removed  // released here, outside the lock: the slot is zeroed now unless a running call holds it
    }

    /// Drops every entry (master key changes; the invalidation poller lost the database).
    public func invalidateAll() {
        let removed = mutate { state -> [Int64: Entry] in
            let all = state.entries
            state = State(generation: state.generation &+ 1, hits: state.hits, misses: state.misses)
            return all
        }
        _ = removed
    }

    /// Drops entries past their time to live (called periodically, so idle owners' keys leave memory too).
    public func removeExpired() {
        let now = clock.now()
        let removed = mutate { state -> [Entry] in
            let expired = state.entries.filter { $0.value.expiresAt <= now }.map(\.key)
            return expired.compactMap { Self.unlink(&state, owner: $0) }
        }
        _ = removed
    }

    // MARK: Internals (under the lock)

    /// Runs `body` under the lock, then publishes the entry count it leaves (still under the lock, so concurrent
    /// changes publish in order; a gauge set is one atomic store).
    private func mutate<Result>(_ body: (inout State) -> sending Result) -> sending Result {
        state.withLock { state -> sending Result in
            let result = body(&state)
            entriesGauge.set(state.entries.count)
            return result
        }
    }

    private static func usable(_ parts: [VerificationPart], now: Int64) -> [any GuardedBytes] {
        parts.filter { ($0.usableUntil ?? .max) > now }.map(\.key)
    }

    private static func usable(_ keys: [WebhookVerificationKey], now: Int64) -> [any GuardedBytes] {
        keys.filter { $0.isActive || ($0.usableUntil ?? .max) > now }.map(\.key)
    }

    /// The live entry of `owner`, made most recently used; an expired one is removed.
    private static func touch(_ state: inout State, owner: Int64, now: Int64) -> Entry? {
        guard let entry = state.entries[owner] else { return nil }
        guard entry.expiresAt > now else {
            _ = unlink(&state, owner: owner)
            return nil
        }
        moveToFront(&state, owner: owner)
        return state.entries[owner]
    }

    /// The slot of `owner`'s live entry, creating the entry (evicting the least recently used at capacity). The
    /// evicted entries are returned so the caller releases them after the lock.
    private func entrySlot(_ state: inout State, owner: Int64, now: Int64) -> (SecureSlab.Slot?, [Entry]) {
        if let entry = Self.touch(&state, owner: owner, now: now) { return (entry.slot, []) }
        var evicted: [Entry] = []
        while state.entries.count >= configuration.capacity, let oldest = state.oldest {
            if let entry = Self.unlink(&state, owner: oldest) { evicted.append(entry) }
        }
        evicted = []  // released now: the evicted slots are zeroed and free again before allocating
        guard let slot = slab.allocate() else { return (nil, evicted) }
        let ttl = configuration.timeToLive.components
        let expiresAt = now + ttl.seconds * 1000 + ttl.attoseconds / 1_000_000_000_000_000
        state.entries[owner] = Entry(slot: slot, expiresAt: expiresAt, newer: nil, older: state.newest)
        if let newest = state.newest { state.entries[newest]?.newer = owner }
        state.newest = owner
        if state.oldest == nil { state.oldest = owner }
        return (slot, evicted)
    }

    private static func moveToFront(_ state: inout State, owner: Int64) {
        guard state.newest != owner, let entry = state.entries[owner] else { return }
        detach(&state, entry: entry)
        state.entries[owner]?.newer = nil
        state.entries[owner]?.older = state.newest
        if let newest = state.newest { state.entries[newest]?.newer = owner }
        state.newest = owner
        if state.oldest == nil { state.oldest = owner }
    }

    private static func detach(_ state: inout State, entry: Entry) {
        if let newer = entry.newer { state.entries[newer]?.older = entry.older } else { state.newest = entry.older }
        if let older = entry.older { state.entries[older]?.newer = entry.newer } else { state.oldest = entry.newer }
    }

    /// Removes the entry and returns it; the caller lets it go (outside the lock where it can), which zeroes the slot.
    private static func unlink(_ state: inout State, owner: Int64) -> Entry? {
        guard let entry = state.entries[owner] else { return nil }
        detach(&state, entry: entry)
        state.entries[owner] = nil
        return entry
    }

    private static func copy(_ secrets: [SecureBytes], into slot: SecureSlab.Slot, at start: Int) {
        slot.write { buffer in
            var offset = start
            for secret in secrets {
                secret.withUnsafeBytes { bytes in
                    if let base = bytes.baseAddress, !bytes.isEmpty { (buffer.baseAddress! + offset).copyMemory(from: base, byteCount: bytes.count) }
                }
                offset += secret.count
            }
        }
    }
}
