// Copyright (c) the Gatehouse authors
public import GatehouseCore

/// An error from the vault.
///
/// `description` is generic (`VaultError(sealBroken)`) and safe for responses; `debugDescription`
/// adds a detail for logs and operators (a version number, a file path and its mode, which entry
/// of a configuration string is malformed) but never key material, credentials or plaintext.
public struct VaultError: DetailedError, Hashable, Sendable {
    /// A stable, low-cardinality code (safe for metrics labels and for mapping to HTTP at the edge).
    public enum Code: String, ErrorCode {
        /// The owner does not exist (the database refused a row referring to it).
        case unknownOwner
        /// The owner has no stored (active) credentials, or no data key.
        case noCredentials
        /// A sealed credential or wrapped data key did not authenticate: altered bytes, a blob moved
        /// to another owner or slot, or a wrong master key. Deliberately one code for all of them
        /// (this is the vault's "authentication failed").
        case sealBroken
        /// A credential row's state or usable-until instant (or the slot they belong to) does not match the tag the
        /// vault wrote with them: someone changed the row outside the vault (e.g. set a replaced checksum key back to
        /// `active`, or moved its grace window later). The row is never used; storing a new credential set replaces it.
        case stateTampered
        /// A master key version is needed that the key ring does not hold.
        case unknownKEKVersion
        /// A master key cannot be retired: it is active or still wraps data keys.
        case kekInUse
        /// The master key configuration is malformed (bad base64, wrong length, duplicate version, no keys).
        case invalidMasterKey
        /// The master key file is readable or writable by group or others.
        case insecureKeyFile
        /// The master key file could not be opened, read or created.
        case keyFileUnreadable
        /// An argument was out of range (empty credential, over-long actor, non-positive batch size…).
        case invalidInput
        /// Another writer changed the same rows at the same time; retrying the call is safe.
        case concurrentChange
    }

    public let code: Code
    public let detail: String

    public init(code: Code, detail: String = "") {
        self.code = code
        self.detail = detail
    }

}

extension VaultError {
    static func unknownKEK(_ version: Int) -> VaultError {
        VaultError(code: .unknownKEKVersion, detail: "master key version \(version) is not in the key ring")
    }

    static func invalidMasterKey(_ detail: String) -> VaultError { VaultError(code: .invalidMasterKey, detail: detail) }

    static func invalidInput(_ detail: String) -> VaultError { VaultError(code: .invalidInput, detail: detail) }
}
