// Copyright (c) the Gatehouse authors
import Sodium
import Testing
import GatehouseCore

@Suite struct XChaCha20Poly1305Tests {
    private let key = SecureBytes(copying: Array(0x80...0x9F) as [UInt8])
    private let associatedData = Array("gatehouse:cred:v1|owner=7|kind=api_key|version=1".utf8)

    // MARK: Tests

    @Test func sealThenOpenRoundTrips() throws {
        let sealed = XChaCha20Poly1305.seal(SecureBytes(utf8: "payos-api-key-0123"), key: key, associatedData: associatedData)
        #expect(sealed.count == 18 + XChaCha20Poly1305.overhead)
        let opened = try XChaCha20Poly1305.open(sealed, key: key, associatedData: associatedData)
        #expect(opened.unprotectedUTF8String() == "payos-api-key-0123")
    }

    @Test func opensABoxSealedByAnotherImplementation() throws {
        // nonce || ciphertext || tag from PyNaCl's crypto_aead_xchacha20poly1305_ietf_encrypt with
        // key 80..9f, nonce 40..57 and the associated data above: checks the nonce-first layout.
        let sealed = Hex.decode(
            "404142434445464748494a4b4c4d4e4f5051525354555657816d0a9b28dd952a923f1cb68f83ad6400749577edc686ab5bd82c637b0533584ab5"
        )!
        let opened = try XChaCha20Poly1305.open(sealed, key: key, associatedData: associatedData)
        #expect(opened.unprotectedUTF8String() == "payos-api-key-0123")
    }

    @Test func everySealUsesAFreshNonce() {
        let plaintext = SecureBytes(utf8: "same plaintext")
        let a = XChaCha20Poly1305.seal(plaintext, key: key, associatedData: associatedData)
        let b = XChaCha20Poly1305.seal(plaintext, key: key, associatedData: associatedData)
        #expect(a.prefix(24) != b.prefix(24))
        #expect(a != b)
    }

    @Test func everyFlippedByteIsRefused() {
        let sealed = XChaCha20Poly1305.seal(SecureBytes(utf8: "checksum-key"), key: key, associatedData: associatedData)
        for index in sealed.indices {
            var tampered = sealed
            tampered[index] ^= 0x01
            #expect(throws: SodiumError(code: .authenticationFailed, detail: "sealed box did not authenticate")) {
                try XChaCha20Poly1305.open(tampered, key: key, associatedData: associatedData)
            }
        }
    }

    @Test func wrongKeyOrAssociatedDataIsRefused() {
        let sealed = XChaCha20Poly1305.seal(SecureBytes(utf8: "checksum-key"), key: key, associatedData: associatedData)
        let otherKey = SecureBytes.random(count: 32)
        #expect(throws: SodiumError.self) { try XChaCha20Poly1305.open(sealed, key: otherKey, associatedData: associatedData) }
        let otherData = Array("gatehouse:cred:v1|owner=8|kind=api_key|version=1".utf8)
        #expect(throws: SodiumError.self) { try XChaCha20Poly1305.open(sealed, key: key, associatedData: otherData) }
    }

    @Test func truncatedBoxesAreRefusedWithInvalidLength() {
        do {
            _ = try XChaCha20Poly1305.open([UInt8](repeating: 0, count: 39), key: key, associatedData: associatedData)
            Issue.record("a 39-byte box opened")
        } catch {
            #expect(error.code == .invalidLength)
        }
    }

    @Test func emptyPlaintextRoundTrips() throws {
        let sealed = XChaCha20Poly1305.seal(SecureBytes(copying: []), key: key, associatedData: [])
        #expect(sealed.count == XChaCha20Poly1305.overhead)
        #expect(try XChaCha20Poly1305.open(sealed, key: key, associatedData: []).count == 0)
    }

    @Test func errorsDescribeNothingSecret() {
        let error = SodiumError(code: .authenticationFailed, detail: "sealed box did not authenticate")
        #expect(error.description == "SodiumError(authenticationFailed)")
    }
}
