// Copyright (c) the Gatehouse authors
import Storage

/// What a database's own catalog says about its tables (SQLite `pragma_*`, MariaDB `information_schema`).
struct Catalog: Equatable {
    struct Index: Equatable {
        var unique: Bool
        var columns: [String]
    }

    struct Table: Equatable {
        var columns: [String]
        /// Named indexes, including unique keys; SQLite's automatic and primary key indexes are left out.
        var indexes: [String: Index]
    }

    var tables: [String: Table]

    static func read(_ db: any SQLDatabase) async throws -> Catalog {
        switch db.dialect {
        case .sqlite: try await readSQLite(db)
        case .mariadb: try await readMariaDB(db)
        }
    }

    private static func readSQLite(_ db: any SQLDatabase) async throws -> Catalog {
        var tables: [String: Table] = [:]
        let names = try await db.query(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
            logger: logger
        ).map { try $0.decode("name", as: String.self) }
        for name in names {
            let columns = try await db.query("SELECT name FROM pragma_table_info(\(name)) ORDER BY cid", logger: logger)
                .map { try $0.decode("name", as: String.self) }
            var indexes: [String: Index] = [:]
            let list = try await db.query("SELECT name, \"unique\" AS is_unique, origin FROM pragma_index_list(\(name))", logger: logger)
            for row in list where try row.decode("origin", as: String.self) == "c" {
                let indexName: String = try row.decode("name")
                let indexColumns = try await db.query("SELECT name FROM pragma_index_info(\(indexName)) ORDER BY seqno", logger: logger)
                    .map { try $0.decode("name", as: String.self) }
                indexes[indexName] = Index(unique: try row.decode("is_unique", as: Bool.self), columns: indexColumns)
            }
            tables[name] = Table(columns: columns, indexes: indexes)
        }
        return Catalog(tables: tables)
    }

    private static func readMariaDB(_ db: any SQLDatabase) async throws -> Catalog {
        var tables: [String: Table] = [:]
        let columnRows = try await db.query(
            """
            SELECT table_name AS t, column_name AS c FROM information_schema.columns
            WHERE table_schema = DATABASE() ORDER BY table_name, ordinal_position
            """,
            logger: logger
        )
        for row in columnRows {
            tables[try row.decode("t"), default: Table(columns: [], indexes: [:])].columns.append(try row.decode("c"))
        }
        let indexRows = try await db.query(
            """
            SELECT table_name AS t, index_name AS i, non_unique AS nu, column_name AS c FROM information_schema.statistics
            WHERE table_schema = DATABASE() AND index_name <> 'PRIMARY' ORDER BY table_name, index_name, seq_in_index
            """,
            logger: logger
        )
        for row in indexRows {
            let table: String = try row.decode("t")
            let name: String = try row.decode("i")
            let unique = try row.decode("nu", as: Int.self) == 0
            var index = tables[table]?.indexes[name] ?? Index(unique: unique, columns: [])
            index.columns.append(try row.decode("c"))
            tables[table]?.indexes[name] = index
        }
        return Catalog(tables: tables)
    }
}

