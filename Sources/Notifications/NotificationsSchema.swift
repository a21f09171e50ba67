// Copyright (c) the Gatehouse authors
public import Storage

/// The tables Notifications owns: web notifications and the e-mail outbox (v1), the outbox's metrics indexes (v2), and
/// (v5) bodies that no longer hold renter tokens (`outbox.link_payment_code`; the token is put in at send time), and
/// (v11) one notification of a kind per payment and recipient.
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
        SchemaPart(version: 5, owner: "Notifications", statements: renterTokensOutOfStoredBodies),
        SchemaPart(version: 11, owner: "Notifications", statements: oneNoticePerPaymentAndRecipient),
    ]

    /// `ux_notification_payment`: at most one notification of a kind per payment and recipient, which
    /// ``WebNotifications/insert(_:on:)`` relies on instead of a look before each insert. Rows without a payment are
    /// not constrained (NULL never conflicts, on both backends). Duplicates stored before it (identical notices) are
    /// removed first, keeping the oldest; on MariaDB, where DDL commits at once, both statements can run again.
    /// The index also serves the payment's lookups on SQLite, which makes no index for a foreign key: the owner
    /// notice's old look scanned all of that owner's notifications inside the settlement's write transaction.
    @Sendable static func oneNoticePerPaymentAndRecipient(_ dialect: SQLDialect) -> [SQLQuery] {
        let create: SQLQuery =
            "CREATE UNIQUE INDEX IF NOT EXISTS ux_notification_payment ON notification (payment_id, recipient_kind, recipient_id, kind)"
        switch dialect {
        case .sqlite:
            return [
                """
                DELETE FROM notification WHERE payment_id IS NOT NULL AND id NOT IN (
                    SELECT MIN(id) FROM notification WHERE payment_id IS NOT NULL GROUP BY payment_id, recipient_kind, recipient_id, kind)
                """,
                create,
            ]
        case .mariadb:
            // MariaDB cannot delete from a table its subquery reads (error 1093): a self-join instead.
            return [
                """
                DELETE n FROM notification n JOIN notification k
                    ON k.payment_id = n.payment_id AND k.recipient_kind = n.recipient_kind AND k.recipient_id = n.recipient_id
                        AND k.kind = n.kind AND k.id < n.id
                """,
                create,
            ]
        }
    }

    /// Adds `outbox.link_payment_code` and takes the renter tokens out of the bodies stored before it: in every renter
    /// e-mail whose body carries `?t=<token>` (32 characters of the token alphabet), each occurrence of the token
    /// becomes ``OutboxEmail/renterTokenPlaceholder`` and the row names its payment (found through the dedupe key
    /// `payment:<id>:renter:success`), so a pending row is still sent with a working link and a sent one keeps no token.
    /// Running it twice changes nothing more (a body without a token no longer matches).
    @Sendable static func renterTokensOutOfStoredBodies(_ dialect: SQLDialect) -> [SQLQuery] {
        let token = "SUBSTR(body, INSTR(body, '?t=') + 3, 32)"
        let placeholder = OutboxEmail.renterTokenPlaceholder
        switch dialect {
        case .sqlite:
            let alphabet = "[abcdefghijkmnpqrstuvwxyz23456789]"
            return [
                // SQLite has no ADD COLUMN IF NOT EXISTS; its migrations are transactional, so this runs exactly once.
                "ALTER TABLE outbox ADD COLUMN link_payment_code TEXT NULL",
                SQLQuery(unsafeSQL: """
                    UPDATE outbox SET
                        link_payment_code = (SELECT payment.payment_code FROM payment
                                             WHERE 'payment:' || payment.id || ':renter:success' = outbox.dedupe_key),
                        body = REPLACE(body, \(token), '\(placeholder)')
                    WHERE kind = 'payment_success_renter' AND INSTR(body, '?t=') > 0
                      AND \(token) GLOB '\(String(repeating: alphabet, count: 32))'
                    """),
            ]
        case .mariadb:
            return [
                "ALTER TABLE outbox ADD COLUMN IF NOT EXISTS link_payment_code VARCHAR(100) NULL",
                SQLQuery(unsafeSQL: """
                    UPDATE outbox SET
                        link_payment_code = (SELECT payment.payment_code FROM payment
                                             WHERE CONCAT('payment:', payment.id, ':renter:success') = outbox.dedupe_key),
                        body = REPLACE(body, \(token), '\(placeholder)')
                    WHERE kind = 'payment_success_renter' AND INSTR(body, '?t=') > 0
                      AND CAST(\(token) AS BINARY) REGEXP '^[a-km-np-z2-9]{32}$'
                    """),
            ]
        }
    }
}
