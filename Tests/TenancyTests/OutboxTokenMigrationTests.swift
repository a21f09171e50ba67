// Copyright (c) the Gatehouse authors
import GatehouseApp
import GatehouseCore
import Payments
import Tenancy
import Logging
import Storage
import StorageTestSupport
import Testing

@testable import Notifications

/// Schema version 5 takes the renter tokens out of the e-mails stored before it (they were written into the receipt
/// link of the renter's e-mail): each becomes the placeholder the worker completes at send time, and the row names
/// its payment, so pending e-mails still go out with a working link and sent ones keep no token.
@Suite struct OutboxTokenMigrationTests {
    let logger = TestDatabases.logger

    @Test(arguments: TestDatabases.backends)
    func version5ReplacesStoredRenterTokensWithThePlaceholder(backend: TestBackend) async throws {
        try await withTestDatabase(backend, options: .init(migrate: false)) { db in
            try await Migrator(migrations: Array(GatehouseSchema.migrations.prefix(4))).migrate(db, logger: logger)
            // The fixture writes its payment through today's repository, which also keeps the v8 rollup: give it that table.
            for statement in db.dialect.createTable(SQLTable("payment_owner_day", columns: [
                .bigint("owner_id"), .bigint("day"), .bigint("created"), .bigint("succeeded"), .bigint("volume_vnd"), .bigint("by_webhook"),
                .bigint("by_reconciliation"), .bigint("last_created_at"),
            ], indexes: [.unique("ux_payment_owner_day", ["owner_id", "day"])])) {
                try await db.execute(statement, logger: logger)
            }
            let clock = ManualClock()
            let fixture = try await NotificationFixture.make(db, clock: clock.wallClock, logger: logger)
            let id = fixture.payment.id.rawValue
            let token = "abcdefghijkmnpqrstuvwxyz23456789"
            let link = "https://pay.example.vn/payment/success/\(id)?t=\(token)"
            let renterBody = "Xem biên nhận: \(link)\n\n――\n\nView your receipt: \(link)\n"
            // A room title that happens to contain "?t=" in an owner's e-mail is not touched.
            let ownerBody = "Phòng: Deluxe ?t=\(token)\n"
            for (kind, body, key) in [
                ("payment_success_renter", renterBody, "payment:\(id):renter:success"), ("payment_success_owner", ownerBody, "payment:\(id):owner:success"),
            ] {
                try await db.execute(
                    """
                    INSERT INTO outbox (owner_id, kind, recipient, subject, body, dedupe_key, status, attempts, next_attempt_at, created_at)
                    VALUES (\(fixture.owner.id), \(kind), 'r@example.vn', 'Subject', \(body), \(key), 'pending', 0, 1, 1)
                    """, logger: logger)
            }

            let applied = try await db.migrate(logger: logger)
            #expect(applied.first?.version == 5)
            if db.dialect == .mariadb {
                // A re-run after a crash: every statement is idempotent.
                for statement in GatehouseSchema.migrations[4].statements(for: .mariadb) { try await db.execute(statement, logger: logger) }
            }

            let entries = try await NotificationOutbox(database: db).entries(logger: logger)
            let renter = try #require(entries.first { $0.kind == "payment_success_renter" })
            let owner = try #require(entries.first { $0.kind == "payment_success_owner" })
            let placeholderLink = "https://pay.example.vn/payment/success/\(id)?t=\(OutboxEmail.renterTokenPlaceholder)"
            #expect(renter.body == "Xem biên nhận: \(placeholderLink)\n\n――\n\nView your receipt: \(placeholderLink)\n")
            #expect(renter.renterLinkPaymentCode == fixture.payment.paymentCode)
            #expect(owner.body == ownerBody)
            #expect(owner.renterLinkPaymentCode == nil)
        }
    }
}
