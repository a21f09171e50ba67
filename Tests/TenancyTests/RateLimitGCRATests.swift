// Copyright (c) the Gatehouse authors
import Synchronization
import Testing

@testable import Tenancy
import GatehouseCore

/// A clock the test moves by hand (nanoseconds).
final class ManualNanoClock: Sendable {
    private let nanos = Atomic<Int64>(0)
    var clock: RateLimitClock { RateLimitClock { [self] in nanos.load(ordering: .relaxed) } }
    func set(milliseconds: Int64) { nanos.store(milliseconds * 1_000_000, ordering: .relaxed) }
    func advance(milliseconds: Int64) { nanos.add(milliseconds * 1_000_000, ordering: .relaxed) }
}

/// GCRA admission with an injected clock: exact sequences, burst, recovery and Retry-After.
@Suite struct RateLimitGCRATests {
    let tenPerSecondBurstThree = RateLimitPolicy(requestsPerSecond: 10, burst: 3)

    @Test func aFullBucketAdmitsExactlyTheBurstThenRefusesWithTheTimeToTheNextSlot() {
        var gcra = GCRA()
        let decisions = (0..<4).map { _ in gcra.admit(at: 0, policy: tenPerSecondBurstThree) }
        #expect(decisions.map(\.allowed) == [true, true, true, false])
        #expect(decisions.map(\.remaining) == [2, 1, 0, 0])
        #expect(decisions[3].retryAfterNanos == 100_000_000)
        #expect(decisions[3].retryAfterSeconds == 1)
        // Full again 300 ms after the burst began.
        #expect(decisions[2].resetAfterNanos == 300_000_000)
        #expect(decisions[2].resetSeconds == 1)
    }

