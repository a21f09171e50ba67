// Copyright (c) the Gatehouse authors
import CSodium
import Synchronization

/// A secret (key, credential) held in guarded memory.
///
/// Why a class around `sodium_malloc` instead of `[UInt8]`:
/// - the bytes sit between guard pages, behind a canary, and are `mlock`ed where the system allows
///   it, so they do not end up in swap or core dumps as easily;
/// - outside ``withUnsafeBytes(_:)`` the pages are `PROT_NONE` (`sodium_mprotect_noaccess`), so a
///   stray pointer or a heap-overread bug faults instead of leaking the secret;
/// - `deinit` calls `sodium_free`, which zeroes the region before unmapping it. Swift arrays and
///   strings are copied freely by the runtime and never wiped.
///
/// A reference type so that there is exactly one copy of the secret; passing it around shares it.
/// ``wipe()`` zeroes it early (for example when a credential set leaves its scope even though a
/// reference escaped). `description`, `debugDescription` and `customMirror` never show content, so
/// logging, `print`, `dump` or string interpolation cannot leak it.
///
/// Each instance costs a few pages of address space plus two `mprotect` calls per read, so use it
/// for secrets, not bulk data.
public final class SecureBytes: @unchecked Sendable {
    // @unchecked Sendable: the guarded region is only written before the initializer returns (it is
    // immutable afterwards, except for `wipe()`), and every protection change and the wipe happen
    // under `state`'s lock, which also counts concurrent readers so that one reader never revokes
    // access while another is still reading.

    /// The number of secret bytes.
    public let count: Int

    private let pointer: UnsafeMutableRawPointer
    private let state = Mutex(State())

    private struct State {
        var readers = 0
        var wiped = false
        var wipeWhenIdle = false
    }

    // MARK: Initialization

    /// Adopts a region returned by `sodium_malloc` that the caller has fully initialised.
    private init(adopting pointer: UnsafeMutableRawPointer, count: Int) {
        self.pointer = pointer
        self.count = count
        Self.protect(sodium_mprotect_noaccess(pointer), "noaccess")
    }

    /// Allocates `count` guarded bytes and lets `initializer` write every one of them.
    ///
    /// If `initializer` throws, the region is wiped and freed and the error is rethrown, so a
    /// half-written secret never outlives the call.
    /// - Precondition: libsodium can allocate the region. Like Swift's own allocator, running out
    ///   of memory (or of address-space mappings) is not recoverable and traps.
    public convenience init<E: Error>(
        count: Int,
        initializingWith initializer: (UnsafeMutableRawBufferPointer) throws(E) -> Void
    ) throws(E) {
        precondition(count >= 0, "SecureBytes count must not be negative")
        _ = SodiumRuntime.ready
        guard let raw = sodium_malloc(count) else {
            preconditionFailure("sodium_malloc could not allocate \(count) guarded bytes")
        }
        do {
            try initializer(UnsafeMutableRawBufferPointer(start: raw, count: count))
        } catch {
            sodium_free(raw)
            throw error
        }
        self.init(adopting: raw, count: count)
    }

    /// Copies `bytes` into guarded memory. The source stays where it was: wipe it if you own it
    /// (see ``init(wipingSource:)``).
    public convenience init(copying bytes: some Collection<UInt8>) {
        let count = bytes.count
        self.init(count: count) { (buffer: UnsafeMutableRawBufferPointer) in
            var index = 0
            for byte in bytes {
                buffer[index] = byte
                index += 1
            }
        }
    }

    /// Copies `bytes` into guarded memory, then zeroes `bytes` (and empties it).
    ///
    /// This only wipes the array's current storage; copies the program made earlier are out of reach.
    public convenience init(wipingSource bytes: inout [UInt8]) {
        self.init(copying: bytes)
        SecureMemory.zero(&bytes)
        bytes.removeAll()
    }

    /// Copies the UTF-8 bytes of `text` into guarded memory.
    ///
    /// A Swift `String` cannot be wiped, so prefer reading secrets straight into `SecureBytes`
    /// where the input allows it; this initializer exists for boundaries (form fields, JSON) that
    /// hand over a `String` anyway, and keeps the guarded copy as the only long-lived one.
    public convenience init(utf8 text: String) {
        var text = text
        let count = text.utf8.count
        self.init(count: count) { (buffer: UnsafeMutableRawBufferPointer) in
            text.withUTF8 { utf8 in
                if let base = utf8.baseAddress, count > 0 {
                    buffer.baseAddress!.copyMemory(from: base, byteCount: count)
                }
            }
        }
    }

