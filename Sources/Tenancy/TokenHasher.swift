// Copyright (c) the Gatehouse authors
public import Sodium

/// Hashes bearer secrets (owner API keys, admin tokens, renter link tokens) for storage.
///
/// Secrets are random (≥ 128 bits), so a fast hash is safe; it is *keyed* (HMAC-SHA256 with a
/// server-side pepper kept out of the database) so a stolen database alone cannot even confirm a guess.
public struct TokenHasher: Sendable {
    /// In guarded memory for the life of the process; the HMAC reads it through its pointer.
    private let pepper: SecureBytes

    /// - Parameter pepper: at least 32 secret bytes, stable across restarts (the vault's platform secret).
    public init(pepper: SecureBytes) {
        precondition(pepper.count >= 32, "the token pepper must be at least 32 bytes")
        self.pepper = pepper
    }

    /// A pepper given as bytes (tests, tools): copied into guarded memory.
    public init(pepper: [UInt8]) {
        self.init(pepper: SecureBytes(copying: pepper))
    }

    /// The keyed hash of a presented secret, with a purpose label so one kind of token never matches another.
    public func hash(_ secret: String, purpose: String) -> [UInt8] {
        HMACSHA256.authenticate(Array("gatehouse:token:\(purpose)|".utf8) + Array(secret.utf8), key: pepper)
    }

    /// Whether `secret` hashes to `stored`, in constant time.
    public func matches(_ secret: String, purpose: String, stored: [UInt8]) -> Bool {
        ConstantTime.equals(hash(secret, purpose: purpose), stored)
    }
}

/// Random identifiers and secrets.
public enum RandomToken {
    fileprivate static let alphabet = Array("abcdefghijkmnpqrstuvwxyz23456789".utf8)  // 32 symbols, no 0/o/1/l

    /// `count` characters of unambiguous lowercase base32: 5 bits each.
    public static func base32(count: Int) -> String {
        base32(of: SecureRandom.bytes(count: count))
    }

    /// One character of the same alphabet per byte (its low 5 bits): how a keyed hash becomes a derived token.
    public static func base32(of bytes: some Sequence<UInt8>) -> String {
        String(decoding: bytes.map { alphabet[Int($0 & 31)] }, as: UTF8.self)
    }

    /// A secret of `bits` random bits in base32 (rounded up to whole characters).
    public static func secret(bits: Int) -> String { base32(count: (bits + 4) / 5) }
}

/// The shape of Gatehouse's bearer credentials: `<scheme>_<12-character public prefix>_<256-bit secret>` (owner API
/// keys `gh_…`, admin tokens `gha_…`, admin dashboard sessions `ghs_…`). The prefix names the credential in listings
/// and finds its row; only a keyed hash of the whole string is stored.
public struct PrefixedToken: Sendable {
    public let prefix: String
    public let token: String

    /// A new random credential of `scheme`.
    public init(scheme: String) {
        prefix = RandomToken.base32(count: 12)
        token = "\(scheme)_\(prefix)_\(RandomToken.secret(bits: 256))"
    }

    private static let prefixAlphabet = Set(RandomToken.alphabet)

    /// The public prefix of a well-formed credential of `scheme`, else `nil` (no lookup is made for malformed input).
    /// The prefix must be 12 characters of the base32 alphabet, as issued: counting grapheme clusters let any 12
    /// "characters" through (emoji, combining marks, spaces), so a lookup key no credential can have.
    public static func prefix(of presented: String, scheme: String) -> String? {
        guard presented.utf8.count < 128 else { return nil }
        let parts = presented.split(separator: "_", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0] == scheme, parts[1].utf8.count == 12, parts[1].utf8.allSatisfy(prefixAlphabet.contains), !parts[2].isEmpty
        else { return nil }
        return String(parts[1])
    }
}