    @Test func aRefusalIsNotCountedAndOneSlotReturnsPerEmissionInterval() {
        var gcra = GCRA()
        for _ in 0..<3 { _ = gcra.admit(at: 0, policy: tenPerSecondBurstThree) }
        for _ in 0..<10 { #expect(!gcra.admit(at: 50_000_000, policy: tenPerSecondBurstThree).allowed) }
        // Refusals did not push the next slot back: it is at 100 ms.
        #expect(!gcra.admit(at: 99_999_999, policy: tenPerSecondBurstThree).allowed)
        #expect(gcra.admit(at: 100_000_000, policy: tenPerSecondBurstThree).allowed)
        #expect(!gcra.admit(at: 100_000_000, policy: tenPerSecondBurstThree).allowed)
        #expect(gcra.admit(at: 200_000_000, policy: tenPerSecondBurstThree).allowed)
    }

    @Test func afterAnIdleBurstWindowTheWholeBurstIsAvailableAgain() {
        var gcra = GCRA()
        for _ in 0..<3 { _ = gcra.admit(at: 0, policy: tenPerSecondBurstThree) }
        #expect(!gcra.isIdle(at: 299_999_999))
        #expect(gcra.isIdle(at: 300_000_000))
        let again = (0..<4).map { _ in gcra.admit(at: 300_000_000, policy: tenPerSecondBurstThree).allowed }
        #expect(again == [true, true, true, false])
    }

    @Test func aSaturatingClientGetsExactlyBurstPlusRateTimesTime() {
        var gcra = GCRA()
        var admitted = 0
        // One request every millisecond for 10 s (t = 0 … 10 000 ms inclusive).
        for millisecond in 0...10_000 {
            if gcra.admit(at: Int64(millisecond) * 1_000_000, policy: tenPerSecondBurstThree).allowed { admitted += 1 }
        }
        #expect(admitted == 3 + 100)
    }

    @Test func retryAfterRoundsUpToWholeSecondsForSlowRates() {
        var gcra = GCRA()
        let halfPerSecond = RateLimitPolicy(requestsPerSecond: 0.5, burst: 1)
        #expect(gcra.admit(at: 0, policy: halfPerSecond).allowed)
        let refused = gcra.admit(at: 1, policy: halfPerSecond)
        #expect(!refused.allowed)
        #expect(refused.retryAfterNanos == 2_000_000_000 - 1)
        #expect(refused.retryAfterSeconds == 2)
        #expect(halfPerSecond.windowSeconds == 2)
    }

    @Test func aRaisedLimitTakesEffectAtOnce() {
        var gcra = GCRA()
        let slow = RateLimitPolicy(requestsPerSecond: 1, burst: 5)
        for _ in 0..<5 { _ = gcra.admit(at: 0, policy: slow) }
        #expect(!gcra.admit(at: 0, policy: slow).allowed)
        // The TAT is 5 s ahead; under a 100/s, burst 5 policy it is clamped to that policy's 50 ms window.
        let fast = RateLimitPolicy(requestsPerSecond: 100, burst: 5)
        #expect(!gcra.admit(at: 0, policy: fast).allowed)
        #expect(gcra.admit(at: 10_000_000, policy: fast).allowed)
    }

    @Test func anInstanceShareDividesTheRateAndRoundsTheBurstUp() {
        let policy = RateLimitPolicy(requestsPerSecond: 5, burst: 3)
        #expect(policy.share(of: 1) == policy)
        #expect(policy.share(of: 2) == RateLimitPolicy(requestsPerSecond: 2.5, burst: 2))
        #expect(policy.share(of: 4) == RateLimitPolicy(requestsPerSecond: 1.25, burst: 1))
        #expect(policy.share(of: 0) == policy)
        #expect(policy.share(of: 2).emissionIntervalNanos == 400_000_000)
        #expect(RateLimitPolicy(requestsPerSecond: 20, burst: 100).windowSeconds == 5)
    }

    @Test func concurrentRequestsForOneKeyAreCountedExactlyOnce() async {
        let clock = ManualNanoClock()
        let limiter = KeyedRateLimiter<String>(clock: clock.clock, stripes: 4)
        let policy = RateLimitPolicy(requestsPerSecond: 1, burst: 250)
        let admitted = await withTaskGroup(of: Int.self) { group in
            for _ in 0..<8 {
                group.addTask { (0..<200).reduce(0) { count, _ in count + (limiter.admit("owner", policy: policy).allowed ? 1 : 0) } }
            }
            return await group.reduce(0, +)
        }
        #expect(admitted == 250)
    }

    @Test func idleKeysAreForgottenSoPerIPStateStaysBounded() {
        let clock = ManualNanoClock()
        let limiter = KeyedRateLimiter<String>(clock: clock.clock, stripes: 1, pruneThreshold: 100)
        let policy = RateLimitPolicy(requestsPerSecond: 10, burst: 1)
        for index in 0..<100 { _ = limiter.admit("10.0.0.\(index)", policy: policy) }
        #expect(limiter.trackedKeys == 100)
        clock.advance(milliseconds: 100)
        _ = limiter.admit("192.0.2.1", policy: policy)
        // Every earlier bucket is full again (indistinguishable from new) and was dropped.
        #expect(limiter.trackedKeys == 1)
    }
}

/// The tenant-level limiter: owners do not share buckets, stored limits override defaults, payOS calls are capped.
@Suite struct RateLimitTenantTests {
    let defaults = TenantRateLimiter.Defaults(
        requests: RateLimitPolicy(requestsPerSecond: 10, burst: 2), payOS: RateLimitPolicy(requestsPerSecond: 1, burst: 1),
        perIP: RateLimitPolicy(requestsPerSecond: 5, burst: 1))

    @Test func oneOwnersFloodLeavesAnotherOwnersBucketFull() {
        let clock = ManualNanoClock()
        let limiter = TenantRateLimiter(defaults: defaults, clock: clock.clock)
        let a = OwnerID(1)
        let b = OwnerID(2)
        #expect((0..<50).filter { _ in limiter.admitRequest(owner: a).allowed }.count == 2)
        #expect((0..<3).map { _ in limiter.admitRequest(owner: b).allowed } == [true, true, false])
        clock.advance(milliseconds: 100)
        #expect(limiter.admitRequest(owner: a).allowed)
    }

    @Test func storedLimitsOverrideTheDefaultsAndAnOlderRowNeverReplacesANewerOne() {
        let limiter = TenantRateLimiter(defaults: defaults, clock: ManualNanoClock().clock)
        let owner = OwnerID(7)
        #expect(limiter.effectiveLimit(owner: owner).isDefault)
        limiter.apply([OwnerRateLimit(ownerID: owner, requestsPerSecond: 50, burst: 5, updatedAt: 2_000)])
        limiter.apply([OwnerRateLimit(ownerID: owner, requestsPerSecond: 1, burst: 1, payOSRequestsPerSecond: 9, updatedAt: 1_000)])
        let effective = limiter.effectiveLimit(owner: owner)
        #expect(!effective.isDefault)
        #expect(effective.payOSIsDefault)
        #expect(effective.requests == RateLimitPolicy(requestsPerSecond: 50, burst: 5))
        #expect(effective.payOS == defaults.payOS)
        #expect((0..<6).filter { _ in limiter.admitRequest(owner: owner).allowed }.count == 5)
    }

