// Copyright (c) the Gatehouse authors
public import Sodium

/// An owner's unsealed payOS credential set, valid only inside ``Vault/withCredentials(owner:purpose:audit:logger:isolation:_:)``.
///
/// The secrets are ``SecureBytes``; the vault wipes them when the closure returns, so even a
/// reference that escapes the closure holds nothing afterwards.
public struct UnsealedCredentials: Sendable, CustomStringConvertible {
    /// The owner these belong to.
    public let ownerID: Int64
    /// The credential set's version (all three kinds share it).
    public let version: Int
    /// `x-client-id`.
    public let clientID: SecureBytes
    /// `x-api-key`.
    public let apiKey: SecureBytes
    /// The HMAC key for signatures.
    public let checksumKey: SecureBytes

    /// Zeroes all three secrets.
    package func wipe() {
        clientID.wipe()
        apiKey.wipe()
        checksumKey.wipe()
    }

    public var description: String { "UnsealedCredentials(owner: \(ownerID), version: \(version), redacted)" }
}

/// A checksum key that may verify an incoming webhook.
public struct WebhookVerificationKey: Sendable, CustomStringConvertible {
    /// The credential set version the key belongs to.
    public let version: Int
    /// `true` for the active key, `false` for the previous one within its grace window.
    public let isActive: Bool
    /// For the previous key: the end of its grace window (Unix milliseconds).
    public let usableUntil: Int64?
    /// The checksum key.
    public let key: SecureBytes

    public var description: String {
        "WebhookVerificationKey(version: \(version), \(isActive ? "active" : "previous"), redacted)"
    }
}

/// What may be shown about an owner's credentials: versions, times and a hint, never secrets.
public struct CredentialInfo: Sendable, Hashable {
    /// A checksum key kept for verifying webhooks after a rotation.
    public struct PreviousKey: Sendable, Hashable {
        public var version: Int
        /// End of its grace window (Unix milliseconds).
        public var usableUntil: Int64
    }

    public var ownerID: Int64
    /// The active credential set's version (1 for the first set stored).
    public var activeVersion: Int
    /// The last four characters of the client id, to let a person recognise which account is set.
    public var clientIDHint: String?
    /// When the active set was stored (Unix milliseconds): the last rotation time.
    public var rotatedAt: Int64
    /// The master key version wrapping the owner's data key.
    public var kekVersion: Int
    /// The previous checksum key, while it is in its grace window and not destroyed.
    public var previousChecksumKey: PreviousKey?
}

/// The progress of a master key rotation run.
public struct RotationReport: Sendable, Hashable {
    /// The `vault_rotation` row of this run.
    public var runID: Int64
    /// The version data keys are re-wrapped to.
    public var targetVersion: Int
    /// Data keys re-wrapped by this run so far, across restarts.
    public var rewrapped: Int64
    /// `true` once no data key is wrapped by another version.
    public var finished: Bool
}

/// Which master key versions protect how many data keys.
public struct KEKStatus: Sendable, Hashable {
    /// The version new data keys are wrapped with.
    public var activeVersion: Int
    /// Versions in this process's key ring, highest first.
    public var ringVersions: [Int]
    /// Keys wrapped per master key version (owners' data keys and platform keys), including versions missing from the ring.
    public var dataKeysByVersion: [Int: Int]
    /// Rotation runs that have not finished (interrupted or in progress).
    public var unfinishedRotations: [RotationReport]
}
