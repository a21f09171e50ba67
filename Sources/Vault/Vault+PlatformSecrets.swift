// Copyright (c) the Gatehouse authors
public import Logging
public import Sodium
import Storage
import GatehouseCore

/// Platform-wide secrets: random 32-byte keys that belong to Gatehouse itself rather than to an owner
/// (e.g. the pepper keying the hashes of API keys, admin tokens and renter links).
///
/// Each is created on first use and stored in `vault_platform_key` wrapped by the active master key,
/// with associated data binding it to its name and the KEK version; master-key rotation re-wraps them
/// with the owners' data keys, so the secret itself never changes and every instance sharing the
/// database derives the same value.
extension Vault {
    /// Associated data of a wrapped platform key.
    static func platformKeyAssociatedData(name: String, kekVersion: Int) -> [UInt8] {
        Array("gatehouse:platform:v1|name=\(name)|kek=\(kekVersion)".utf8)
    }

    /// The platform secret called `name` (1…64 ASCII letters, digits, `-`, `_`, `.`), created on first use.
    ///
    /// - Throws: ``VaultError/Code/invalidInput`` for a bad name, ``VaultError/Code/sealBroken`` /
    ///   ``VaultError/Code/unknownKEKVersion`` when the stored key cannot be unwrapped.
    public func platformSecret(named name: String, logger: Logger) async throws -> SecureBytes {
        guard (1...64).contains(name.utf8.count),
            name.utf8.allSatisfy({ $0 < 0x80 && (Character(UnicodeScalar($0)).isLetter || Character(UnicodeScalar($0)).isNumber || "-_.".utf8.contains($0)) })
        else { throw VaultError.invalidInput("platform secret names are 1 to 64 letters, digits, '-', '_' or '.'") }
        let ring = masterKeys
        for _ in 0..<2 {
            if let row = try await database.query(
                "SELECT kek_version, wrapped_key FROM vault_platform_key WHERE name = \(name)", logger: logger
            ).first {
                let version: Int = try row.decode("kek_version")
                do {
                    return try XChaCha20Poly1305.open(
                        try row.decode("wrapped_key", as: [UInt8].self), key: try ring.key(version: version),
                        associatedData: Self.platformKeyAssociatedData(name: name, kekVersion: version))
                } catch let error as SodiumError {
                    throw VaultError(code: .sealBroken, detail: "platform key \(name) does not open: \(error)")
                }
            }
            let secret = SecureBytes.random(count: 32)
            let wrapped = XChaCha20Poly1305.seal(
                secret, key: try ring.key(version: ring.activeVersion),
                associatedData: Self.platformKeyAssociatedData(name: name, kekVersion: ring.activeVersion))
            do {
                try await database.execute(
                    """
                    INSERT INTO vault_platform_key (name, kek_version, wrapped_key, created_at)
                    VALUES (\(name), \(ring.activeVersion), \(wrapped), \(clock.now()))
                    """,
                    logger: logger)
                logger.info("vault platform secret created", metadata: ["vault.platform_key": "\(name)"])
                return secret
            } catch let error as StorageError where error.code == .duplicate {
                continue  // another instance created it at the same moment: read theirs
            }
        }
        throw VaultError(code: .concurrentChange, detail: "platform key \(name) could not be created")
    }

    /// Re-wraps every platform key not under `target`, on the caller's connection (inside the rotation's transaction).
    /// - Returns: how many were re-wrapped.
    func rewrapPlatformKeys(to target: Int, ring: MasterKeyRing, now: Int64, on connection: any SQLConnection) async throws -> Int {
        let rows = try await connection.query(
            "SELECT name, kek_version, wrapped_key FROM vault_platform_key WHERE kek_version <> \(target)\(unescaped: connection.dialect.forUpdate)"
        )
        let targetKey = try ring.key(version: target)
        for row in rows {
            let name: String = try row.decode("name")
            let version: Int = try row.decode("kek_version")
            let secret: SecureBytes
            do {
                secret = try XChaCha20Poly1305.open(
                    try row.decode("wrapped_key", as: [UInt8].self), key: try ring.key(version: version),
                    associatedData: Self.platformKeyAssociatedData(name: name, kekVersion: version))
            } catch let error as SodiumError {
                throw VaultError(code: .sealBroken, detail: "platform key \(name) does not open: \(error)")
            }
            let rewrapped = XChaCha20Poly1305.seal(
                secret, key: targetKey, associatedData: Self.platformKeyAssociatedData(name: name, kekVersion: target))
            try await connection.execute(
                """
                UPDATE vault_platform_key SET kek_version = \(target), wrapped_key = \(rewrapped), rewrapped_at = \(now)
                WHERE name = \(name) AND kek_version = \(version)
                """)
        }
        return rows.count
    }
}
