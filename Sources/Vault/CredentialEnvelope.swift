// Copyright (c) the Gatehouse authors
public import Sodium

/// The three secrets of an owner's payOS merchant account.
public enum CredentialKind: String, Sendable, Hashable, CaseIterable, Comparable {
    /// `x-client-id`: identifies the merchant (sent on every call; sealed anyway).
    case clientID = "client_id"
    /// `x-api-key`: authenticates calls to payOS.
    case apiKey = "api_key"
    /// The HMAC key for request signatures and webhook verification.
    case checksumKey = "checksum_key"

    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// The life of a stored credential row (`vault_credential.state`).
public enum CredentialState: String, Sendable, Hashable, CaseIterable {
    /// The current set: used for payOS calls and webhook verification.
    case active
    /// A replaced checksum key, still verifying webhooks until its `usable_until`.
    case previous
    /// Gone: the sealed blob is removed; never used again.
    case destroyed
}

/// Envelope encryption: how data keys are wrapped and credentials sealed. Pure crypto, no storage.
///
/// Two layers, both XChaCha20-Poly1305 with a random nonce:
/// - each owner's **data key** (DEK, 32 random bytes) is wrapped by a master key (KEK) with the
///   associated data `gatehouse:dek:v1|owner=<id>|kek=<version>`;
/// - each **credential** is sealed by its owner's DEK with the associated data
///   `gatehouse:cred:v1|owner=<id>|kind=<kind>|version=<n>`.
///
/// Why associated data: the database is not trusted to keep rows in place. A sealed blob copied
/// into another owner's row, another kind's slot or another version's slot is rebuilt with
/// different associated data at open time and fails to authenticate, exactly like a flipped byte
/// or a wrong key. The `v1` prefix versions the format itself.
///
/// Why envelopes: rotating a master key re-wraps one small DEK per owner instead of re-sealing
/// every credential, and a credential rotation never touches the master key.
///
/// The associated data deliberately leaves out a row's **state** and **usable-until** instant: they change
/// after sealing (a rotation demotes the active checksum key to `previous` with the end of its grace window),
/// and the row's blob should not have to be re-sealed for that. They are authenticated by a separate
/// **state tag** instead (see ``stateTag(owner:kind:version:state:usableUntil:stateKey:)``), so a database
/// writer cannot keep a replaced checksum key usable by setting its row back to `active` or moving its
/// grace window later.
public enum CredentialEnvelope {
    /// Data key length in bytes (32).
    public static let dataKeyLength = XChaCha20Poly1305.keyLength

    // MARK: Associated data

    /// `gatehouse:dek:v1|owner=<id>|kek=<version>`.
    public static func dataKeyAssociatedData(owner: Int64, kekVersion: Int) -> [UInt8] {
        Array("gatehouse:dek:v1|owner=\(owner)|kek=\(kekVersion)".utf8)
    }

    /// `gatehouse:cred:v1|owner=<id>|kind=<kind>|version=<n>`.
    public static func credentialAssociatedData(owner: Int64, kind: CredentialKind, version: Int) -> [UInt8] {
        Array("gatehouse:cred:v1|owner=\(owner)|kind=\(kind.rawValue)|version=\(version)".utf8)
    }

    // MARK: State tags

    /// Why a MAC over the state rather than re-sealing the credential with the state in its associated data:
    /// a state change then needs the data key only (no decryption, no plaintext in memory), the sealed blob
    /// never changes once written, and master-key rotation leaves the tags alone (the data key is unchanged).
    ///
    /// The key is a subkey of the owner's data key (``KeyDerivation``, context `ghcstate`, subkey 1), so the
    /// data key itself serves one algorithm only. Tags are keyed BLAKE2b-256 over
    /// ``stateAssociatedData(owner:kind:version:state:usableUntil:)``, compared in constant time.
    public static func stateKey(dataKey: SecureBytes) -> SecureBytes {
        KeyDerivation.subkey(1, context: "ghcstate", from: dataKey)
    }

