// Copyright (c) the Gatehouse authors
import Tenancy
import Testing

@testable import Payments

/// A renter token verified once is recognised on later polls without the keyed hash, and nothing else is: a wrong
/// token, or the right token against another payment's hash, is refused as before; the memo is bounded.
@Suite struct VerifiedRenterTokensAreRecognised {
    static let hasher = TokenHasher(pepper: Array(repeating: 3, count: 32))

    static func token(_ seed: String) -> String { RenterTokens(hasher: hasher).token(paymentCode: seed) }

    @Test func theRightTokenMatchesAgainAndIsRememberedOnce() {
        let memo = VerifiedTokenMemo()
        let tokens = RenterTokens(hasher: Self.hasher, verified: memo)
        let token = Self.token("code-1")
        let stored = tokens.storedHash(of: token)
        #expect(memo.count == 0)
        #expect(tokens.matches(token, storedHash: stored))
        #expect(memo.count == 1)
        #expect(memo.recognises(memo.digest(token), storedHash: stored))
        #expect(tokens.matches(token, storedHash: stored))
        #expect(memo.count == 1)
    }

    @Test func wrongTokensAreRefusedAndNeverRemembered() {
        let memo = VerifiedTokenMemo()
        let tokens = RenterTokens(hasher: Self.hasher, verified: memo)
        let right = Self.token("code-1")
        let other = Self.token("code-2")
        let stored = tokens.storedHash(of: right)
        #expect(!tokens.matches(other, storedHash: stored))
        #expect(memo.count == 0)
        #expect(tokens.matches(right, storedHash: stored))
        // After the right one was verified, a wrong one is still refused, and the right one for another payment too.
        #expect(!tokens.matches(other, storedHash: stored))
        #expect(!tokens.matches(right, storedHash: tokens.storedHash(of: other)))
        #expect(!tokens.matches(String(right.dropLast()) + (right.last == "a" ? "b" : "a"), storedHash: stored))
        #expect(memo.count == 1)
    }

    @Test func theMemoIsBounded() {
        let memo = VerifiedTokenMemo(capacity: 16)
        let tokens = RenterTokens(hasher: Self.hasher, verified: memo)
        for n in 0..<100 {
            let token = Self.token("code-\(n)")
            #expect(tokens.matches(token, storedHash: tokens.storedHash(of: token)))
            #expect(memo.count <= 16)
        }
        // Forgotten tokens still match (through the keyed hash).
        let first = Self.token("code-0")
        #expect(tokens.matches(first, storedHash: tokens.storedHash(of: first)))
    }
}
