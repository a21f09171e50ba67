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
    /// The random, unguessable path segment of this owner's webhook URL (`/webhook/payos/{key}`).
    public var webhookKey: String
    public var createdAt: Int64
    public var updatedAt: Int64
}