/// The v1 schema as written in notes/schema.md, by hand — independent of `Schema.v1Tables`.
enum ExpectedSchema {
    static let columns: [String: [String]] = [
        "owner": ["id", "name", "email", "status", "onboarding_state", "webhook_key", "created_at", "updated_at"],
        "owner_api_key": ["id", "owner_id", "prefix", "key_hash", "name", "created_at", "last_used_at", "expires_at", "revoked_at"],
        "admin_token": ["id", "name", "prefix", "token_hash", "created_at", "last_used_at", "revoked_at"],
        "renter": ["id", "owner_id", "name", "email", "phone", "created_at"],
        "booking": [
            "id", "owner_id", "renter_id", "room_title", "start_time", "end_time", "amount", "status", "payment_status",
            "created_at", "updated_at",
        ],
        "payment": [
            "id", "payment_code", "order_code", "amount", "currency", "payos_transaction_id", "payos_signature",
            "payos_payment_link_id", "checkout_url", "qr_code", "bank_bin", "account_number", "account_name", "status",
            "payment_method", "amount_paid", "underpaid", "settled_by", "renter_token_hash", "expires_at", "next_check_at",
            "check_attempts", "created_at", "updated_at", "paid_at", "description", "customer_name", "customer_email",
            "customer_phone", "booking_id", "owner_id", "renter_id",
        ],
        "payment_config": [
            "id", "owner_id", "payos_client_id_hint", "credential_version", "is_active", "webhook_confirmed_at", "rotated_at",
            "created_at", "updated_at",
        ],
        "idempotency_key": ["id", "owner_id", "idem_key", "request_hash", "status_code", "response_body", "created_at"],
        "webhook_inbox": [
            "id", "owner_id", "order_code", "reference", "payment_link_id", "amount", "body", "received_at", "processed_at", "outcome",
        ],
        "notification": [
            "id", "owner_id", "recipient_kind", "recipient_id", "payment_id", "kind", "title", "message", "created_at", "read_at",
        ],
        "outbox": [
            "id", "owner_id", "kind", "recipient", "subject", "body", "dedupe_key", "status", "attempts", "next_attempt_at",
            "last_error", "created_at", "sent_at",
        ],
        "audit_log": ["id", "at", "actor", "owner_id", "action", "detail", "request_id", "prev_hash", "hash"],
        "tenant_setting": ["owner_id", "rate_limit_rps", "rate_limit_burst", "payos_rate_limit_rps", "updated_at"],
        "vault_data_key": ["owner_id", "kek_version", "wrapped_dek", "created_at", "rewrapped_at"],
        "vault_credential": [
            "id", "owner_id", "kind", "version", "state", "sealed", "hint", "created_at", "usable_until", "destroyed_at",
        ],
        "vault_rotation": ["id", "target_kek_version", "started_at", "finished_at", "rewrapped"],
    ]

    /// Named (non-unique) indexes.
    static let indexes: [String: [String: [String]]] = [
        "owner": ["idx_owner_status": ["status"]],
        "owner_api_key": ["idx_owner_api_key_owner": ["owner_id"]],
        "renter": ["idx_renter_owner_email": ["owner_id", "email"]],
        "booking": ["idx_booking_owner_created": ["owner_id", "created_at"], "idx_booking_renter": ["renter_id"]],
        "payment": [
            "idx_payment_status": ["status"],
            "idx_payment_order_code": ["order_code"],
            "idx_payment_booking_id": ["booking_id"],
            "idx_payment_created_at": ["created_at"],
            "idx_payment_owner_id": ["owner_id"],
            "idx_payment_renter_id": ["renter_id"],
            "idx_payment_status_created": ["status", "created_at"],
            "idx_payment_owner_status": ["owner_id", "status"],
            "idx_payment_reconcile": ["status", "next_check_at"],
        ],
        "webhook_inbox": ["idx_webhook_inbox_unprocessed": ["processed_at"]],
        "notification": ["idx_notification_recipient": ["recipient_kind", "recipient_id", "read_at"]],
        "outbox": ["idx_outbox_due": ["status", "next_attempt_at"]],
        "audit_log": ["idx_audit_owner_at": ["owner_id", "at"], "idx_audit_action_at": ["action", "at"], "idx_audit_at": ["at"]],
        "vault_data_key": ["idx_vault_data_key_kek": ["kek_version"]],
        "vault_credential": ["idx_vault_credential_lookup": ["owner_id", "kind", "state"]],
    ]

    /// UNIQUE constraints, by column set.
    static let uniqueKeys: [String: [[String]]] = [
        "owner": [["webhook_key"]],
        "owner_api_key": [["prefix"]],
        "admin_token": [["prefix"]],
        "payment": [["payment_code"], ["order_code"]],
        "payment_config": [["owner_id"]],
        "idempotency_key": [["owner_id", "idem_key"]],
        "webhook_inbox": [["owner_id", "order_code", "reference"]],
        "outbox": [["dedupe_key"]],
        "vault_credential": [["owner_id", "kind", "version"]],
    ]
}
