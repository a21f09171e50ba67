// Copyright (c) the Gatehouse authors
import CSodium
import Synchronization

/// Many small secrets in ONE guarded region: a single `sodium_malloc` split into fixed-size slots.
///
/// Why: each ``SecureBytes`` is its own `sodium_malloc` — a few pages, three mappings (guard, data, guard) and an
/// `mlock` — so ten thousand owners' keys as separate regions would exceed `RLIMIT_MEMLOCK` and `vm.max_map_count` on
/// ordinary machines. A slab costs one region whatever it holds, with the same guarantees: guard pages around it, a
/// canary, `mlock` where allowed, `PROT_NONE` except while someone reads or writes it, zeroed when freed.
///
/// A ``Slot`` is a reference: while any holder keeps it, its bytes stay; when the last reference goes, the slot is
/// zeroed (`sodium_memzero`) and returned to the free list, so a reader can never see a slot reused under it.
public final class SecureSlab: @unchecked Sendable {
    // @unchecked Sendable: the region is written only under `state`'s lock, which also counts readers so the
    // protection is `PROT_READ` exactly while someone reads and `PROT_NONE` otherwise.

    /// Bytes per slot.
    public let slotSize: Int
    /// Slots in the slab.
    public let slotCount: Int

    private let base: UnsafeMutableRawPointer
    private let state: Mutex<State>

    private struct State {
        var readers = 0
        var free: [Int]
    }

    /// - Precondition: libsodium can allocate `slotSize × slotCount` guarded bytes (running out of memory traps, as in
    ///   ``SecureBytes``).
    public init(slotSize: Int, slotCount: Int) {
        precondition(slotSize > 0 && slotCount > 0, "a slab needs at least one slot of at least one byte")
        _ = SodiumRuntime.ready
        let (bytes, overflow) = slotSize.multipliedReportingOverflow(by: slotCount)
        precondition(!overflow, "slab too large")
        guard let raw = sodium_malloc(bytes) else { preconditionFailure("sodium_malloc could not allocate a \(bytes)-byte slab") }
        sodium_memzero(raw, bytes)
        self.base = raw
        self.slotSize = slotSize
        self.slotCount = slotCount
        self.state = Mutex(State(free: Array((0..<slotCount).reversed())))
        Self.protect(sodium_mprotect_noaccess(raw), "noaccess")
    }

    deinit {
        // sodium_free makes the region writable, zeroes it, checks the canary and unmaps it.
        sodium_free(base)
    }

    /// Slots not held by anyone.
    public var freeSlots: Int { state.withLock { $0.free.count } }

    /// A zeroed slot, or `nil` when every slot is held.
    public func allocate() -> Slot? {
        guard let index = state.withLock({ $0.free.popLast() }) else { return nil }
        return Slot(slab: self, index: index)
    }

    /// Whether slot `index` holds only zero bytes (tests: a released slot must read zero).
    public func slotIsZero(_ index: Int) -> Bool {
        read(index) { bytes in bytes.allSatisfy { $0 == 0 } }
    }

    /// One fixed-size part of the slab, zeroed and freed when the last reference to it goes.
    public final class Slot: @unchecked Sendable {
        // @unchecked Sendable: all access goes through the slab's lock.
        let slab: SecureSlab
        /// The slot's position in the slab (for tests and diagnostics only).
        public let index: Int

        fileprivate init(slab: SecureSlab, index: Int) {
            self.slab = slab
            self.index = index
        }

        deinit { slab.release(index) }

        /// Writes into the slot's bytes (they are writable for the duration of `body` only).
        public func write<Result>(_ body: (UnsafeMutableRawBufferPointer) throws -> Result) rethrows -> Result {
            try slab.write(index, body)
        }

        /// Read-only access to the slot's bytes for the duration of `body`.
        public func withUnsafeBytes<Result, E: Error>(_ body: (UnsafeRawBufferPointer) throws(E) -> Result) throws(E) -> Result {
            try slab.read(index, body)
        }

        /// The guarded field `offset ..< offset + count` of this slot (it keeps the slot alive).
        public func field(offset: Int, count: Int) -> Field {
            precondition(offset >= 0 && count >= 0 && offset + count <= slab.slotSize, "field outside its slot")
            return Field(slot: self, offset: offset, count: count)
        }
    }

    /// A byte range of a slot, usable wherever guarded key bytes are (``GuardedBytes``).
    public struct Field: GuardedBytes, CustomStringConvertible {
        public let slot: Slot
        let offset: Int
        public let count: Int

        public func withUnsafeBytes<Result, E: Error>(_ body: (UnsafeRawBufferPointer) throws(E) -> Result) throws(E) -> Result {
            try slot.withUnsafeBytes { (bytes: UnsafeRawBufferPointer) throws(E) -> Result in
                try body(UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + count)]))
            }
        }

        /// The length only, never the content.
        public var description: String { "SecureSlab.Field(\(count) bytes, redacted)" }
    }

    // MARK: Access (all under the lock)

    private func pointer(_ index: Int) -> UnsafeMutableRawPointer { base + index * slotSize }

    fileprivate func read<Result, E: Error>(_ index: Int, _ body: (UnsafeRawBufferPointer) throws(E) -> Result) throws(E) -> Result {
        state.withLock { state in
            if state.readers == 0 { Self.protect(sodium_mprotect_readonly(base), "readonly") }
            state.readers += 1
        }
        defer {
            state.withLock { state in
                state.readers -= 1
                if state.readers == 0 { Self.protect(sodium_mprotect_noaccess(base), "noaccess") }
            }
        }
        return try body(UnsafeRawBufferPointer(start: pointer(index), count: slotSize))
    }

    fileprivate func write<Result>(_ index: Int, _ body: (UnsafeMutableRawBufferPointer) throws -> Result) rethrows -> Result {
        try state.withLock { state in
            Self.protect(sodium_mprotect_readwrite(base), "readwrite")
            defer { restore(readers: state.readers) }
            return try body(UnsafeMutableRawBufferPointer(start: pointer(index), count: slotSize))
        }
    }

    private func release(_ index: Int) {
        state.withLock { state in
            Self.protect(sodium_mprotect_readwrite(base), "readwrite")
            sodium_memzero(pointer(index), slotSize)
            restore(readers: state.readers)
            state.free.append(index)
        }
    }

    /// Back to `PROT_READ` while readers remain, else `PROT_NONE`. Call with the lock held.
    private func restore(readers: Int) {
        if readers > 0 {
            Self.protect(sodium_mprotect_readonly(base), "readonly")
        } else {
            Self.protect(sodium_mprotect_noaccess(base), "noaccess")
        }
    }

    private static func protect(_ status: Int32, _ mode: StaticString) {
        precondition(status == 0, "sodium_mprotect_\(mode) failed")
    }
}
