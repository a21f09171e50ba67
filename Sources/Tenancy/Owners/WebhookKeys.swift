// Copyright (c) the Gatehouse authors
public import GatehouseCore
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
    /// Key id → owner id, filled by ``ownerID(presentedKey:in:logger:)``; shared by every copy of this value.
    public let directory: WebhookKeyDirectory

    public init(hasher: TokenHasher, directory: WebhookKeyDirectory = WebhookKeyDirectory()) {
        self.hasher = hasher
        self.directory = directory
    }

    /// A fresh public id for a new owner's key.
    public static func newKeyID() -> String { RandomToken.base32(count: idLength) }

    /// The key in the owner's webhook URL.
    public func key(for owner: Owner) -> String {
        let stored = owner.webhookKeyID
        return stored.utf8.count == Self.idLength ? "\(stored).\(tag(of: stored))" : stored
    }

    /// The owner whose webhook URL carries `presented`, or `nil` (unknown id, wrong tag, malformed), read from the
    /// database (the whole row; the webhook route needs only the id: ``ownerID(presentedKey:in:logger:)``).
    ///
    /// The tag is checked in constant time first, so a key with a wrong tag costs no database read. A bare id (as a
    /// database copy would give) never matches, and a legacy key only matches a legacy row.
    public func owner(presentedKey presented: String, in owners: OwnerRepository, logger: Logger) async throws -> Owner? {
        guard let id = storedID(presentedKey: presented) else { return nil }
        return try await owners.get(webhookKeyID: id, logger: logger)
    }

    /// The id of the owner whose webhook URL carries `presented`, or `nil` (unknown id, wrong tag, malformed): from
    /// ``directory`` after the first database read for the id.
    ///
    /// The tag is checked against the id in constant time on every call, before the directory or the database is
    /// looked at: a cached id never lets a wrong tag through, and a made-up key costs neither a read nor an entry.
    public func ownerID(presentedKey presented: String, in owners: OwnerRepository, logger: Logger) async throws -> OwnerID? {
        guard let id = storedID(presentedKey: presented) else { return nil }
        if let owner = directory.owner(id: id) { return owner }
        let generation = directory.generation
        guard let owner = try await owners.get(webhookKeyID: id, logger: logger) else { return nil }
        directory.store(id: id, owner: owner.id, generation: generation)
        return owner.id
    }

    /// Fills ``directory`` with the newest owners' ids (up to its capacity) in one read, so an instance's first webhook
    /// for each owner costs no owner lookup. Called at start-up; returns how many ids it holds now.
    @discardableResult
    public func preload(from owners: OwnerRepository, logger: Logger) async throws -> Int {
        let generation = directory.generation
        let pairs = try await owners.webhookKeyIDs(limit: directory.capacity, logger: logger)
        directory.store(pairs, generation: generation)
        return directory.statistics.entries
    }

    /// The stored id `presented` stands for when its shape is right and (for a key with an id) its tag matches, in
    /// constant time; `nil` otherwise. Whether the id exists is the database's (or the directory's) answer.
    func storedID(presentedKey presented: String) -> String? {
        let parts = presented.split(separator: ".", omittingEmptySubsequences: false)
        switch parts.count {
        case 2:
            let id = String(parts[0])
            guard id.utf8.count == Self.idLength, parts[1].utf8.count == Self.tagLength,
                ConstantTime.equals(Array(tag(of: id).utf8), Array(parts[1].utf8))
            else { return nil }
            return id
        case 1 where presented.utf8.count == Self.legacyLength:
            return presented
        default:
            return nil
        }
    }

    private func tag(of id: String) -> String {
        RandomToken.base32(of: hasher.hash(id, purpose: Self.purpose).prefix(Self.tagLength))
    }
}
