// Copyright (c) the Gatehouse authors

/// An error from the vault.
///
/// `description` is generic (`VaultError(sealBroken)`) and safe for responses; `debugDescription`
/// adds a detail for logs and operators (a version number, a file path and its mode, which entry
/// of a configuration string is malformed) but never key material, credentials or plaintext.
public struct VaultError: Error, Hashable, CustomStringConvertible, CustomDebugStringConvertible {
    /// A stable, low-cardinality code (safe for metrics labels and for mapping to HTTP at the edge).
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Base: String, Sendable, Hashable {
            case unknownOwner, noCredentials, sealBroken, unknownKEKVersion, kekInUse
            case invalidMasterKey, insecureKeyFile, keyFileUnreadable, invalidInput, concurrentChange
        }
        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// The owner does not exist (the database refused a row referring to it).
        public static let unknownOwner = Self(.unknownOwner)
        /// The owner has no stored (active) credentials, or no data key.
        public static let noCredentials = Self(.noCredentials)
        /// A sealed credential or wrapped data key did not authenticate: altered bytes, a blob moved
        /// to another owner or slot, or a wrong master key. Deliberately one code for all of them
        /// (this is the vault's "authentication failed").
        public static let sealBroken = Self(.sealBroken)
        /// A master key version is needed that the key ring does not hold.
        public static let unknownKEKVersion = Self(.unknownKEKVersion)
        /// A master key cannot be retired: it is active or still wraps data keys.
        public static let kekInUse = Self(.kekInUse)
        /// The master key configuration is malformed (bad base64, wrong length, duplicate version, no keys).
        public static let invalidMasterKey = Self(.invalidMasterKey)
        /// The master key file is readable or writable by group or others.
        public static let insecureKeyFile = Self(.insecureKeyFile)
        /// The master key file could not be opened, read or created.
        public static let keyFileUnreadable = Self(.keyFileUnreadable)
        /// An argument was out of range (empty credential, over-long actor, non-positive batch size…).
        public static let invalidInput = Self(.invalidInput)
        /// Another writer changed the same rows at the same time; retrying the call is safe.
        public static let concurrentChange = Self(.concurrentChange)

        public var description: String { base.rawValue }
    }

    /// The stable code.
    public let code: Code
    /// Detail for logs and operators. Never secrets.
    public let detail: String

    public init(code: Code, detail: String = "") {
        self.code = code
        self.detail = detail
    }

    public var description: String { "VaultError(\(code))" }
    public var debugDescription: String { detail.isEmpty ? description : "VaultError(\(code)): \(detail)" }
}

extension VaultError {
    static func unknownKEK(_ version: Int) -> VaultError {
        VaultError(code: .unknownKEKVersion, detail: "master key version \(version) is not in the key ring")
    }

    static func invalidMasterKey(_ detail: String) -> VaultError { VaultError(code: .invalidMasterKey, detail: detail) }

    static func invalidInput(_ detail: String) -> VaultError { VaultError(code: .invalidInput, detail: detail) }
}
