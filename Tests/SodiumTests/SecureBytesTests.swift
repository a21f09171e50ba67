// Copyright (c) the Gatehouse authors
import Sodium
import Testing

@Suite struct SecureBytesTests {
    // MARK: Tests

    @Test func descriptionsAndMirrorNeverShowContent() {
        let secret = SecureBytes(utf8: "hunter2-super-secret-checksum")
        let views = [
            "\(secret)", String(describing: secret), String(reflecting: secret), secret.description, secret.debugDescription,
            dumped(secret), "\(Mirror(reflecting: secret).children.map { "\($0.label ?? ""): \($0.value)" })",
        ]
        for view in views {
            #expect(!view.contains("hunter2"))
            #expect(!view.contains("secret-checksum"))
        }
        #expect(secret.description == "SecureBytes(29 bytes, redacted)")
        #expect(String(reflecting: secret) == "SecureBytes(29 bytes, redacted)")
    }

    @Test func copiesAreReadableThroughWithUnsafeBytes() {
        let secret = SecureBytes(copying: [1, 2, 3, 250])
        #expect(secret.count == 4)
        #expect(secret.withUnsafeBytes { Array($0) } == [1, 2, 3, 250])
        // Nested (concurrent-style) reads keep access until the outermost one ends.
        let nested = secret.withUnsafeBytes { outer in secret.withUnsafeBytes { Array($0) } + Array(outer) }
        #expect(nested == [1, 2, 3, 250, 1, 2, 3, 250])
    }

    @Test func wipingSourceZeroesTheCallersArray() {
        var source: [UInt8] = Array("api-key".utf8)
        let secret = SecureBytes(wipingSource: &source)
        #expect(source.isEmpty)
        #expect(secret.withUnsafeBytes { Array($0) } == Array("api-key".utf8))
    }

    @Test func wipeMarksTheSecretWiped() {
        let secret = SecureBytes(utf8: "checksum")
        #expect(!secret.isWiped)
        secret.wipe()
        #expect(secret.isWiped)
        secret.wipe()  // idempotent
        #expect(secret.isWiped)
    }

    @Test func wipeDuringAReadTakesEffectWhenTheReadEnds() {
        let secret = SecureBytes(utf8: "checksum")
        let seen = secret.withUnsafeBytes { bytes in
            secret.wipe()
            return Array(bytes)  // still readable and unchanged inside the read
        }
        #expect(seen == Array("checksum".utf8))
        #expect(secret.isWiped)
    }

    @Test func randomSecretsDifferAndHaveTheRequestedLength() {
        let a = SecureBytes.random(count: 32)
        let b = SecureBytes.random(count: 32)
        #expect(a.count == 32)
        #expect(!a.constantTimeEquals(b))
        #expect(a.constantTimeEquals(a))
    }

    @Test func constantTimeEqualityComparesContentAndLength() {
        let a = SecureBytes(utf8: "same")
        #expect(a.constantTimeEquals(SecureBytes(utf8: "same")))
        #expect(!a.constantTimeEquals(SecureBytes(utf8: "sam")))
        #expect(!a.constantTimeEquals(SecureBytes(utf8: "samE")))
        #expect(a.constantTimeEquals(Array("same".utf8)))
    }

    @Test func unprotectedStringRoundTripsUTF8() {
        #expect(SecureBytes(utf8: "khóa-bí-mật").unprotectedUTF8String() == "khóa-bí-mật")
        #expect(SecureBytes(copying: [0xFF, 0xFE]).unprotectedUTF8String() == nil)
    }

    @Test func throwingInitializerRethrowsAndKeepsNothing() {
        struct Boom: Error {}
        #expect(throws: Boom.self) {
            _ = try SecureBytes(count: 8) { (_: UnsafeMutableRawBufferPointer) throws(Boom) in throw Boom() }
        }
    }

    @Test func emptySecretsAreAllowed() {
        let empty = SecureBytes(copying: [])
        #expect(empty.count == 0)
        #expect(empty.withUnsafeBytes { $0.count } == 0)
    }

    @Test func secureMemoryZeroClearsEveryByte() {
        var bytes: [UInt8] = [9, 9, 9]
        SecureMemory.zero(&bytes)
        #expect(bytes == [0, 0, 0])
    }

    private func dumped(_ value: some Any) -> String {
        var out = ""
        dump(value, to: &out)
        return out
    }
}
