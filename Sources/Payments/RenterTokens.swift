// Copyright (c) the Gatehouse authors
public import Tenancy

/// Renter tokens: the bearer secret in a renter's payment link. A token is derived from the payment's random code with
/// the server's pepper (160 bits), so it is never stored — only its keyed hash is — yet can be given again to an
/// owner's retried request and put in the receipt e-mail.
public struct RenterTokens: Sendable {
    static let purpose = "renter-link"

    let hasher: TokenHasher
    /// Tokens already verified, so a renter's repeated polls skip the keyed hash (see ``VerifiedTokenMemo``).
    let verified: VerifiedTokenMemo

    public init(hasher: TokenHasher) {
        self.init(hasher: hasher, verified: VerifiedTokenMemo())
    }

    init(hasher: TokenHasher, verified: VerifiedTokenMemo) {
        self.hasher = hasher
        self.verified = verified
    }

    /// The renter token of the payment with this code.
    public func token(paymentCode: String) -> String {
        RandomToken.base32(of: hasher.hash(paymentCode, purpose: "renter-token-derivation").prefix(32))
    }

    /// The keyed hash stored for a token.
    func storedHash(of token: String) -> [UInt8] {
        hasher.hash(token, purpose: Self.purpose)
    }

    /// Whether `token` opens the payment whose stored hash is `storedHash` (constant time).
    public func matches(_ token: String, storedHash: [UInt8]) -> Bool {
        guard token.utf8.count == 32 else { return false }
        let digest = verified.digest(token)
        if verified.recognises(digest, storedHash: storedHash) { return true }
        guard hasher.matches(token, purpose: Self.purpose, stored: storedHash) else { return false }
        verified.remember(digest, storedHash: storedHash)
        return true
    }
}
