// Copyright (c) the Gatehouse authors
import Sodium
import Testing
import Vault
import GatehouseCore

/// The envelope format without a database: every way a blob can be moved or altered is refused.
@Suite struct CredentialEnvelopeTests {
    private let kek = SecureBytes.random(count: 32)
    private let dataKey = CredentialEnvelope.generateDataKey()

    // MARK: Tests

    @Test func credentialRoundTripsInItsOwnSlot() throws {
        let sealed = CredentialEnvelope.seal(SecureBytes(utf8: "api-key-1"), owner: 7, kind: .apiKey, version: 3, dataKey: dataKey)
        let opened = try CredentialEnvelope.open(sealed, owner: 7, kind: .apiKey, version: 3, dataKey: dataKey)
        #expect(opened.unprotectedUTF8String() == "api-key-1")
    }

    @Test func anotherOwnerKindOrVersionCannotOpenIt() {
        let sealed = CredentialEnvelope.seal(SecureBytes(utf8: "checksum"), owner: 7, kind: .checksumKey, version: 3, dataKey: dataKey)
        let wrongSlots: [(Int64, CredentialKind, Int)] = [(8, .checksumKey, 3), (7, .apiKey, 3), (7, .clientID, 3), (7, .checksumKey, 2), (7, .checksumKey, 4)]
        for (owner, kind, version) in wrongSlots {
            expectVaultError(.sealBroken) { try CredentialEnvelope.open(sealed, owner: owner, kind: kind, version: version, dataKey: dataKey) }
        }
    }

    @Test func anyFlippedByteIsRefused() {
        let sealed = CredentialEnvelope.seal(SecureBytes(utf8: "client-id"), owner: 7, kind: .clientID, version: 1, dataKey: dataKey)
        for index in sealed.indices {
            var tampered = sealed
            tampered[index] ^= 0x80
            expectVaultError(.sealBroken) { try CredentialEnvelope.open(tampered, owner: 7, kind: .clientID, version: 1, dataKey: dataKey) }
        }
    }

    @Test func anotherDataKeyCannotOpenIt() {
        let sealed = CredentialEnvelope.seal(SecureBytes(utf8: "client-id"), owner: 7, kind: .clientID, version: 1, dataKey: dataKey)
        expectVaultError(.sealBroken) { try CredentialEnvelope.open(sealed, owner: 7, kind: .clientID, version: 1, dataKey: CredentialEnvelope.generateDataKey()) }
    }

    @Test func dataKeyIsBoundToOwnerAndMasterKeyVersion() throws {
        let wrapped = CredentialEnvelope.wrapDataKey(dataKey, owner: 7, kekVersion: 2, kek: kek)
        #expect(try CredentialEnvelope.unwrapDataKey(wrapped, owner: 7, kekVersion: 2, kek: kek).constantTimeEquals(dataKey))
        for (owner, version) in [(Int64(8), 2), (7, 1), (7, 3)] {
            expectVaultError(.sealBroken) { try CredentialEnvelope.unwrapDataKey(wrapped, owner: owner, kekVersion: version, kek: kek) }
        }
        expectVaultError(.sealBroken) { try CredentialEnvelope.unwrapDataKey(wrapped, owner: 7, kekVersion: 2, kek: SecureBytes.random(count: 32)) }
    }

    @Test func associatedDataFollowsTheDocumentedFormat() {
        #expect(String(decoding: CredentialEnvelope.dataKeyAssociatedData(owner: 42, kekVersion: 3), as: UTF8.self) == "gatehouse:dek:v1|owner=42|kek=3")
        #expect(
            String(decoding: CredentialEnvelope.credentialAssociatedData(owner: 42, kind: .checksumKey, version: 5), as: UTF8.self)
                == "gatehouse:cred:v1|owner=42|kind=checksum_key|version=5"
        )
        #expect(
            String(
                decoding: CredentialEnvelope.stateAssociatedData(owner: 42, kind: .checksumKey, version: 5, state: .previous, usableUntil: 1_700),
                as: UTF8.self) == "gatehouse:cred-state:v1|owner=42|kind=checksum_key|version=5|state=previous|usable_until=1700"
        )
        #expect(
            String(decoding: CredentialEnvelope.stateAssociatedData(owner: 42, kind: .apiKey, version: 6, state: .active, usableUntil: nil), as: UTF8.self)
                == "gatehouse:cred-state:v1|owner=42|kind=api_key|version=6|state=active|usable_until=-"
        )
    }

    @Test func aStateTagVerifiesOnlyForItsOwnSlotStateAndWindow() throws {
        let key = CredentialEnvelope.stateKey(dataKey: dataKey)
        let tag = CredentialEnvelope.stateTag(owner: 7, kind: .checksumKey, version: 1, state: .previous, usableUntil: 1_000, stateKey: key)
        try CredentialEnvelope.verifyState(tag, owner: 7, kind: .checksumKey, version: 1, state: .previous, usableUntil: 1_000, stateKey: key)
        expectVaultError(.stateTampered) {
            try CredentialEnvelope.verifyState(tag, owner: 7, kind: .checksumKey, version: 1, state: .previous, usableUntil: 1_001, stateKey: key)
        }
        expectVaultError(.stateTampered) {
            try CredentialEnvelope.verifyState(tag, owner: 7, kind: .checksumKey, version: 1, state: .active, usableUntil: nil, stateKey: key)
        }
        expectVaultError(.stateTampered) {
            try CredentialEnvelope.verifyState(tag, owner: 7, kind: .checksumKey, version: 2, state: .previous, usableUntil: 1_000, stateKey: key)
        }
        expectVaultError(.stateTampered) {
            try CredentialEnvelope.verifyState(nil, owner: 7, kind: .checksumKey, version: 1, state: .previous, usableUntil: 1_000, stateKey: key)
        }
        let otherOwnersKey = CredentialEnvelope.stateKey(dataKey: SecureBytes.random(count: 32))
        expectVaultError(.stateTampered) {
            try CredentialEnvelope.verifyState(tag, owner: 7, kind: .checksumKey, version: 1, state: .previous, usableUntil: 1_000, stateKey: otherOwnersKey)
        }
    }

    @Test func errorsAreGeneric() {
        let sealed = CredentialEnvelope.seal(SecureBytes(utf8: "super-secret-api-key"), owner: 7, kind: .apiKey, version: 1, dataKey: dataKey)
        do {
            _ = try CredentialEnvelope.open(sealed, owner: 8, kind: .apiKey, version: 1, dataKey: dataKey)
        } catch {
            #expect(error.description == "VaultError(sealBroken)")
            #expect(!error.debugDescription.contains("super-secret"))
        }
    }
}
