// Copyright (c) the Gatehouse authors
import Foundation
import Sodium
import Testing

/// Ten thousand owners' keys fit in one guarded slab within an ordinary machine's limits (8 MB of locked memory,
/// 65,530 mappings), a released slot reads zero, and HMACs keyed from guarded bytes equal those keyed from arrays.
@Suite struct SecureSlabTests {
    /// `/proc/self/maps`, a line per mapping, read to its end: `String(contentsOfFile:)` returns only its first chunk
    /// (80 of 3,101 lines in a process with 3,000 extra mappings), which in the whole suite's process misses the slab.
    static func maps() throws -> [Substring] {
        let file = try #require(FileHandle(forReadingAtPath: "/proc/self/maps"))
        defer { try? file.close() }
        return String(decoding: try file.readToEnd() ?? Data(), as: UTF8.self).split(separator: "\n")
    }

    /// The mappings that overlap `[start, end)`.
    static func mappings(from start: UInt, to end: UInt) throws -> Int {
        try maps().filter { line in
            let bounds = line.prefix { $0 != " " }.split(separator: "-").compactMap { UInt($0, radix: 16) }
            return bounds.count == 2 && bounds[0] < end && start < bounds[1]
        }.count
    }

    /// The protection of the mapping holding `address`, as `/proc/self/maps` shows it ("r--p", "---p", …).
    static func protection(at address: UnsafeRawPointer) throws -> String {
        let target = UInt(bitPattern: address)
        for line in try maps() {
            let fields = line.split(separator: " ")
            let bounds = fields[0].split(separator: "-").compactMap { UInt($0, radix: 16) }
            if bounds.count == 2, bounds[0] <= target, target < bounds[1] { return String(fields[1]) }
        }
        throw CocoaError(.fileReadUnknown)
    }

    @Test func readingASlotOpensOnlyItsOwnPagesAndOnlyWhileSomeoneReads() throws {
        let slab = SecureSlab(slotSize: 320, slotCount: 1_000)  // 80 pages
        var slots: [SecureSlab.Slot] = []
        while let slot = slab.allocate() { slots.append(slot) }
        _ = slots[999].write { $0.initializeMemory(as: UInt8.self, repeating: 0x5A) }
        let (first, second, last) = (slots[0], slots[1], slots[999])
        try first.withUnsafeBytes { bytes in
            let address = try #require(bytes.baseAddress)
            #expect(try Self.protection(at: address) == "r--p")
            // The slots are laid out one after another: the last one is 999 × 320 bytes on, nineteen pages away.
            #expect(try Self.protection(at: address + 999 * 320) == "---p", "the rest of the slab stays closed")
            // A second reader on the same page shares it; when it leaves, the first reader's page stays open.
            #expect(second.withUnsafeBytes { $0.allSatisfy { $0 == 0 } })
            #expect(try Self.protection(at: address) == "r--p")
            // A write elsewhere while this page is read leaves it readable and closes the written one again.
            last.write { $0[0] = 0x5B }
            #expect(try Self.protection(at: address) == "r--p")
            #expect(try Self.protection(at: address + 999 * 320) == "---p")
        }
        let address = try #require(first.withUnsafeBytes { $0.baseAddress })
        #expect(try Self.protection(at: address) == "---p", "closed again once its last reader left")
        #expect(last.withUnsafeBytes { Array($0.prefix(2)) } == [0x5B, 0x5A])
    }

    @Test func tenThousandSlotsTakeOneRegionAndKeepTheirBytes() throws {
        let slab = SecureSlab(slotSize: 320, slotCount: 10_256)
        var slots: [SecureSlab.Slot] = []
        for owner in 0..<10_000 {
            let slot = try #require(slab.allocate())
            slot.write { buffer in
                for i in 0..<buffer.count { buffer[i] = UInt8(truncatingIfNeeded: owner &+ i) }
            }
            slots.append(slot)
        }
        // One sodium_malloc: every slot lies in one span of the slab's size, which a handful of mappings cover (the
        // guarded region, its guard pages), not one or more per slot. Counted over that span only: the rest of the
        // process (other tests' threads and slabs) maps and splits regions meanwhile.
        let addresses = slots.map { slot in slot.withUnsafeBytes { UInt(bitPattern: $0.baseAddress) } }
        let start = try #require(addresses.min()), end = try #require(addresses.max()) + UInt(slab.slotSize)
        #expect(end - start <= UInt(slab.slotSize * slab.slotCount))
        #expect(try Self.mappings(from: start, to: end) <= 3)
        #expect(slab.slotSize * slab.slotCount < 8 * 1024 * 1024)
        for (owner, slot) in slots.enumerated() where owner % 997 == 0 {
            #expect(slot.withUnsafeBytes { $0[5] } == UInt8(truncatingIfNeeded: owner &+ 5))
        }
        #expect(slab.freeSlots == 256)
    }

    @Test func aReleasedSlotReadsZeroAndIsReused() throws {
        let slab = SecureSlab(slotSize: 64, slotCount: 2)
        var slot: SecureSlab.Slot? = try #require(slab.allocate())
        let index = try #require(slot?.index)
        slot?.write { $0.initializeMemory(as: UInt8.self, repeating: 0xAB) }
        #expect(!slab.slotIsZero(index))
        let field = try #require(slot?.field(offset: 8, count: 4))
        slot = nil
        #expect(!slab.slotIsZero(index), "a field still holds the slot")
        #expect(field.withUnsafeBytes { Array($0) } == [0xAB, 0xAB, 0xAB, 0xAB])
        _ = consume field
        #expect(slab.slotIsZero(index))
        #expect(slab.freeSlots == 2)
    }

    @Test func anHMACKeyedFromGuardedBytesEqualsTheArrayKeyedOne() throws {
        let key = Array("sandbox-checksum-key-payments-3a7f1c".utf8)
        let slab = SecureSlab(slotSize: 64, slotCount: 1)
        let slot = try #require(slab.allocate())
        slot.write { $0.copyBytes(from: key) }
        let field = slot.field(offset: 0, count: key.count)
        let message = Array("amount=1000&orderCode=7".utf8)
        #expect(HMACSHA256.authenticate(message, key: field) == HMACSHA256.authenticate(message, key: key))
        #expect(HMACSHA256.authenticate(message, key: SecureBytes(copying: key)) == HMACSHA256.authenticate(message, key: key))
        #expect(HMACSHA256.hexTag("x", key: field) == HMACSHA256.hexTag("x", key: String(decoding: key, as: UTF8.self)))
    }
}
