// Copyright (c) the Gatehouse authors
public import GatehouseCore

/// A property owner: one tenant, with its own payOS merchant account.
public struct Owner: Sendable, Hashable {
    public enum Status: String, Sendable, Hashable, CaseIterable {
        case active
        case suspended
    }

    /// Whether the owner's payOS credentials are stored and proven.
    public enum OnboardingState: String, Sendable, Hashable, CaseIterable {
        case pending
        case active
    }

    public var id: OwnerID
    public var name: String
    public var email: String
    public var status: Status
    public var onboardingState: OnboardingState
    /// The public id of this owner's webhook key (``WebhookKeys/key(for:)`` gives the key, the secret path segment of
    /// `/webhook/payos/{key}`); for owners created before keys had ids, the key itself.
    public var webhookKeyID: String
    public var createdAt: Int64
    public var updatedAt: Int64
}