    @Test func payOSCallsOverTheCapAreRefusedWithTheWaitBeforeLeaving() throws {
        let clock = ManualNanoClock()
        let limiter = TenantRateLimiter(defaults: defaults, clock: clock.clock)
        let owner = OwnerID(3)
        try limiter.admitPayOSCall(owner: owner)
        let error = #expect(throws: RateLimitError.self) { try limiter.admitPayOSCall(owner: owner) }
        #expect(error?.code == .payOSCallsLimited)
        #expect(error?.retryAfter == .seconds(1))
        #expect(error?.description == "RateLimitError(payOSCallsLimited)")
        // The owner's request bucket is separate.
        #expect(limiter.admitRequest(owner: owner).allowed)
        clock.advance(milliseconds: 1_000)
        try limiter.admitPayOSCall(owner: owner)
    }

    @Test func eachOfNInstancesEnforcesItsShare() {
        let clock = ManualNanoClock()
        let limiter = TenantRateLimiter(
            defaults: .init(requests: RateLimitPolicy(requestsPerSecond: 10, burst: 4), payOS: defaults.payOS, perIP: defaults.perIP),
            clock: clock.clock)
        limiter.setLiveInstances(2)
        let owner = OwnerID(4)
        #expect((0..<10).filter { _ in limiter.admitRequest(owner: owner).allowed }.count == 2)
        clock.advance(milliseconds: 199)
        #expect(!limiter.admitRequest(owner: owner).allowed)
        clock.advance(milliseconds: 1)
        #expect(limiter.admitRequest(owner: owner).allowed)
        limiter.setLiveInstances(0)
        #expect(limiter.instances == 1)
    }

    @Test func anonymousTrafficIsLimitedPerAddress() {
        let limiter = TenantRateLimiter(defaults: defaults, clock: ManualNanoClock().clock)
        #expect(limiter.admitAnonymous(clientIP: "203.0.113.9").allowed)
        #expect(!limiter.admitAnonymous(clientIP: "203.0.113.9").allowed)
        #expect(limiter.admitAnonymous(clientIP: "203.0.113.10").allowed)
    }

    @Test func storedLimitsAreValidatedNamingTheField() {
        func problem(_ limit: OwnerRateLimit) -> String? {
            do {
                try limit.validate()
                return nil
            } catch {
                #expect(error.code == .validation)
                return error.message
            }
        }
        let owner = OwnerID(1)
        #expect(problem(OwnerRateLimit(ownerID: owner, requestsPerSecond: 10, burst: 20)) == nil)
        #expect(problem(OwnerRateLimit(ownerID: owner, requestsPerSecond: 0, burst: 20))?.hasPrefix("requests_per_second") == true)
        #expect(problem(OwnerRateLimit(ownerID: owner, requestsPerSecond: 10, burst: 0))?.hasPrefix("burst") == true)
        #expect(problem(OwnerRateLimit(ownerID: owner, requestsPerSecond: 10, burst: 1, payOSBurst: 3)) == "payos_burst needs payos_requests_per_second")
        #expect(
            problem(OwnerRateLimit(ownerID: owner, requestsPerSecond: 10, burst: 1, payOSRequestsPerSecond: 10_001))?
                .hasPrefix("payos_requests_per_second") == true)
    }
}

extension RateLimitGCRATests {
    @Test func aStripeFullOfLiveKeysIsNotFilteredOnEveryRequest() {
        let clock = ManualNanoClock()
        let limiter = KeyedRateLimiter<String>(clock: clock.clock, stripes: 1, pruneThreshold: 10)
        let policy = RateLimitPolicy(requestsPerSecond: 1, burst: 1)
        // 25 addresses active at once: none can be dropped, and all are kept (answers stay exact).
        for index in 0..<25 { _ = limiter.admit("198.51.100.\(index)", policy: policy) }
        #expect(limiter.trackedKeys == 25)
        #expect(!limiter.admit("198.51.100.3", policy: policy).allowed)
        // Once idle they go at the next prune.
        clock.advance(milliseconds: 1_000)
        for index in 0..<30 { _ = limiter.admit("203.0.113.\(index)", policy: policy) }
        #expect(limiter.trackedKeys <= 40)
    }
}
