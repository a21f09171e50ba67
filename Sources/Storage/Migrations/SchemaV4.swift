// Copyright (c) the Gatehouse authors

extension Schema {
    /// Version 4: dashboard sessions of platform admins.
    ///
    /// A session is a random secret in an HttpOnly cookie, stored (like every bearer secret) only as a keyed hash,
    /// looked up by a public prefix. It belongs to the admin token that signed in, so revoking the token ends its
    /// sessions. `csrf_token` is the synchronizer token every dashboard form must echo; it is useless without the
    /// session cookie, which only the hash of is stored.
    public static let v4Tables: [SQLTable] = [
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
    ]
}
