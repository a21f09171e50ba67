// Copyright (c) the Gatehouse authors
public import Storage

/// The tables Payments owns: renters, bookings, payments, idempotency keys, the webhook inbox (v1), refused-signature
/// counts, the inbox's payOS transaction time and the metrics indexes on it (v2), refunds due and the per-booking link
/// claim (v7), the per-owner, per-Vietnam-day rollup ``PaymentRollup`` and the owner console's indexes (v8).
public enum PaymentsSchema {
    public static let parts: [SchemaPart] = [
        SchemaPart(version: 1, owner: "Payments", tables: [
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
        ]),
        SchemaPart(version: 2, owner: "Payments") { dialect in
            /// `webhook_rejection.owner_id` 0 stands for "no owner could be resolved": unique keys treat NULLs as
            /// distinct on both backends, so NULL could not be upserted into one row; like `audit_log.owner_id` it has
            /// no foreign key, so the count is always writable. `webhook_inbox.transaction_at` is payOS's
            /// `transactionDateTime` as Unix ms, so webhook lag is a subtraction, not JSON parsing in SQL.
            var statements = dialect.createTable(
                SQLTable(
                    "webhook_rejection",
                    columns: [
                        .bigint("owner_id"),
                        .bigint("hour_start"),
                        .bigint("count", default: 0),
                    ],
                    indexes: [
                        .unique("ux_webhook_rejection_owner_hour", ["owner_id", "hour_start"]),
                        SQLIndex("idx_webhook_rejection_hour", ["hour_start"]),
                    ]
                ))
            switch dialect {
            case .sqlite:
                // SQLite has no ADD COLUMN IF NOT EXISTS; its migrations are transactional, so this runs exactly once.
                statements.append("ALTER TABLE webhook_inbox ADD COLUMN transaction_at INTEGER NULL")
            case .mariadb:
                statements.append("ALTER TABLE webhook_inbox ADD COLUMN IF NOT EXISTS transaction_at BIGINT NULL")
            }
            statements.append("CREATE INDEX IF NOT EXISTS idx_webhook_inbox_received ON webhook_inbox (received_at)")
            return statements
        },
        SchemaPart(version: 7, owner: "Payments") { dialect in
            /// `payment.refund_reason`: money payOS received on a payment that did not pay its booking (a cancelled or
            /// superseded link paid in the gap, an underpaid link that ended, a booking already paid by another
            /// payment); the amount owed back is `amount_paid`. `refund_flagged_at` orders the admins' list (the index:
            /// only flagged rows have a value), `refund_resolved_at` is set when an admin records the refund as made.
            /// `booking.link_claim_*`: the lease one request holds while it creates the booking's payment link, so
            /// concurrent requests on any instance create at most one live link per booking.
            let columns: [(table: String, name: String, sqlite: String, mariadb: String)] = [
                ("payment", "refund_reason", "TEXT NULL CHECK (length(refund_reason) <= 32)", "VARCHAR(32) NULL"),
                ("payment", "refund_flagged_at", "INTEGER NULL", "BIGINT NULL"),
                ("payment", "refund_resolved_at", "INTEGER NULL", "BIGINT NULL"),
                ("booking", "link_claim_until", "INTEGER NULL", "BIGINT NULL"),
                ("booking", "link_claim_id", "TEXT NULL CHECK (length(link_claim_id) <= 32)", "VARCHAR(32) NULL"),
            ]
            var statements: [SQLQuery] = columns.map { column -> SQLQuery in
                switch dialect {
                case .sqlite:
                    // SQLite has no ADD COLUMN IF NOT EXISTS; its migrations are transactional, so this runs exactly once.
                    "ALTER TABLE \(unescaped: column.table) ADD COLUMN \(unescaped: column.name) \(unescaped: column.sqlite)"
                case .mariadb:
                    "ALTER TABLE \(unescaped: column.table) ADD COLUMN IF NOT EXISTS \(unescaped: column.name) \(unescaped: column.mariadb)"
                }
            }
            statements.append("CREATE INDEX IF NOT EXISTS idx_payment_refund_flagged ON payment (refund_flagged_at)")
            return statements
        },
        // The owner console (v8): an owner's payments newest first (keyset paging), and the owner's last webhook.
        SchemaPart(version: 8, owner: "Payments") { _ in
            [
                "CREATE INDEX IF NOT EXISTS idx_payment_owner_created ON payment (owner_id, created_at, id)",
                "CREATE INDEX IF NOT EXISTS idx_webhook_inbox_owner_received ON webhook_inbox (owner_id, received_at)",
            ]
        },
        SchemaPart(version: 8, owner: "Payments") { dialect in
            /// One row per owner and Vietnam day with payments (``PaymentRollup``), filled from the payments already
            /// there, so an upgraded database is right at once. `idx_payment_owner_day_day` serves reads of a day range
            /// across owners (the admin stats refresher).
            var statements = dialect.createTable(
                SQLTable(
                    "payment_owner_day",
                    columns: [
                        .bigint("owner_id"),
                        .bigint("day"),
                        .bigint("created", default: 0),
                        .bigint("succeeded", default: 0),
                        .bigint("volume_vnd", default: 0),
                        .bigint("by_webhook", default: 0),
                        .bigint("by_reconciliation", default: 0),
                        .bigint("last_created_at", default: 0),
                    ],
                    indexes: [
                        .unique("ux_payment_owner_day", ["owner_id", "day"]),
                        SQLIndex("idx_payment_owner_day_day", ["day", "owner_id"]),
                    ]
                ))
            statements += PaymentRollup.rebuildStatements(dialect)
            return statements
        },
        SchemaPart(version: 9, owner: "Payments") { dialect in
            /// Inbox-first settlement (``WebhookInboxWorker``): a verified webhook is acknowledged once its row is in
            /// `webhook_inbox`, and settled after. `next_attempt_at` is both the lease of the worker settling the row and
            /// the time of its next attempt after a failure (0 on rows from before: due at once); `attempts` counts the
            /// attempts started; `last_error` is a stable code, never payOS's text. `idx_webhook_inbox_due` serves the
            /// workers' look for unsettled rows whose lease or backoff has passed.
            let columns: [(name: String, sqlite: String, mariadb: String)] = [
                ("attempts", "INTEGER NOT NULL DEFAULT 0", "INT NOT NULL DEFAULT 0"),
                ("next_attempt_at", "INTEGER NOT NULL DEFAULT 0", "BIGINT NOT NULL DEFAULT 0"),
                ("last_error", "TEXT NULL CHECK (length(last_error) <= 64)", "VARCHAR(64) NULL"),
            ]
            var statements: [SQLQuery] = columns.map { column -> SQLQuery in
                switch dialect {
                case .sqlite:
                    // SQLite has no ADD COLUMN IF NOT EXISTS; its migrations are transactional, so this runs exactly once.
                    "ALTER TABLE webhook_inbox ADD COLUMN \(unescaped: column.name) \(unescaped: column.sqlite)"
                case .mariadb:
                    "ALTER TABLE webhook_inbox ADD COLUMN IF NOT EXISTS \(unescaped: column.name) \(unescaped: column.mariadb)"
                }
            }
            statements.append("CREATE INDEX IF NOT EXISTS idx_webhook_inbox_due ON webhook_inbox (processed_at, next_attempt_at)")
            return statements
        },
    ]
}
