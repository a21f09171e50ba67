// Copyright (c) the Gatehouse authors
public import Storage

/// The tables Admin owns: dashboard sessions (v4). A session is a random secret in an HttpOnly cookie, stored only as a
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
        ])
    ]
}
