// Copyright (c) the Gatehouse authors
public import Logging
import Sodium

/// Owners' webhook keys: the secret path segment of the URL payOS posts an owner's webhooks to
/// (`/webhook/payos/{key}`).
///
/// The database holds only the key's public id (`owner.webhook_key`, 16 random base32 characters); the key is
/// `<id>.<tag>`, where the tag is 32 base32 characters (160 bits) of a keyed hash of the id under the token pepper, which
/// never enters the database. So a copy of the database (a dump, a backup, a stolen SQLite file) cannot be used to post
/// to an owner's webhook URL, yet the key can always be shown again (onboarding registers it with payOS) — the
/// same construction as renter tokens.
///
/// Owners created before this scheme (a stored key of 32 characters with no id) keep their key, which payOS has
/// registered, until a new one is issued for them.
public struct WebhookKeys: Sendable {
    static let purpose = "webhook-key"
    static let idLength = 16
    static let tagLength = 32
    static let legacyLength = 32

    let hasher: TokenHasher

    public init(hasher: TokenHasher) {
        self.hasher = hasher
    }

    /// A fresh public id for a new owner's key.
    public static func newKeyID() -> String { RandomToken.base32(count: idLength) }

    /// The key in the owner's webhook URL.
    public func key(for owner: Owner) -> String {
        let stored = owner.webhookKeyID
        return stored.utf8.count == Self.idLength ? "\(stored).\(tag(of: stored))" : stored
    }

    /// The owner whose webhook URL carries `presented`, or `nil` (unknown id, wrong tag, malformed).
    ///
    /// The id finds the row; the tag is then checked in constant time. A bare id (as a database copy would give) never
    /// matches, and a legacy key only matches a legacy row.
    public func owner(presentedKey presented: String, in owners: OwnerRepository, logger: Logger) async throws -> Owner? {
        let parts = presented.split(separator: ".", omittingEmptySubsequences: false)
        switch parts.count {
        case 2:
            let id = String(parts[0])
            guard id.utf8.count == Self.idLength, parts[1].utf8.count == Self.tagLength,
                let owner = try await owners.get(webhookKeyID: id, logger: logger)
            else { return nil }
            return ConstantTime.equals(Array(tag(of: id).utf8), Array(parts[1].utf8)) ? owner : nil
        case 1 where presented.utf8.count == Self.legacyLength:
            return try await owners.get(webhookKeyID: presented, logger: logger)
        default:
            return nil
        }
    }

    private func tag(of id: String) -> String {
        RandomToken.base32(of: hasher.hash(id, purpose: Self.purpose).prefix(Self.tagLength))
    }
}