    /// `gatehouse:cred-state:v1|owner=<id>|kind=<kind>|version=<n>|state=<state>|usable_until=<ms or ->`.
    ///
    /// Every field is an integer or a closed set of names, so the encoding is unambiguous. It binds the slot
    /// (owner, kind, version) as well as the state, so a tag copied to another row does not verify.
    public static func stateAssociatedData(owner: Int64, kind: CredentialKind, version: Int, state: CredentialState, usableUntil: Int64?) -> [UInt8] {
        let until = usableUntil.map(String.init) ?? "-"
        return Array("gatehouse:cred-state:v1|owner=\(owner)|kind=\(kind.rawValue)|version=\(version)|state=\(state.rawValue)|usable_until=\(until)".utf8)
    }

    /// The tag a row in `state` (with `usableUntil`) carries in `vault_credential.state_mac`.
    public static func stateTag(
        owner: Int64, kind: CredentialKind, version: Int, state: CredentialState, usableUntil: Int64?, stateKey: SecureBytes
    ) -> [UInt8] {
        BLAKE2b.hash(stateAssociatedData(owner: owner, kind: kind, version: version, state: state, usableUntil: usableUntil), key: stateKey)
    }

    /// Checks a row's state tag.
    /// - Throws: ``VaultError/Code/stateTampered`` when the tag is missing or does not match (state, usable-until
    ///   or slot changed after the vault wrote them).
    public static func verifyState(
        _ tag: [UInt8]?, owner: Int64, kind: CredentialKind, version: Int, state: CredentialState, usableUntil: Int64?, stateKey: SecureBytes
    ) throws(VaultError) {
        let expected = stateTag(owner: owner, kind: kind, version: version, state: state, usableUntil: usableUntil, stateKey: stateKey)
        guard let tag, ConstantTime.equals(tag, expected) else {
            throw VaultError(code: .stateTampered, detail: "state of \(kind.rawValue) version \(version) of owner \(owner) did not authenticate")
        }
    }

    // MARK: Data keys

    /// A fresh random data key.
    public static func generateDataKey() -> SecureBytes { SecureBytes.random(count: dataKeyLength) }

    /// Wraps `dataKey` for `owner` under the master key `kek` of version `kekVersion`.
    public static func wrapDataKey(_ dataKey: SecureBytes, owner: Int64, kekVersion: Int, kek: SecureBytes) -> [UInt8] {
        XChaCha20Poly1305.seal(dataKey, key: kek, associatedData: dataKeyAssociatedData(owner: owner, kekVersion: kekVersion))
    }

    /// Unwraps a data key.
    /// - Throws: ``VaultError/Code/sealBroken`` for a wrong master key, owner or version, or altered bytes.
    public static func unwrapDataKey(_ wrapped: [UInt8], owner: Int64, kekVersion: Int, kek: SecureBytes) throws(VaultError) -> SecureBytes {
        let dataKey: SecureBytes
        do {
            dataKey = try XChaCha20Poly1305.open(wrapped, key: kek, associatedData: dataKeyAssociatedData(owner: owner, kekVersion: kekVersion))
        } catch {
            throw VaultError(code: .sealBroken, detail: "data key of owner \(owner) (master key version \(kekVersion)) did not authenticate")
        }
        guard dataKey.count == dataKeyLength else {
            throw VaultError(code: .sealBroken, detail: "data key of owner \(owner) has the wrong length")
        }
        return dataKey
    }

    // MARK: Credentials

    /// Seals one credential for its slot (owner, kind, version) under the owner's data key.
    public static func seal(_ credential: SecureBytes, owner: Int64, kind: CredentialKind, version: Int, dataKey: SecureBytes) -> [UInt8] {
        XChaCha20Poly1305.seal(credential, key: dataKey, associatedData: credentialAssociatedData(owner: owner, kind: kind, version: version))
    }

    /// Opens one credential sealed for exactly this slot.
    /// - Throws: ``VaultError/Code/sealBroken`` when the blob belongs to another slot or owner, was
    ///   altered, or the data key is not the one it was sealed with.
    public static func open(_ sealed: [UInt8], owner: Int64, kind: CredentialKind, version: Int, dataKey: SecureBytes) throws(VaultError) -> SecureBytes {
        do {
            return try XChaCha20Poly1305.open(sealed, key: dataKey, associatedData: credentialAssociatedData(owner: owner, kind: kind, version: version))
        } catch {
            throw VaultError(code: .sealBroken, detail: "\(kind.rawValue) version \(version) of owner \(owner) did not authenticate")
        }
    }
}
