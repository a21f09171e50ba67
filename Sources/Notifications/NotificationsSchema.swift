// Copyright (c) the Gatehouse authors
public import Storage

/// The tables Notifications owns: web notifications and the e-mail outbox (v1), and the outbox's metrics indexes (v2).
/// `notification` refers to `payment` (Payments'), so the composition root puts this module's parts after Payments'.
public enum NotificationsSchema {
    public static let parts: [SchemaPart] = [
        SchemaPart(version: 1, owner: "Notifications", tables: [
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
        ]),
        SchemaPart(version: 2, owner: "Notifications") { _ in
            [
                "CREATE INDEX IF NOT EXISTS idx_outbox_created ON outbox (created_at)",
                "CREATE INDEX IF NOT EXISTS idx_outbox_owner_created ON outbox (owner_id, created_at)",
            ]
        },
    ]
}
