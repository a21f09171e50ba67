// Copyright (c) the Gatehouse authors

extension Schema {
    /// Version 2: what metrics and owner onboarding need.
    ///
    /// - `webhook_rejection`: hourly counts of webhooks refused for a bad or missing signature, per owner. `owner_id` 0
    ///   stands for "no owner could be resolved" (unknown webhook key, unknown orderCode on the shared route): unique keys
    ///   treat NULLs as distinct on both backends, so NULL could not be upserted into one row. Like `audit_log.owner_id`
    ///   it has no foreign key: the count must always be writable.
    /// - `webhook_inbox.transaction_at`: payOS's `transactionDateTime` as Unix ms, so webhook lag (paid at payOS →
    ///   received here) is a subtraction, not JSON parsing in SQL.
    /// - `onboarding_attempt` / `onboarding_probe`: a short-lived proof that an owner's candidate payOS credentials are
    ///   right. payOS's confirm-webhook probe may reach any instance behind the proxy; that instance records the probe
    ///   body against the owner's open attempt, and the initiating instance verifies it with the candidate checksum key.
    /// - Indexes for the metrics queries that the seed's indexes do not cover (inbox by receipt time, outbox by time).
    public static let v2 = Migration(version: 2, name: "metrics and onboarding") { dialect in
        let tables: [SQLTable] = [
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
            ),
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
        ]
        var statements = tables.flatMap(dialect.createTable)
        switch dialect {
        case .sqlite:
            // SQLite has no ADD COLUMN IF NOT EXISTS; its migrations are transactional, so this runs exactly once.
            statements.append("ALTER TABLE webhook_inbox ADD COLUMN transaction_at INTEGER NULL")
        case .mariadb:
            statements.append("ALTER TABLE webhook_inbox ADD COLUMN IF NOT EXISTS transaction_at BIGINT NULL")
        }
        statements += [
            "CREATE INDEX IF NOT EXISTS idx_webhook_inbox_received ON webhook_inbox (received_at)",
            "CREATE INDEX IF NOT EXISTS idx_outbox_created ON outbox (created_at)",
            "CREATE INDEX IF NOT EXISTS idx_outbox_owner_created ON outbox (owner_id, created_at)",
        ]
        return statements
    }
}
