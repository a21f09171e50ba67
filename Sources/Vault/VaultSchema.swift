// Copyright (c) the Gatehouse authors
public import Storage

/// The tables the vault owns: the hash-chained audit log, owners' wrapped data keys, the platform secrets, the sealed
/// credentials and master-key rotation progress. `vault_data_key` and `vault_credential` refer to `owner` (Tenancy's).
public enum VaultSchema {
    public static let parts: [SchemaPart] = [
        SchemaPart(version: 1, owner: "Vault", tables: [
            SQLTable(
                "audit_log",
                columns: [
                    .bigint("at"),
                    .varchar("actor", 128),
                    .bigint("owner_id", nullable: true),
                    .varchar("action", 64),
                    .text("detail", nullable: true),
                    .varchar("request_id", 64, nullable: true),
                    .blob("prev_hash", nullable: true),
                    .blob("hash"),
                ],
                indexes: [
                    SQLIndex("idx_audit_owner_at", ["owner_id", "at"]),
                    SQLIndex("idx_audit_action_at", ["action", "at"]),
                    SQLIndex("idx_audit_at", ["at"]),
                ]
            ),
            SQLTable(
                "vault_data_key",
                primaryKey: .column("owner_id"),
                columns: [
                    .integer("kek_version"),
                    .blob("wrapped_dek"),
                    .bigint("created_at"),
                    .bigint("rewrapped_at", nullable: true),
                ],
                indexes: [SQLIndex("idx_vault_data_key_kek", ["kek_version"])],
                foreignKeys: [SQLForeignKey("fk_vault_data_key_owner", ["owner_id"], references: "owner")]
            ),
            SQLTable(
                "vault_platform_key",
                columns: [
                    .varchar("name", 64),
                    .integer("kek_version"),
                    .blob("wrapped_key"),
                    .bigint("created_at"),
                    .bigint("rewrapped_at", nullable: true),
                ],
                indexes: [
                    .unique("ux_vault_platform_key_name", ["name"]),
                    SQLIndex("idx_vault_platform_key_kek", ["kek_version"]),
                ]
            ),
            SQLTable(
                "vault_credential",
                columns: [
                    .bigint("owner_id"),
                    .varchar("kind", 32),
                    .integer("version"),
                    .varchar("state", 16),
                    .blob("sealed", nullable: true),
                    .varchar("hint", 16, nullable: true),
                    .bigint("created_at"),
                    .bigint("usable_until", nullable: true),
                    .bigint("destroyed_at", nullable: true),
                ],
                indexes: [
                    .unique("ux_vault_credential_version", ["owner_id", "kind", "version"]),
                    SQLIndex("idx_vault_credential_lookup", ["owner_id", "kind", "state"]),
                ],
                foreignKeys: [SQLForeignKey("fk_vault_credential_owner", ["owner_id"], references: "owner")]
            ),
            SQLTable(
                "vault_rotation",
                columns: [
                    .integer("target_kek_version"),
                    .bigint("started_at"),
                    .bigint("finished_at", nullable: true),
                    .bigint("rewrapped", default: 0),
                ]
            ),
        ]),
        SchemaPart(version: 6, owner: "Vault") { dialect in
            /// `vault_credential.state_mac`: the tag binding a row's state and usable-until instant to its owner's data key
            /// (``CredentialEnvelope/stateTag(owner:kind:version:state:usableUntil:stateKey:)``). NULL on destroyed rows and
            /// on rows written before this version, which ``Vault/authenticateLegacyCredentialStates(audit:logger:)`` tags
            /// (or destroys) at startup.
            switch dialect {
            case .sqlite:
                // SQLite has no ADD COLUMN IF NOT EXISTS; its migrations are transactional, so this runs exactly once.
                ["ALTER TABLE vault_credential ADD COLUMN state_mac BLOB NULL CHECK (length(state_mac) <= 64)"]
            case .mariadb:
                ["ALTER TABLE vault_credential ADD COLUMN IF NOT EXISTS state_mac VARBINARY(64) NULL"]
            }
        },
        SchemaPart(version: 8, owner: "Vault", tables: [
            /// One row per change that makes owners' cached keys wrong, written in the transaction making the change
            /// (``KeyInvalidations``); every instance polls it by `at` to drop its cached entries. No foreign key: a
            /// row with a NULL owner means every owner, and rows are pruned after a day.
            SQLTable(
                "vault_key_invalidation",
                columns: [
                    .bigint("owner_id", nullable: true),
                    .varchar("reason", 32),
                    .bigint("at"),
                ],
                indexes: [SQLIndex("idx_vault_key_invalidation_at", ["at"])]
            ),
        ]),
    ]

    /// The schema version that added `vault_credential.state_mac`: rows older than its `applied_at` may lack a tag.
    public static let stateTagVersion = 6
}
