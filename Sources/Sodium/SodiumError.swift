// Copyright (c) the Gatehouse authors
public import GatehouseCore

/// An error from the libsodium wrapper.
///
/// Its `description` is generic; `debugDescription` adds a short technical detail that never
/// contains key material or plaintext (only lengths and which check failed).
public struct SodiumError: DetailedError, Hashable, Sendable {
    /// A stable, low-cardinality code.
    public enum Code: String, ErrorCode {
        /// A sealed box did not authenticate: wrong key, wrong associated data, or altered bytes.
        /// Deliberately one code for all three, so a caller cannot learn which one it was.
        case authenticationFailed
        /// A key, nonce or ciphertext had the wrong length.
        case invalidLength
        /// Text was not valid in the expected encoding (base64).
        case invalidEncoding
        /// Guarded memory could not be allocated (`sodium_malloc` returned `NULL`).
        case allocationFailed
    }

    public let code: Code
    public let detail: String

    public init(code: Code, detail: String = "") {
        self.code = code
        self.detail = detail
    }

}
