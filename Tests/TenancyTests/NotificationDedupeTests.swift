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

/// A settlement writes its e-mails in one statement and its web notices in another, and relies on unique keys, not on a
/// look before each insert, to add nothing the second time: `ux_outbox_dedupe_key` and (schema v11)
/// `ux_notification_payment`, one notice of a kind per payment and recipient.
@Suite struct NotificationDedupeTests {
    let logger = TestDatabases.logger

    func notice(_ fixture: NotificationFixture, _ recipient: NotificationRecipient, kind: String, payment: Bool = true, title: String = "T")
        -> NewWebNotification
    {
        NewWebNotification(
            ownerID: fixture.owner.id, recipient: recipient, paymentID: payment ? fixture.payment.id : nil, kind: kind, title: title,
            message: "M")
    }

    @Test(arguments: TestDatabases.backends)
    func aPaymentsNoticeIsStoredOncePerRecipientAndKindWhateverTheBatch(backend: TestBackend) async throws {
        try await withTestDatabase(backend) { db in
            let clock = ManualClock()
            let fixture = try await NotificationFixture.make(db, clock: clock.wallClock, logger: logger)
            let web = WebNotifications(database: db, clock: clock.wallClock)
            let renter = notice(fixture, .renter(fixture.payment.id), kind: "payment_success")
            let owner = notice(fixture, .owner(fixture.owner.id), kind: "payment_received")
            try await db.withTransaction(logger: logger) { try await web.insert([renter, owner], on: $0) }
            #expect(try await count(db, "notification", logger: logger) == 2)
            // Again, and again with one new notice in the batch: only the new one is added, and the transaction goes on.
            let refund = notice(fixture, .owner(fixture.owner.id), kind: "refund_due")
            try await db.withTransaction(logger: logger) { connection in
                try await web.insert([renter, owner], on: connection)
                try await web.insert([owner, refund, renter], on: connection)
                try await web.insert(refund, on: connection)
            }
            #expect(try await count(db, "notification", logger: logger) == 3)
            #expect(try await count(db, "notification", where: "kind = 'refund_due'", logger: logger) == 1)
            // Notices about no payment are never deduplicated.
            let note = notice(fixture, .owner(fixture.owner.id), kind: "note", payment: false)
            try await db.withTransaction(logger: logger) { try await web.insert([note, note], on: $0) }
            #expect(try await count(db, "notification", where: "kind = 'note'", logger: logger) == 2)
            // Every other constraint is still an error, and rolls the caller's transaction back.
            let tooLongKind = notice(fixture, .owner(fixture.owner.id), kind: String(repeating: "k", count: 40))
            await #expect(throws: StorageError.self) {
                try await db.withTransaction(logger: logger) { connection in
                    try await web.insert(notice(fixture, .owner(fixture.owner.id), kind: "before"), on: connection)
                    try await web.insert([tooLongKind], on: connection)
                }
            }
            #expect(try await count(db, "notification", where: "kind = 'before'", logger: logger) == 0)
        }
    }

    @Test(arguments: TestDatabases.backends)
    func aBatchOfEmailsSkipsTheOnesAlreadyQueuedAndAnUnusableOneWritesNothing(backend: TestBackend) async throws {
        try await withTestDatabase(backend) { db in
            let clock = ManualClock()
            let fixture = try await NotificationFixture.make(db, clock: clock.wallClock, logger: logger)
            let outbox = NotificationOutbox(database: db, clock: clock.wallClock)
            @Sendable func email(_ key: String, to recipient: String = "r@example.vn") -> OutboxEmail {
                OutboxEmail(ownerID: fixture.owner.id, kind: "payment_success_renter", recipient: recipient, subject: "S", body: "B", dedupeKey: key)
            }
            #expect(try await db.withTransaction(logger: logger) { try await outbox.enqueue([email("a"), email("b")], on: $0) })
            #expect(try await db.withTransaction(logger: logger) { try await outbox.enqueue([email("b"), email("c")], on: $0) })
            #expect(try await !db.withTransaction(logger: logger) { try await outbox.enqueue([email("a"), email("c")], on: $0) })
            #expect(try await count(db, "outbox", logger: logger) == 3)
            await #expect(throws: TenancyError.self) {
                try await db.withTransaction(logger: logger) { try await outbox.enqueue([email("d"), email("e", to: "not an address")], on: $0) }
            }
            #expect(try await count(db, "outbox", logger: logger) == 3)
        }
    }

    @Test(arguments: TestDatabases.backends)
    func version11KeepsTheOldestOfEachDuplicateNoticeAndThenRefusesNewDuplicates(backend: TestBackend) async throws {
        try await withTestDatabase(backend, options: .init(migrate: false)) { db in
            let before = GatehouseSchema.migrations.filter { $0.version < 11 }
            try await Migrator(migrations: before).migrate(db, logger: logger)
            let clock = ManualClock()
            let fixture = try await NotificationFixture.make(db, clock: clock.wallClock, logger: logger)
            // As the look-then-insert of earlier versions could leave them under a race: three renter notices, two owner
            // notices of one payment; two notes about no payment.
            let rows: [(kind: String, recipient: String, id: Int64, payment: Int64?, title: String)] = [
                ("payment_success", "renter", fixture.payment.id.rawValue, fixture.payment.id.rawValue, "first"),
                ("payment_received", "owner", fixture.owner.id.rawValue, fixture.payment.id.rawValue, "first"),
                ("payment_success", "renter", fixture.payment.id.rawValue, fixture.payment.id.rawValue, "second"),
                ("note", "owner", fixture.owner.id.rawValue, nil, "first"),
                ("payment_received", "owner", fixture.owner.id.rawValue, fixture.payment.id.rawValue, "second"),
                ("payment_success", "renter", fixture.payment.id.rawValue, fixture.payment.id.rawValue, "third"),
                ("note", "owner", fixture.owner.id.rawValue, nil, "second"),
            ]
            for row in rows {
                try await db.execute(
                    """
                    INSERT INTO notification (owner_id, recipient_kind, recipient_id, payment_id, kind, title, message, created_at)
                    VALUES (\(fixture.owner.id), \(row.recipient), \(row.id), \(row.payment), \(row.kind), \(row.title), 'M', 1)
                    """, logger: logger)
            }
            let applied = try await db.migrate(logger: logger)
            #expect(applied.map(\.version) == [11])
            if db.dialect == .mariadb {
                // A re-run after a crash: every statement can run again.
                let v11 = try #require(GatehouseSchema.migrations.first { $0.version == 11 })
                for statement in v11.statements(for: .mariadb) { try await db.execute(statement, logger: logger) }
            }
            var kept: [String] = []
            for row in try await db.query("SELECT kind, title FROM notification ORDER BY id", logger: logger) {
                kept.append("\(try row.decode("kind", as: String.self)):\(try row.decode("title", as: String.self))")
            }
            #expect(kept == ["payment_success:first", "payment_received:first", "note:first", "note:second"])
            // The index now refuses what the look used to: a second renter notice of that payment.
            await #expect(throws: StorageError.self) {
                try await db.execute(
                    """
                    INSERT INTO notification (owner_id, recipient_kind, recipient_id, payment_id, kind, title, message, created_at)
                    VALUES (\(fixture.owner.id), 'renter', \(fixture.payment.id), \(fixture.payment.id), 'payment_success', 'again', 'M', 2)
                    """, logger: logger)
            }
        }
    }
}
