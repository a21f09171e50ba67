// Copyright (c) the Gatehouse authors
import Admin
import Notifications
import Payments
public import Logging
public import Storage
import Tenancy
import Vault

/// Gatehouse's whole schema: each module's ``SchemaPart``s, assembled into versioned migrations.
///
/// The order is the order of references: `owner` (Tenancy) first, then the vault's rows about owners, then payments,
/// then notifications (which refer to payments), then the admin dashboard's sessions.
public enum GatehouseSchema {
    /// Every migration, in version order.
    public static let migrations: [Migration] = Migration.assemble(
        TenancySchema.parts + VaultSchema.parts + PaymentsSchema.parts + NotificationsSchema.parts + AdminSchema.parts,
        names: [
            1: "v1 schema", 2: "metrics and onboarding", 3: "rate limits and instance registry", 4: "admin sessions",
            5: "renter tokens out of the outbox", 6: "vault credential state tags",
            7: "refunds due and booking link claims",
            8: "owner console sessions, key cache invalidations, payment rollups and console statistics",
            10: "console statistics rounds", 11: "one web notification per payment and recipient",
        ])
}

extension SQLDatabase {
    /// Brings the schema to ``GatehouseSchema/migrations``' latest version.
    ///
    /// - Returns: The migrations this call applied (empty when already current).
    @discardableResult
    public func migrate(logger: Logger) async throws -> [AppliedMigration] {
        try await Migrator(migrations: GatehouseSchema.migrations).migrate(self, logger: logger)
    }
}
