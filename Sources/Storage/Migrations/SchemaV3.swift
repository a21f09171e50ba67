// Copyright (c) the Gatehouse authors

extension Schema {
    /// Version 3: per-owner rate limits and the registry of running gateway instances.
    ///
    /// - `owner_rate_limit`: one row per owner whose limits an admin set (no row = the configured defaults).
    ///   `payos_per_second` / `payos_burst` are NULL when only the request limit was set. `updated_at` is indexed:
    ///   every instance reloads the rows changed since its last look once a second.
    /// - `gateway_instance`: one row per running instance, heartbeated every few seconds; instances whose heartbeat
    ///   is stale are not counted when each instance computes its share (limit / live instances) of an owner's limit.
    public static let v3Tables: [SQLTable] = [
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
    ]

    /// The v3 migration (rate limits and instance registry).
    static let v3 = Migration(version: 3, name: "rate limits and instance registry", tables: v3Tables)
}
