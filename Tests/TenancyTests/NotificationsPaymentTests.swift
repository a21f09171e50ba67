// Copyright (c) the Gatehouse authors
import Foundation
import Logging
import Mailer
import Storage
import StorageTestSupport
import Testing

@testable import Tenancy
import GatehouseCore
@testable import Payments
@testable import Notifications

/// A successful settlement writes the renter's and the owner's e-mails and web notifications in its own transaction,
/// once, in Vietnamese then English; the web notifications are read once, and never by the wrong audience.
@Suite struct NotificationsPaymentTests {
    let logger = TestDatabases.logger

    func notifications(_ db: any SQLDatabase, clock: WallClock, linksRenterToken: Bool = false) -> PaymentNotifications {
        PaymentNotifications(
            outbox: NotificationOutbox(database: db, clock: clock), web: WebNotifications(database: db, clock: clock),
            configuration: .init(publicURL: "https://pay.example.vn", linksRenterToken: linksRenterToken), logger: logger)
    }

    /// Settles the fixture's payment as `event`, enqueueing notifications in the same transaction.
    @discardableResult
    func settle(
        _ fixture: NotificationFixture, _ event: PaymentEvent, db: any SQLDatabase, clock: WallClock, notifications: PaymentNotifications
    ) async throws -> PaymentStatusChange? {
        try await db.withTransaction(logger: logger) { connection in
            let change = try await PaymentRepository(database: db, clock: clock).apply(event, to: fixture.payment.id, reference: "FT2401", on: connection)
            if let change { try await notifications.enqueue(for: change, on: connection) }
            return change
        }
    }

    // MARK: Tests

