// Copyright (c) the Gatehouse authors
import Sodium
import Testing

@Suite struct HashAndEncodingTests {
    // MARK: Tests

    @Test func sha256MatchesTheFIPSVector() {
        #expect(Hex.encode(SHA256.hash(Array("abc".utf8))) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }

    @Test func sha256StreamingEqualsOneShot() {
        var hasher = SHA256()
        hasher.update(Array("a".utf8))
        hasher.update([])
        hasher.update(Array("bc".utf8))
        #expect(hasher.finalize() == SHA256.hash(Array("abc".utf8)))
    }

    @Test func keyedBLAKE2bMatchesTheReferenceVectors() {
        // blake2b-kat keyed vector 0 (key 00..3f, empty input, 64-byte output).
        #expect(
            Hex.encode(BLAKE2b.hash([], key: SecureBytes(copying: Array(0..<64) as [UInt8]), outputLength: 64))
                == "10ebb67700b1868efb4417987acf4690ae9d972fb7a590c2f02871799aaa4786b5e996e8f0f4eb981fc214b005f42d2ff4233499391653df7aefcbc13fc51568"
        )
        // Python hashlib.blake2b(b"gatehouse token", key=bytes(range(32)), digest_size=32).
        #expect(
            Hex.encode(BLAKE2b.hash(Array("gatehouse token".utf8), key: SecureBytes(copying: Array(0..<32) as [UInt8])))
                == "479843a296efccfe20313d82082f8d3f96e6450e6b4e547896686dabdfe1cdb1"
        )
        // Unkeyed, 32 bytes: hashlib.blake2b(b"abc", digest_size=32).
        #expect(Hex.encode(BLAKE2b.hash(Array("abc".utf8))) == "bddd813c634239723171ef3fee98579b94964e3bb1cb3e427262c8c068d52319")
    }

    @Test func keyedBLAKE2bDependsOnTheKey() {
        let token = Array("gh_live_abc".utf8)
        #expect(BLAKE2b.hash(token, key: SecureBytes.random(count: 32)) != BLAKE2b.hash(token, key: SecureBytes.random(count: 32)))
    }

    @Test func keyDerivationMatchesBLAKE2bWithSaltAndPersonalAndSeparatesPurposes() {
        let master = SecureBytes(copying: Array(0..<32) as [UInt8])
        let subkey = KeyDerivation.subkey(1, context: "ghcstate", from: master)
        // hashlib.blake2b(b"", key=bytes(range(32)), salt=(1).to_bytes(8, "little") + bytes(8),
        //                 person=b"ghcstate" + bytes(8), digest_size=32): libsodium's crypto_kdf construction.
        #expect(subkey.withUnsafeBytes { Hex.encode($0) } == "53f310ed1955708361e57b88aa108633e2d41b7f3e5a384eb0397a4e4068932b")
        #expect(!subkey.constantTimeEquals(KeyDerivation.subkey(2, context: "ghcstate", from: master)))
        #expect(!subkey.constantTimeEquals(KeyDerivation.subkey(1, context: "ghother_", from: master)))
        #expect(!subkey.constantTimeEquals(master))
    }

    @Test func base64RoundTripsStandardPaddedText() throws {
        let bytes = Array(0..<32) as [UInt8]
        #expect(Base64.encode(bytes) == "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=")
        #expect(Base64.decode("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=") == bytes)
        let secret = try Base64.decodeSecret(Array("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=".utf8))
        #expect(secret.constantTimeEquals(bytes))
        #expect(Base64.encode(secret) == "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=")
        #expect(Base64.encodedSecret(secret).unprotectedUTF8String() == "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=")
        #expect(Base64.encode([]) == "")
        #expect(Base64.decode("") == [])
    }

    @Test func base64RefusesMalformedText() {
        for bad in ["AAECAw*FBgc=", "AAECAwQ", "AAEC AwQF", "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8", "-_-_"] {
            #expect(Base64.decode(bad) == nil, "\(bad)")
            #expect(throws: SodiumError.self) { try Base64.decodeSecret(Array(bad.utf8)) }
        }
    }
}
