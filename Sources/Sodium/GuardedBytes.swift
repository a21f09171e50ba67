// Copyright (c) the Gatehouse authors

/// Secret bytes readable only inside a closure: a ``SecureBytes`` of their own, or a field of a ``SecureSlab`` slot.
///
/// Why a protocol: keys cached for thousands of owners cannot each take a `sodium_malloc` region (each one is several
/// pages, mappings and `mlock`ed bytes), so they share a slab; code that signs with a key (HMAC) should not care which.
public protocol GuardedBytes: Sendable {
    /// The number of secret bytes.
    var count: Int { get }
    /// Read-only access to the bytes for the duration of `body`; the buffer must not escape it.
    func withUnsafeBytes<Result, E: Error>(_ body: (UnsafeRawBufferPointer) throws(E) -> Result) throws(E) -> Result
}

extension SecureBytes: GuardedBytes {}

extension GuardedBytes {
    /// Whether the bytes are empty or contain an ASCII control character (not usable as a header value).
    public var isEmptyOrHasControlCharacters: Bool {
        withUnsafeBytes { bytes in bytes.isEmpty || bytes.contains(where: { $0 < 0x20 || $0 == 0x7F }) }
    }
}
