// Copyright (c) the Gatehouse authors
import GatehouseCore

/// Gatehouse's schema, as migrations. Version 1 is the whole v1 schema (notes/schema.md).
///
/// Conventions: every `id` is the dialect's auto-increment key; times are `BIGINT` Unix milliseconds;
/// money is `BIGINT` VND; booleans are 0/1; unique constraints are named indexes (`ux_…`), plain
/// indexes `idx_…`, foreign keys `fk_…`. `audit_log.owner_id` has no foreign key on purpose: the audit
/// trail must always be writable and must outlive any row it mentions.
public enum Schema {
    /// Every migration, in version order.
    public static let migrations: [Migration] = [
        Migration(version: 1, name: "v1 schema", tables: v1Tables),
        v2,
        v3,
        Migration(version: 4, name: "admin sessions", tables: v4Tables),
    ]

    /// The tables of version 1, in creation order (referenced tables first).
    public static let v1Tables: [SQLTable] = [
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
            "renter",
            columns: [
                .bigint("owner_id"),
                .varchar("name", 100),
                .varchar("email", 120),
                .varchar("phone", 20, nullable: true),
                .bigint("created_at"),
            ],
            indexes: [SQLIndex("idx_renter_owner_email", ["owner_id", "email"])],
            foreignKeys: [SQLForeignKey("fk_renter_owner", ["owner_id"], references: "owner")]
        ),
        SQLTable(
            "booking",
            columns: [
                .bigint("owner_id"),
                .bigint("renter_id"),
                .varchar("room_title", 200),
                .bigint("start_time"),
                .bigint("end_time"),
                .bigint("amount"),
                .varchar("status", 16, default: "pending"),
                .varchar("payment_status", 16, default: "unpaid"),
                .bigint("created_at"),
                .bigint("updated_at"),
            ],
            indexes: [
                SQLIndex("idx_booking_owner_created", ["owner_id", "created_at"]),
                SQLIndex("idx_booking_renter", ["renter_id"]),
            ],
            foreignKeys: [
                SQLForeignKey("fk_booking_owner", ["owner_id"], references: "owner"),
                SQLForeignKey("fk_booking_renter", ["renter_id"], references: "renter"),
            ]
        ),
        SQLTable(
            "payment",
            columns: [
                .varchar("payment_code", 100),
                .bigint("order_code"),
                .bigint("amount"),
                .varchar("currency", 10, default: "VND"),
                .varchar("payos_transaction_id", 100, nullable: true),
                .varchar("payos_signature", 128, nullable: true),
                .varchar("payos_payment_link_id", 64, nullable: true),
                .varchar("checkout_url", 500, nullable: true),
                .text("qr_code", nullable: true),
                .varchar("bank_bin", 16, nullable: true),
                .varchar("account_number", 64, nullable: true),
                .varchar("account_name", 200, nullable: true),
                .varchar("status", 20, default: "pending"),
                .varchar("payment_method", 50, nullable: true),
                .bigint("amount_paid", default: 0),
                .boolean("underpaid", default: false),
                .varchar("settled_by", 16, nullable: true),
                .blob("renter_token_hash"),
                .bigint("expires_at"),
                .bigint("next_check_at", nullable: true),
                .integer("check_attempts", default: 0),
                .bigint("created_at"),
                .bigint("updated_at"),
                .bigint("paid_at", nullable: true),
                .varchar("description", 255, nullable: true),
                .varchar("customer_name", 100, nullable: true),
                .varchar("customer_email", 120, nullable: true),
                .varchar("customer_phone", 20, nullable: true),
                .bigint("booking_id"),
                .bigint("owner_id"),
                .bigint("renter_id"),
            ],
            indexes: [
                .unique("ux_payment_payment_code", ["payment_code"]),
                .unique("ux_payment_order_code", ["order_code"]),
                SQLIndex("idx_payment_status", ["status"]),
                SQLIndex("idx_payment_order_code", ["order_code"]),
                SQLIndex("idx_payment_booking_id", ["booking_id"]),
                SQLIndex("idx_payment_created_at", ["created_at"]),
                SQLIndex("idx_payment_owner_id", ["owner_id"]),
                SQLIndex("idx_payment_renter_id", ["renter_id"]),
                SQLIndex("idx_payment_status_created", ["status", "created_at"]),
                SQLIndex("idx_payment_owner_status", ["owner_id", "status"]),
                SQLIndex("idx_payment_reconcile", ["status", "next_check_at"]),
                // The status view's change feed reads "rows changed since" once per second per instance.
                SQLIndex("idx_payment_updated_at", ["updated_at"]),
            ],
            foreignKeys: [
                SQLForeignKey("fk_payment_booking", ["booking_id"], references: "booking"),
                SQLForeignKey("fk_payment_owner", ["owner_id"], references: "owner"),
                SQLForeignKey("fk_payment_renter", ["renter_id"], references: "renter"),
            ]
        ),
        SQLTable(
            "payment_config",
            columns: [
                .bigint("owner_id"),
                .varchar("payos_client_id_hint", 16, nullable: true),
                .integer("credential_version", default: 0),
                .boolean("is_active", default: true),
                .bigint("webhook_confirmed_at", nullable: true),
                .bigint("rotated_at", nullable: true),
                .bigint("created_at"),
                .bigint("updated_at"),
            ],
            indexes: [.unique("ux_payment_config_owner", ["owner_id"])],
            foreignKeys: [SQLForeignKey("fk_payment_config_owner", ["owner_id"], references: "owner")]
        ),
        SQLTable(
            "idempotency_key",
            columns: [
                .bigint("owner_id"),
                .varchar("idem_key", 200),
                .blob("request_hash"),
                .integer("status_code", nullable: true),
                .text("response_body", nullable: true),
                .bigint("created_at"),
            ],
            indexes: [.unique("ux_idempotency_key_owner_key", ["owner_id", "idem_key"])],
            foreignKeys: [SQLForeignKey("fk_idempotency_key_owner", ["owner_id"], references: "owner")]
        ),
        SQLTable(
            "webhook_inbox",
            columns: [
                .bigint("owner_id", nullable: true),
                .bigint("order_code"),
                .varchar("reference", 100),
                .varchar("payment_link_id", 64, nullable: true),
                .bigint("amount"),
                .text("body"),
                .bigint("received_at"),
                .bigint("processed_at", nullable: true),
                .varchar("outcome", 32, nullable: true),
            ],
            indexes: [
                .unique("ux_webhook_inbox_event", ["owner_id", "order_code", "reference"]),
                SQLIndex("idx_webhook_inbox_unprocessed", ["processed_at"]),
            ],
            foreignKeys: [SQLForeignKey("fk_webhook_inbox_owner", ["owner_id"], references: "owner")]
        ),
        SQLTable(
            "notification",
            columns: [
                .bigint("owner_id"),
                .varchar("recipient_kind", 16),
                .bigint("recipient_id"),
                .bigint("payment_id", nullable: true),
                .varchar("kind", 32),
                .varchar("title", 200, nullable: true),
                .text("message", nullable: true),
                .bigint("created_at"),
                .bigint("read_at", nullable: true),
            ],
            indexes: [SQLIndex("idx_notification_recipient", ["recipient_kind", "recipient_id", "read_at"])],
            foreignKeys: [
                SQLForeignKey("fk_notification_owner", ["owner_id"], references: "owner"),
                SQLForeignKey("fk_notification_payment", ["payment_id"], references: "payment"),
            ]
        ),
        SQLTable(
            "outbox",
            columns: [
                .bigint("owner_id"),
                .varchar("kind", 32),
                .varchar("recipient", 254),
                .varchar("subject", 300, nullable: true),
                .text("body", nullable: true),
                .varchar("dedupe_key", 128),
                .varchar("status", 16, default: "pending"),
                .integer("attempts", default: 0),
                .bigint("next_attempt_at"),
                .varchar("last_error", 500, nullable: true),
                .bigint("created_at"),
                .bigint("sent_at", nullable: true),
            ],
            indexes: [
                .unique("ux_outbox_dedupe_key", ["dedupe_key"]),
                SQLIndex("idx_outbox_due", ["status", "next_attempt_at"]),
            ],
            foreignKeys: [SQLForeignKey("fk_outbox_owner", ["owner_id"], references: "owner")]
        ),
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
        // Platform-wide secrets (e.g. the pepper that keys token hashes), each wrapped by a KEK like a DEK.
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
    ]
}