    /// `count` cryptographically secure random bytes (`randombytes_buf`), generated in place.
    public static func random(count: Int) -> SecureBytes {
        SecureBytes(count: count) { (buffer: UnsafeMutableRawBufferPointer) in
            if count > 0 { randombytes_buf(buffer.baseAddress!, count) }
        }
    }

    deinit {
        // sodium_free makes the region writable, zeroes it, checks the canary and unmaps it.
        sodium_free(pointer)
    }

    // MARK: Reading

    /// Gives read-only access to the secret for the duration of `body`.
    ///
    /// The pages are `PROT_READ` while at least one `withUnsafeBytes` is running and `PROT_NONE`
    /// otherwise. Do not let the buffer escape `body`, and do not copy it into ordinary memory
    /// unless an API forces you to.
    /// - Precondition: the secret has not been wiped (using a wiped secret is a programming error,
    ///   like a use-after-free).
    public func withUnsafeBytes<Result, E: Error>(
        _ body: (UnsafeRawBufferPointer) throws(E) -> Result
    ) throws(E) -> Result {
        state.withLock { state in
            precondition(!state.wiped && !state.wipeWhenIdle, "SecureBytes used after wipe()")
            if state.readers == 0 { Self.protect(sodium_mprotect_readonly(pointer), "readonly") }
            state.readers += 1
        }
        defer {
            state.withLock { state in
                state.readers -= 1
                if state.readers == 0 {
                    if state.wipeWhenIdle {
                        zeroRegion()
                        state.wiped = true
                        state.wipeWhenIdle = false
                    } else {
                        Self.protect(sodium_mprotect_noaccess(pointer), "noaccess")
                    }
                }
            }
        }
        return try body(UnsafeRawBufferPointer(start: pointer, count: count))
    }

    /// Compares two secrets in constant time (`sodium_memcmp`; lengths are compared first).
    public func constantTimeEquals(_ other: SecureBytes) -> Bool {
        guard count == other.count else { return false }
        if count == 0 { return true }
        return withUnsafeBytes { a in other.withUnsafeBytes { b in sodium_memcmp(a.baseAddress!, b.baseAddress!, count) == 0 } }
    }

    /// Compares the secret with `bytes` in constant time (lengths are compared first).
    public func constantTimeEquals(_ bytes: some Collection<UInt8>) -> Bool {
        withUnsafeBytes { ConstantTime.equals($0, bytes) }
    }

    /// Makes an ordinary `String` from the secret's UTF-8 bytes (`nil` if they are not UTF-8).
    ///
    /// The returned string lives in ordinary memory and cannot be wiped. Use it only to call an API
    /// that insists on a `String` (for example the payOS HMAC helpers), keep it in a local, and let
    /// it go as soon as the call returns.
    public func unprotectedUTF8String() -> String? {
        withUnsafeBytes { String(validating: $0, as: UTF8.self) }
    }

    // MARK: Wiping

    /// Zeroes the secret now instead of at `deinit`. Later reads trap.
    ///
    /// If another thread is inside ``withUnsafeBytes(_:)`` the wipe happens when the last reader
    /// leaves, so a concurrent reader never sees the bytes change under it.
    public func wipe() {
        state.withLock { state in
            guard !state.wiped else { return }
            if state.readers > 0 {
                state.wipeWhenIdle = true
            } else {
                zeroRegion()
                state.wiped = true
            }
        }
    }

    /// `true` once ``wipe()`` has taken effect.
    public var isWiped: Bool { state.withLock { $0.wiped || $0.wipeWhenIdle } }

    /// Zeroes the region and leaves it inaccessible. Call with the lock held and no readers.
    private func zeroRegion() {
        Self.protect(sodium_mprotect_readwrite(pointer), "readwrite")
        sodium_memzero(pointer, count)
        Self.protect(sodium_mprotect_noaccess(pointer), "noaccess")
    }

    private static func protect(_ status: Int32, _ mode: StaticString) {
        // mprotect only fails for invalid arguments or when the kernel cannot split the mapping;
        // continuing would either fault on the next read or leave the secret readable.
        precondition(status == 0, "sodium_mprotect_\(mode) failed")
    }
}

extension SecureBytes: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// `SecureBytes(32 bytes, redacted)`: the length only, never the content.
    public var description: String { "SecureBytes(\(count) bytes, redacted)" }
    public var debugDescription: String { description }
    /// A mirror with the length only, so `dump` and debuggers' summaries show no content.
    public var customMirror: Mirror { Mirror(self, children: ["count": count], displayStyle: .class) }
}
