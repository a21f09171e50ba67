// Copyright (c) the Gatehouse authors
public import Storage

/// The tables Admin owns: dashboard sessions (v4); the console statistics ``AdminStatsRefresher`` keeps (v8, v10). A session is a random secret in an HttpOnly cookie, stored only as a
/// keyed hash and found by a public prefix; it belongs to the admin token that signed in, so revoking the token ends its
/// sessions. `csrf_token` is the synchronizer token every dashboard form must echo.
public enum AdminSchema {
    public static let parts: [SchemaPart] = [
        SchemaPart(version: 4, owner: "Admin", tables: [
            SQLTable(
                "admin_session",
                columns: [
                    .varchar("prefix", 32),
                    .blob("session_hash"),
                    .varchar("admin_prefix", 32),
                    .varchar("csrf_token", 64),
                    .bigint("created_at"),
                    .bigint("expires_at"),
                    .bigint("ended_at", nullable: true),
                ],
                indexes: [
                    .unique("ux_admin_session_prefix", ["prefix"]),
                    SQLIndex("idx_admin_session_expires", ["expires_at"]),
                ]
            )
        ]),
        SchemaPart(version: 8, owner: "Admin") { dialect in
            /// `owner_window_stats`: every owner's figures over the last 1, 7 and 30 Vietnam days, rewritten by
            /// ``AdminStatsRefresher`` from `payment_owner_day`, so the owners list sorts and pages 10,000 owners on
            /// an index (`rate_key` is the success rate in basis points, -1 without payments; `last_payment_at` 0
            /// without any). `platform_bucket_stats`: the overview's platform figures per hour (48) and per day (30).
            /// The list's status sort uses Tenancy's `idx_owner_status` (InnoDB appends the id to it).
            var statements = dialect.createTable(
                SQLTable(
                    "owner_window_stats",
                    columns: [
                        .integer("window_days"),
                        .bigint("owner_id"),
                        .bigint("created", default: 0),
                        .bigint("succeeded", default: 0),
                        .bigint("volume_vnd", default: 0),
                        .bigint("rate_key", default: -1),
                        .bigint("last_payment_at", default: 0),
                        .bigint("refreshed_at"),
                    ],
                    indexes: [
                        .unique("ux_owner_window_stats", ["window_days", "owner_id"]),
                        SQLIndex("idx_owner_window_rate", ["window_days", "rate_key", "owner_id"]),
                        SQLIndex("idx_owner_window_volume", ["window_days", "volume_vnd", "owner_id"]),
                        SQLIndex("idx_owner_window_last", ["window_days", "last_payment_at", "owner_id"]),
                    ]
                ))
            statements += dialect.createTable(
                SQLTable(
                    "platform_bucket_stats",
                    columns: [
                        .varchar("bucket", 8),
                        .bigint("bucket_start"),
                        .bigint("created", default: 0),
                        .bigint("succeeded", default: 0),
                        .bigint("volume_vnd", default: 0),
                        .bigint("by_webhook", default: 0),
                        .bigint("by_reconciliation", default: 0),
                        .bigint("webhooks", default: 0),
                        .bigint("webhook_lag_ms", default: 0),
                        .bigint("webhook_lag_max_ms", default: 0),
                        .bigint("invalid_signatures", default: 0),
                        .bigint("refreshed_at"),
                    ],
                    indexes: [.unique("ux_platform_bucket_stats", ["bucket", "bucket_start"])]
                ))
            return statements
        },
        SchemaPart(version: 10, owner: "Admin", tables: [
            /// `owner_window_round`: when ``AdminStatsRefresher`` last finished each window of `owner_window_stats`.
            /// A round writes only the owners whose figures changed (so an idle platform of 10,000 owners costs no
            /// writes), which leaves a row's own `refreshed_at` the time its figures last changed; the figures' age
            /// is the round's time, kept here once per window.
            SQLTable("owner_window_round", primaryKey: .column("window_days"), columns: [.bigint("refreshed_at")])
        ]),
    ]
}
