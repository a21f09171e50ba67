// Copyright (c) the Gatehouse authors
public import Storage

/// The tables Tenancy owns: owners, their API keys, admin tokens (v1), onboarding proofs (v2), per-owner rate limits
/// the instance registry (v3) and owner console sessions (v8). `owner` is the table every tenant-scoped row refers to, so the composition root puts
/// this module's parts first.
public enum TenancySchema {
    public static let parts: [SchemaPart] = [
        SchemaPart(version: 1, owner: "Tenancy", tables: [
            SQLTable(
                "owner",
                columns: [
                    .varchar("name", 200),
                    .varchar("email", 254),
                    .varchar("status", 16, default: "active"),
                    .varchar("onboarding_state", 16, default: "pending"),
                    .varchar("webhook_key", 64),
                    .bigint("created_at"),
                    .bigint("updated_at"),
                ],
                indexes: [
                    .unique("ux_owner_webhook_key", ["webhook_key"]),
                    SQLIndex("idx_owner_status", ["status"]),
                ]
            ),
            SQLTable(
                "owner_api_key",
                columns: [
                    .bigint("owner_id"),
                    .varchar("prefix", 32),
                    .blob("key_hash"),
                    .varchar("name", 100, nullable: true),
                    .bigint("created_at"),
                    .bigint("last_used_at", nullable: true),
                    .bigint("expires_at", nullable: true),
                    .bigint("revoked_at", nullable: true),
                ],
                indexes: [
                    .unique("ux_owner_api_key_prefix", ["prefix"]),
                    SQLIndex("idx_owner_api_key_owner", ["owner_id"]),
                ],
                foreignKeys: [SQLForeignKey("fk_owner_api_key_owner", ["owner_id"], references: "owner")]
            ),
            SQLTable(
                "admin_token",
                columns: [
                    .varchar("name", 100),
                    .varchar("prefix", 32),
                    .blob("token_hash"),
                    .bigint("created_at"),
                    .bigint("last_used_at", nullable: true),
                    .bigint("revoked_at", nullable: true),
                ],
                indexes: [.unique("ux_admin_token_prefix", ["prefix"])]
            ),
            SQLTable(
                "tenant_setting",
                primaryKey: .column("owner_id"),
                columns: [
                    .integer("rate_limit_rps", nullable: true),
                    .integer("rate_limit_burst", nullable: true),
                    .integer("payos_rate_limit_rps", nullable: true),
                    .bigint("updated_at"),
                ],
                foreignKeys: [SQLForeignKey("fk_tenant_setting_owner", ["owner_id"], references: "owner")]
            ),
        ]),
        SchemaPart(version: 2, owner: "Tenancy", tables: [
            SQLTable(
                "onboarding_attempt",
                columns: [
                    .bigint("owner_id"),
                    .bigint("started_at"),
                    .bigint("expires_at"),
                ],
                indexes: [SQLIndex("idx_onboarding_attempt_owner", ["owner_id", "expires_at"])],
                foreignKeys: [SQLForeignKey("fk_onboarding_attempt_owner", ["owner_id"], references: "owner")]
            ),
            SQLTable(
                "onboarding_probe",
                columns: [
                    .bigint("attempt_id"),
                    .text("body"),
                    .bigint("received_at"),
                ],
                indexes: [SQLIndex("idx_onboarding_probe_attempt", ["attempt_id"])],
                foreignKeys: [SQLForeignKey("fk_onboarding_probe_attempt", ["attempt_id"], references: "onboarding_attempt")]
            ),
        ]),
        SchemaPart(version: 3, owner: "Tenancy", tables: [
            SQLTable(
                "owner_rate_limit",
                primaryKey: .column("owner_id"),
                columns: [
                    .integer("requests_per_second"),
                    .integer("burst"),
                    .integer("payos_per_second", nullable: true),
                    .integer("payos_burst", nullable: true),
                    .bigint("updated_at"),
                ],
                indexes: [SQLIndex("idx_owner_rate_limit_updated", ["updated_at"])],
                foreignKeys: [SQLForeignKey("fk_owner_rate_limit_owner", ["owner_id"], references: "owner")]
            ),
            SQLTable(
                "gateway_instance",
                columns: [
                    .varchar("instance_key", 64),
                    .varchar("host", 255),
                    .bigint("started_at"),
                    .bigint("heartbeat_at"),
                ],
                indexes: [
                    .unique("ux_gateway_instance_key", ["instance_key"]),
                    SQLIndex("idx_gateway_instance_heartbeat", ["heartbeat_at"]),
                ]
            ),
        ]),
        // Owner console sessions (v8): as `admin_session`, belonging to the API key that signed in (``OwnerSessionRepository``).
        SchemaPart(version: 8, owner: "Tenancy", tables: [
            SQLTable(
                "owner_session",
                columns: [
                    .varchar("prefix", 32),
                    .blob("session_hash"),
                    .varchar("key_prefix", 32),
                    .varchar("csrf_token", 64),
                    .bigint("created_at"),
                    .bigint("expires_at"),
                    .bigint("ended_at", nullable: true),
                ],
                indexes: [
                    .unique("ux_owner_session_prefix", ["prefix"]),
                    SQLIndex("idx_owner_session_expires", ["expires_at"]),
                ]
            )
        ]),
    ]
}
