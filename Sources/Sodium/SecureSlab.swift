// Copyright (c) the Gatehouse authors
import CSodium
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Many small secrets in ONE guarded region: a single `sodium_malloc` split into fixed-size slots.
///
/// Why: each ``SecureBytes`` is its own `sodium_malloc` — a few pages, three mappings (guard, data, guard) and an
/// `mlock` — so ten thousand owners' keys as separate regions would exceed `RLIMIT_MEMLOCK` and `vm.max_map_count` on
/// ordinary machines. A slab costs one region whatever it holds, with the same guarantees: guard pages around it, a
/// canary, `mlock` where allowed, `PROT_NONE` except while someone reads or writes it, zeroed when freed.
///
/// Protection is per page, not per slab: reading a slot opens only the one or two pages it lies on (`PROT_READ`, counted
/// per page so concurrent readers share them) and closes them when their last reader leaves. Changing the whole slab's
/// protection on every key use cost the kernel one page-table update per page — 800 pages at 10,000 owners — and was
/// 7–8 % of the CPU of a webhook burst; the rest of the slab now stays `PROT_NONE` while one slot is read, which is
/// also less exposure.
///
/// A ``Slot`` is a reference: while any holder keeps it, its bytes stay; when the last reference goes, the slot is
/// zeroed (`sodium_memzero`) and returned to the free list, so a reader can never see a slot reused under it.
public final class SecureSlab: @unchecked Sendable {
    // @unchecked Sendable: the region is written only under `state`'s lock, which also counts each page's readers so a
    // page is `PROT_READ` exactly while someone reads a slot on it and `PROT_NONE` otherwise.

    /// Bytes per slot.
    public let slotSize: Int
    /// Slots in the slab.
    public let slotCount: Int

    private let base: UnsafeMutableRawPointer
    /// `base` rounded down to its page: page `n` of the slab starts at `firstPage + n × pageSize`. The pages all lie in
    /// the region `sodium_malloc` made accessible (it page-rounds the canary and the data), between its guard pages.
    private let firstPage: UnsafeMutableRawPointer
    private let pageSize: Int
    private let state: Mutex<State>

    private struct State {
        /// Readers per page.
        var readers: [Int32]
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
        let pageSize = Int(sysconf(Int32(_SC_PAGESIZE)))
        precondition(pageSize > 0 && pageSize & (pageSize - 1) == 0, "no page size")
        let firstPage = UnsafeMutableRawPointer(bitPattern: Int(bitPattern: raw) & ~(pageSize - 1))!
        let pages = (raw + bytes - firstPage + pageSize - 1) / pageSize
        self.base = raw
        self.firstPage = firstPage
        self.pageSize = pageSize
        self.slotSize = slotSize
        self.slotCount = slotCount
        self.state = Mutex(State(readers: Array(repeating: 0, count: pages), free: Array((0..<slotCount).reversed())))
        protect(0..<pages, PROT_NONE)
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

    /// The slab pages slot `index` lies on.
    private func pages(ofSlot index: Int) -> Range<Int> {
        let start = pointer(index) - firstPage
        return (start / pageSize)..<((start + slotSize - 1) / pageSize + 1)
    }

    /// Sets the protection of `pages` (`PROT_NONE`, `PROT_READ` or `PROT_READ | PROT_WRITE`).
    private func protect(_ pages: Range<Int>, _ protection: Int32) {
        let status = mprotect(firstPage + pages.lowerBound * pageSize, pages.count * pageSize, protection)
        precondition(status == 0, "mprotect of a slab's pages failed")
    }

    fileprivate func read<Result, E: Error>(_ index: Int, _ body: (UnsafeRawBufferPointer) throws(E) -> Result) throws(E) -> Result {
        let pages = pages(ofSlot: index)
        state.withLock { state in
            var closed = false
            for page in pages {
                if state.readers[page] == 0 { closed = true }
                state.readers[page] += 1
            }
            // Pages already open for other readers are set to PROT_READ again: harmless, and one call.
            if closed { protect(pages, PROT_READ) }
        }
        defer {
            state.withLock { state in
                for page in pages {
                    state.readers[page] -= 1
                    if state.readers[page] == 0 { protect(page..<(page + 1), PROT_NONE) }
                }
            }
        }
        return try body(UnsafeRawBufferPointer(start: pointer(index), count: slotSize))
    }

    fileprivate func write<Result>(_ index: Int, _ body: (UnsafeMutableRawBufferPointer) throws -> Result) rethrows -> Result {
        let pages = pages(ofSlot: index)
        return try state.withLock { state in
            protect(pages, PROT_READ | PROT_WRITE)
            defer { restore(pages, readers: state.readers) }
            return try body(UnsafeMutableRawBufferPointer(start: pointer(index), count: slotSize))
        }
    }

    private func release(_ index: Int) {
        let pages = pages(ofSlot: index)
        state.withLock { state in
            protect(pages, PROT_READ | PROT_WRITE)
            sodium_memzero(pointer(index), slotSize)
            restore(pages, readers: state.readers)
            state.free.append(index)
        }
    }

    /// Each of `pages` back to `PROT_READ` while it has readers, else `PROT_NONE`. Call with the lock held.
    private func restore(_ pages: Range<Int>, readers: [Int32]) {
        for page in pages {
            protect(page..<(page + 1), readers[page] > 0 ? PROT_READ : PROT_NONE)
        }
    }
}
