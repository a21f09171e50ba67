// Copyright (c) the Gatehouse authors

/// An error from the libsodium wrapper.
///
/// Its `description` is generic; `debugDescription` adds a short technical detail that never
/// contains key material or plaintext (only lengths and which check failed).
public struct SodiumError: Error, Hashable, CustomStringConvertible, CustomDebugStringConvertible {
    /// A stable, low-cardinality code.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Base: String, Sendable, Hashable {
            case authenticationFailed, invalidLength, invalidEncoding, allocationFailed
        }
        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// A sealed box did not authenticate: wrong key, wrong associated data, or altered bytes.
        /// Deliberately one code for all three, so a caller cannot learn which one it was.
        public static let authenticationFailed = Self(.authenticationFailed)
        /// A key, nonce or ciphertext had the wrong length.
        public static let invalidLength = Self(.invalidLength)
        /// Text was not valid in the expected encoding (base64).
        public static let invalidEncoding = Self(.invalidEncoding)
        /// Guarded memory could not be allocated (`sodium_malloc` returned `NULL`).
        public static let allocationFailed = Self(.allocationFailed)

        public var description: String { base.rawValue }
    }

    /// The stable code.
    public let code: Code
    /// A technical detail for logs. Never key material or plaintext.
    public let detail: String

    public init(code: Code, detail: String = "") {
        self.code = code
        self.detail = detail
    }

    public var description: String { "SodiumError(\(code))" }
    public var debugDescription: String { detail.isEmpty ? description : "SodiumError(\(code)): \(detail)" }
}