    @Test(arguments: TestDatabases.backends)
    func aSuccessfulSettlementEnqueuesBothEmailsAndBothNoticesOnce(backend: TestBackend) async throws {
        try await withTestDatabase(backend) { db in
            let clock = ManualClock()
            let fixture = try await NotificationFixture.make(db, clock: clock.wallClock, logger: logger)
            let notifications = notifications(db, clock: clock.wallClock, linksRenterToken: true)
            let change = try #require(
                try await settle(fixture, .paid(totalPaid: 500_000, source: .webhook), db: db, clock: clock.wallClock, notifications: notifications))
            #expect(change.to == .success)
            // Called again for the same change (a retried hook): nothing new.
            try await db.withTransaction(logger: logger) { try await notifications.enqueue(for: change, on: $0) }

            let outbox = try await NotificationOutbox(database: db).entries(logger: logger)
            #expect(outbox.count == 2)
            let renter = try #require(outbox.first { $0.kind == "payment_success_renter" })
            let owner = try #require(outbox.first { $0.kind == "payment_success_owner" })
            let id = fixture.payment.id.rawValue
            #expect(renter.recipient == "renter@example.vn")
            #expect(renter.dedupeKey == "payment:\(id):renter:success")
            #expect(owner.recipient == "owner@example.vn")
            #expect(owner.dedupeKey == "payment:\(id):owner:success")
            #expect(renter.ownerID == fixture.owner.id && owner.ownerID == fixture.owner.id)

            // Vietnamese first, then English; amounts and Vietnam times in each language's form.
            for email in [renter, owner] {
                let vietnamese = try #require(email.body.range(of: "Xin chào"))
                let english = try #require(email.body.range(of: "Hello"))
                #expect(vietnamese.lowerBound < english.lowerBound)
                #expect(email.body.contains("500.000 ₫"))
                #expect(email.body.contains("500,000 ₫"))
                #expect(email.body.contains("21:30 15/01/2024 (giờ Việt Nam)"))
                #expect(email.body.contains("21:30, 15 Jan 2024 (Vietnam time)"))
                #expect(email.body.contains("Phòng Deluxe 🌿"))
                #expect(email.body.contains(fixture.payment.paymentCode))
            }
            #expect(renter.subject.hasPrefix("Đã nhận thanh toán"))
            #expect(renter.body.contains("Xin chào Nguyễn Văn Ánh"))
            #expect(renter.body.contains("Nhà nghỉ Hoa Sen"))
            // The receipt link is stored without its token: the worker completes it at send time.
            #expect(renter.body.contains("https://pay.example.vn/payment/success/\(id)?t=\(OutboxEmail.renterTokenPlaceholder)"))
            #expect(renter.renterLinkPaymentCode == fixture.payment.paymentCode)
            #expect(owner.renterLinkPaymentCode == nil && !owner.body.contains("/payment/success/"))
            #expect(renter.body.contains("21:00 15/01/2024 – 00:00 16/01/2024"))
            #expect(owner.subject == "Thanh toán mới 500.000 ₫ / New payment (\(fixture.payment.paymentCode))")
            #expect(owner.body.contains("Nguyễn Văn Ánh, renter@example.vn, 0912 345 678"))
            #expect(owner.body.contains("webhook payOS"))
            #expect(owner.body.contains("FT2401"))

            // Web notifications: one for the renter (by payment id), one for the owner (by owner id).
            let renterCheck = try await WebNotifications(database: db, clock: clock.wallClock).check(recipient: .renter(fixture.payment.id), logger: logger)
            #expect(renterCheck.notifications.map(\.kind) == ["payment_success"])
            #expect(renterCheck.notifications.first?.message?.hasPrefix("Đã nhận 500.000 ₫.") == true)
            #expect(renterCheck.notifications.first?.paymentID == fixture.payment.id)
            let ownerCheck = try await WebNotifications(database: db, clock: clock.wallClock).check(recipient: .owner(fixture.owner.id), logger: logger)
            #expect(ownerCheck.notifications.map(\.kind) == ["payment_received"])
            #expect(ownerCheck.notifications.first?.message?.contains("Nguyễn Văn Ánh đã thanh toán 500.000 ₫") == true)
        }
    }

    @Test(arguments: TestDatabases.backends)
    func aRolledBackSettlementLeavesNoNotifications(backend: TestBackend) async throws {
        try await withTestDatabase(backend) { db in
            let clock = ManualClock()
            let fixture = try await NotificationFixture.make(db, clock: clock.wallClock, logger: logger)
            let notifications = notifications(db, clock: clock.wallClock)
            struct CrashAfterEnqueue: Error {}
            await #expect(throws: CrashAfterEnqueue.self) {
                try await db.withTransaction(logger: logger) { connection in
                    let change = try await PaymentRepository(database: db, clock: clock.wallClock)
                        .apply(.paid(totalPaid: 500_000, source: .webhook), to: fixture.payment.id, on: connection)
                    try await notifications.enqueue(for: try #require(change), on: connection)
                    #expect(try await connection.query("SELECT id FROM outbox").count == 2)
                    throw CrashAfterEnqueue()
                }
            }
            #expect(try await count(db, "outbox", logger: logger) == 0)
            #expect(try await count(db, "notification", logger: logger) == 0)
            #expect(try await PaymentRepository(database: db).get(fixture.payment.id, logger: logger)?.status == .pending)
        }
    }

    @Test(arguments: TestDatabases.backends)
    func onlyAChangeToSuccessNotifies(backend: TestBackend) async throws {
        try await withTestDatabase(backend) { db in
            let clock = ManualClock()
            let fixture = try await NotificationFixture.make(db, clock: clock.wallClock, logger: logger)
            let notifications = notifications(db, clock: clock.wallClock)
            let partial = try await settle(fixture, .paid(totalPaid: 100_000, source: .webhook), db: db, clock: clock.wallClock, notifications: notifications)
            #expect(partial?.underpaid == true)
            #expect(try await count(db, "outbox", logger: logger) == 0)
            #expect(try await count(db, "notification", logger: logger) == 0)
        }
    }

    @Test(arguments: TestDatabases.backends)
    func anEndingWithMoneyOnItTellsTheOwnerARefundIsDueOnce(backend: TestBackend) async throws {
        try await withTestDatabase(backend) { db in
            let clock = ManualClock()
            let fixture = try await NotificationFixture.make(db, clock: clock.wallClock, logger: logger)
            let notifications = notifications(db, clock: clock.wallClock)
            _ = try await settle(fixture, .paid(totalPaid: 100_000, source: .webhook), db: db, clock: clock.wallClock, notifications: notifications)
            let ended = try await settle(fixture, .expired(source: .reconciliation, totalPaid: 100_000), db: db, clock: clock.wallClock, notifications: notifications)
            #expect(ended?.to == .failed && ended?.refund == .underpaid)
            let stored = try #require(try await PaymentRepository(database: db).get(fixture.payment.id, logger: logger))
            #expect(stored.refundReason == .underpaid && stored.refundDue && stored.amountPaid == 100_000 && stored.underpaid)
            let emails = try await db.query("SELECT kind, recipient, subject, body FROM outbox", logger: logger)
            #expect(emails.count == 1)
            #expect(try emails.first?.decode("kind", as: String.self) == "payment_refund_due_owner")
            let body = try #require(try emails.first?.decode("body", as: String.self))
            #expect(body.contains("100.000 ₫") && body.contains("100,000 ₫") && body.contains(fixture.payment.paymentCode))
            let notices = try await db.query("SELECT kind, recipient_kind FROM notification", logger: logger)
            #expect(try notices.map { try $0.decode("kind", as: String.self) } == ["payment_refund_due"])
            #expect(try notices.first?.decode("recipient_kind", as: String.self) == "owner")
            // Nothing more happens to an ended payment without new money.
            #expect(try await settle(fixture, .expired(source: .reconciliation, totalPaid: 100_000), db: db, clock: clock.wallClock, notifications: notifications) == nil)
            #expect(try await count(db, "outbox", logger: logger) == 1)
        }
    }

    @Test(arguments: TestDatabases.backends)
    func anAddressTheMailerCannotUseSkipsOnlyThatEmail(backend: TestBackend) async throws {
        try await withTestDatabase(backend) { db in
            let clock = ManualClock()
            // Passes the booking's e-mail check but is not a plain ASCII address.
            let fixture = try await NotificationFixture.make(db, clock: clock.wallClock, renterEmail: "khách@ví-dụ.vn", logger: logger)
            let change = try await settle(
                fixture, .paid(totalPaid: 500_000, source: .reconciliation), db: db, clock: clock.wallClock,
                notifications: notifications(db, clock: clock.wallClock))
            #expect(change?.to == .success)
            let outbox = try await NotificationOutbox(database: db).entries(logger: logger)
            #expect(outbox.map(\.kind) == ["payment_success_owner"])
            #expect(try await count(db, "notification", logger: logger) == 2)
        }
    }

    @Test(arguments: TestDatabases.backends)
    func theWorkerSendsThePaymentEmailsAsReadableMessages(backend: TestBackend) async throws {
        try await withTestDatabase(backend) { db in
            let clock = ManualClock()
            let fixture = try await NotificationFixture.make(db, clock: clock.wallClock, logger: logger)
            try await settle(fixture, .paid(totalPaid: 500_000, source: .webhook), db: db, clock: clock.wallClock, notifications: notifications(db, clock: clock.wallClock))
            let folder = FileManager.default.temporaryDirectory.appendingPathComponent("gatehouse-payment-mail-\(UUID().uuidString)").path
            defer { try? FileManager.default.removeItem(atPath: folder) }
            let worker = OutboxWorker(
                database: db, transport: FileMailer(directory: folder, sender: try MailAddress("no-reply@gatehouse.test", displayName: "Gatehouse")),
                clock: clock.wallClock, logger: logger)
            #expect(try await worker.processDue().sent == 2)
            let files = try FileManager.default.contentsOfDirectory(atPath: folder)
            #expect(files.count == 2)
            for file in files {
                let raw = try String(contentsOfFile: "\(folder)/\(file)", encoding: .utf8)
                #expect(raw.contains("Subject: =?utf-8?B?"))
                #expect(raw.contains("Content-Type: text/plain; charset=utf-8"))
                #expect(raw.utf8.allSatisfy { $0 < 128 })
            }
        }
    }

    @Test(arguments: TestDatabases.backends)
    func theRenterTokenIsPutIntoTheLinkAtSendTimeAndNeverStored(backend: TestBackend) async throws {
        try await withTestDatabase(backend) { db in
            let clock = ManualClock()
            let fixture = try await paidWithReceiptLink(db, clock: clock)
            let folder = FileManager.default.temporaryDirectory.appendingPathComponent("gatehouse-link-mail-\(UUID().uuidString)").path
            defer { try? FileManager.default.removeItem(atPath: folder) }
            let token = "tok\(uniqueToken())"
            let worker = OutboxWorker(
                database: db, transport: FileMailer(directory: folder, sender: try MailAddress("no-reply@gatehouse.test")),
                clock: clock.wallClock, renterToken: { code in code == fixture.payment.paymentCode ? token : "wrong-payment" }, logger: logger)
            #expect(try await worker.processDue().sent == 2)

            let bodies = try FileManager.default.contentsOfDirectory(atPath: folder).map { try Self.decodedBody(of: "\(folder)/\($0)") }
            let link = "https://pay.example.vn/payment/success/\(fixture.payment.id.rawValue)?t=\(token)"
            #expect(bodies.filter { $0.contains(link) }.count == 1)  // the renter's, in both languages
            #expect(bodies.allSatisfy { !$0.contains(OutboxEmail.renterTokenPlaceholder) })
            // Nothing stored holds the token: not the row, not after sending.
            let stored = try await db.query("SELECT body FROM outbox", logger: logger).map { try $0.decode("body", as: String.self) }
            #expect(stored.count == 2 && stored.allSatisfy { !$0.contains(token) })
        }
    }

    @Test(arguments: TestDatabases.backends)
    func withoutRenterTokensTheLinkGoesOutWithoutAQuery(backend: TestBackend) async throws {
        try await withTestDatabase(backend) { db in
            let clock = ManualClock()
            let fixture = try await paidWithReceiptLink(db, clock: clock)
            let entry = try #require(try await NotificationOutbox(database: db).entries(logger: logger).first { $0.kind == "payment_success_renter" })
            let worker = OutboxWorker(database: db, transport: FileMailer(directory: "/nonexistent", sender: try MailAddress("a@b.vn")), logger: logger)
            let body = worker.renderedBody(entry)
            #expect(body.contains("https://pay.example.vn/payment/success/\(fixture.payment.id.rawValue)\n"))
            #expect(!body.contains("?t=") && !body.contains(OutboxEmail.renterTokenPlaceholder))
        }
    }

    /// The fixture's payment settled as paid, its renter e-mail carrying the receipt link.
    func paidWithReceiptLink(_ db: any SQLDatabase, clock: ManualClock) async throws -> NotificationFixture {
        let fixture = try await NotificationFixture.make(db, clock: clock.wallClock, logger: logger)
        try await settle(
            fixture, .paid(totalPaid: 500_000, source: .webhook), db: db, clock: clock.wallClock,
            notifications: notifications(db, clock: clock.wallClock, linksRenterToken: true))
        return fixture
    }

    /// The base64 text part of a message ``FileMailer`` wrote, decoded.
    static func decodedBody(of path: String) throws -> String {
        let raw = try String(contentsOfFile: path, encoding: .utf8)
        let body = try #require(raw.range(of: "\r\n\r\n")).upperBound
        let data = try #require(Data(base64Encoded: raw[body...].replacingOccurrences(of: "\r\n", with: "")))
        return String(decoding: data, as: UTF8.self).replacingOccurrences(of: "\r\n", with: "\n")
    }

    // MARK: Web notifications

    @Test(arguments: TestDatabases.backends)
    func aCheckReturnsUnreadNotificationsOnceThenHasNewIsFalse(backend: TestBackend) async throws {
        try await withTestDatabase(backend) { db in
            let clock = ManualClock()
            let fixture = try await NotificationFixture.make(db, clock: clock.wallClock, logger: logger)
            let web = WebNotifications(database: db, clock: clock.wallClock)
            try await db.withTransaction(logger: logger) { connection in
                for n in 1...3 {
                    try await web.insert(
                        NewWebNotification(
                            ownerID: fixture.owner.id, recipient: .renter(fixture.payment.id), paymentID: nil, kind: "note",
                            title: "Tin \(n)", message: "Thông báo \(n)"), on: connection)
                }
            }
            let first = try await web.check(recipient: .renter(fixture.payment.id), logger: logger)
            #expect(first.hasNew)
            #expect(first.notifications.map(\.title) == ["Tin 1", "Tin 2", "Tin 3"])
            #expect(first.notifications.allSatisfy { $0.createdAt == clock.now })
            let second = try await web.check(recipient: .renter(fixture.payment.id), logger: logger)
            #expect(!second.hasNew)
            #expect(second.notifications.isEmpty)
            #expect(try await count(db, "notification", where: "read_at IS NULL", logger: logger) == 0)

            // A new one after the check is the only news next time.
            try await db.withTransaction(logger: logger) { connection in
                try await web.insert(
                    NewWebNotification(
                        ownerID: fixture.owner.id, recipient: .renter(fixture.payment.id), paymentID: nil, kind: "note", title: "Tin 4",
                        message: nil), on: connection)
            }
            #expect(try await web.check(recipient: .renter(fixture.payment.id), logger: logger).notifications.map(\.title) == ["Tin 4"])
        }
    }

    @Test(arguments: TestDatabases.backends)
    func renterAndOwnerNotificationsNeverMixEvenWithEqualIDs(backend: TestBackend) async throws {
        try await withTestDatabase(backend) { db in
            let clock = ManualClock()
            let fixture = try await NotificationFixture.make(db, clock: clock.wallClock, logger: logger)
            // Fresh database: the first owner and the first payment both have id 1.
            try #require(fixture.owner.id.rawValue == fixture.payment.id.rawValue)
            let other = try await NotificationFixture.make(
                db, clock: clock.wallClock, ownerEmail: "other@example.vn", renterEmail: "other-renter@example.vn", orderCode: 987_654_321_098,
                logger: logger)
            try await settle(fixture, .paid(totalPaid: 500_000, source: .webhook), db: db, clock: clock.wallClock, notifications: notifications(db, clock: clock.wallClock))
            let web = WebNotifications(database: db, clock: clock.wallClock)

            // Nobody else sees (or consumes) them.
            #expect(try await web.check(recipient: .owner(other.owner.id), logger: logger).notifications.isEmpty)
            #expect(try await web.check(recipient: .renter(other.payment.id), logger: logger).notifications.isEmpty)
            // Each audience gets exactly its own.
            let owner = try await web.check(recipient: .owner(fixture.owner.id), logger: logger)
            #expect(owner.notifications.map(\.kind) == ["payment_received"])
            let renter = try await web.check(recipient: .renter(fixture.payment.id), logger: logger)
            #expect(renter.notifications.map(\.kind) == ["payment_success"])
        }
    }
}
