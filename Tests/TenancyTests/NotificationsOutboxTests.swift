// Copyright (c) the Gatehouse authors
import Foundation
import Logging
import Mailer
import Storage
import StorageTestSupport
import Testing

@testable import Tenancy
import GatehouseCore
@testable import Notifications

/// The e-mail outbox and its worker on both backends: deduplicated, transactional, delivered once, retried with
/// backoff until dead, revived by resend, safe with several workers and with a worker that dies mid-send.
@Suite struct NotificationsOutboxTests {
    let logger = TestDatabases.logger

    func email(owner: OwnerID, to recipient: String, key: String, subject: String = "Đã nhận thanh toán") -> OutboxEmail {
        OutboxEmail(ownerID: owner, kind: "test", recipient: recipient, subject: subject, body: "Xin chào\nHello", dedupeKey: key)
    }

    func owner(_ db: any SQLDatabase, clock: WallClock) async throws -> OwnerID {
        try await OwnerRepository(database: db, clock: clock).create(name: "Hoa Sen", email: "owner@example.vn", logger: logger).id
    }

    /// A folder for `FileMailer`, removed by the caller.
    func temporaryFolder() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("gatehouse-outbox-\(UUID().uuidString)").path
    }

    // MARK: Enqueue

    @Test(arguments: TestDatabases.backends)
    func theSameLogicalEmailIsEnqueuedAtMostOnce(backend: TestBackend) async throws {
        try await withTestDatabase(backend) { db in
            let clock = ManualClock()
            let outbox = NotificationOutbox(database: db, clock: clock.wallClock)
            let owner = try await owner(db, clock: clock.wallClock)
            let first = try await db.withTransaction(logger: logger) { connection in
                try await outbox.enqueue(email(owner: owner, to: "a@example.vn", key: "payment:1:renter:success"), on: connection)
            }
            // A duplicate inside a transaction fails only its own statement: the transaction goes on and commits its other work.
            let (second, third) = try await db.withTransaction(logger: logger) { connection in
                let second = try await outbox.enqueue(email(owner: owner, to: "a@example.vn", key: "payment:1:renter:success"), on: connection)
                let third = try await outbox.enqueue(email(owner: owner, to: "b@example.vn", key: "payment:1:owner:success"), on: connection)
                return (second, third)
            }
            #expect(first)
            #expect(!second)
            #expect(third)
            let entries = try await outbox.entries(logger: logger)
            #expect(entries.map(\.dedupeKey).sorted() == ["payment:1:owner:success", "payment:1:renter:success"])
            #expect(entries.allSatisfy { $0.status == .pending && $0.attempts == 0 && $0.nextAttemptAt == clock.now })
        }
    }

    @Test(arguments: TestDatabases.backends)
    func anEnqueuedEmailRollsBackWithItsTransaction(backend: TestBackend) async throws {
        try await withTestDatabase(backend) { db in
            let clock = ManualClock()
            let outbox = NotificationOutbox(database: db, clock: clock.wallClock)
            let owner = try await owner(db, clock: clock.wallClock)
            struct Abort: Error {}
            await #expect(throws: Abort.self) {
                try await db.withTransaction(logger: logger) { connection in
                    try await outbox.enqueue(email(owner: owner, to: "a@example.vn", key: "k1"), on: connection)
                    throw Abort()
                }
            }
            #expect(try await count(db, "outbox", logger: logger) == 0)
        }
    }

    @Test(arguments: TestDatabases.backends)
    func unusableEmailsAreRefusedBeforeAnythingIsStored(backend: TestBackend) async throws {
        try await withTestDatabase(backend) { db in
            let clock = ManualClock()
            let outbox = NotificationOutbox(database: db, clock: clock.wallClock)
            let owner = try await owner(db, clock: clock.wallClock)
            let bad = [
                email(owner: owner, to: "not-an-address", key: "k1"),
                email(owner: owner, to: "a@example.vn\r\nBcc: b@example.vn", key: "k2"),
                email(owner: owner, to: "a@example.vn", key: "k3", subject: "Line one\nBcc: b@example.vn"),
                email(owner: owner, to: "a@example.vn", key: String(repeating: "k", count: 129)),
            ]
            for email in bad {
                let error = await #expect(throws: TenancyError.self) {
                    try await db.withTransaction(logger: logger) { try await outbox.enqueue(email, on: $0) }
                }
                #expect(error?.code == .validation)
            }
            #expect(try await count(db, "outbox", logger: logger) == 0)
        }
    }

    // MARK: Delivery

    @Test(.smtpSinkAvailable, arguments: TestDatabases.backends)
    func theWorkerDeliversEachRowToTheSMTPServerExactlyOnce(backend: TestBackend) async throws {
        let mailer = try NotificationsSMTPSink.mailer()
        try await withTestDatabase(backend) { db in
            let clock = ManualClock()
            let outbox = NotificationOutbox(database: db, clock: clock.wallClock)
            let owner = try await owner(db, clock: clock.wallClock)
            let token = uniqueToken()
            try await db.withTransaction(logger: logger) { connection in
                for n in 1...3 {
                    try await outbox.enqueue(email(owner: owner, to: "r\(n)+\(token)@example.test", key: "\(token):\(n)"), on: connection)
                }
            }
            let worker = OutboxWorker(database: db, transport: mailer, clock: clock.wallClock, logger: logger)
            let first = try await worker.processDue()
            #expect(first.sent == 3)
            clock.advance(by: .seconds(86_400))  // far past any lease: sent rows must still never go again
            let second = try await worker.processDue()
            #expect(second == OutboxWorker.PassSummary())

            let deliveries = try NotificationsSMTPSink.deliveries(to: token)
            #expect(deliveries.count == 3)
            #expect(Set(deliveries.flatMap { $0 }) == Set((1...3).map { "r\($0)+\(token)@example.test" }))
            let entries = try await outbox.entries(logger: logger)
            #expect(entries.allSatisfy { $0.status == .sent && $0.attempts == 1 && $0.sentAt != nil && $0.lastError == nil })
        }
    }

    @Test(arguments: TestDatabases.backends)
    func aFailingTransportBacksOffThenGivesUpAndResendBringsTheRowBack(backend: TestBackend) async throws {
        try await withTestDatabase(backend) { db in
            let clock = ManualClock()
            let outbox = NotificationOutbox(database: db, clock: clock.wallClock)
            let owner = try await owner(db, clock: clock.wallClock)
            try await db.withTransaction(logger: logger) { try await outbox.enqueue(email(owner: owner, to: "a@example.vn", key: "k"), on: $0) }
            // A real SMTP client pointed at a port nobody listens on.
            let closedPort = try closedLoopbackPort()
            let transport = SMTPMailer(
                configuration: try MailerConfiguration(url: "smtp://127.0.0.1:\(closedPort)", from: try MailAddress("no-reply@gatehouse.test")))
            let worker = OutboxWorker(
                database: db, transport: transport, clock: clock.wallClock,
                configuration: .init(maxAttempts: 3, baseBackoff: .seconds(1), maxBackoff: .seconds(3)), logger: logger)

            // Attempt 1 fails: retried after 0.5…1 s (1 s with jitter in its upper half).
            var attemptStart = clock.now
            #expect(try await worker.processDue().retried == 1)
            var row = try #require(try await outbox.entries(logger: logger).first)
            #expect(row.status == .pending && row.attempts == 1 && row.lastError == "MailerError(connectionFailed)")
            #expect((attemptStart + 500...attemptStart + 1000).contains(row.nextAttemptAt))
            // Not due yet: nothing happens.
            #expect(try await worker.processDue() == OutboxWorker.PassSummary())

            // Attempt 2 fails: the wait doubles (1…2 s).
            clock.advance(by: .seconds(1))
            attemptStart = clock.now
            #expect(try await worker.processDue().retried == 1)
            row = try #require(try await outbox.entries(logger: logger).first)
            #expect(row.attempts == 2)
            #expect((attemptStart + 1000...attemptStart + 2000).contains(row.nextAttemptAt))

            // Attempt 3 is the last: dead.
            clock.advance(by: .seconds(2))
            #expect(try await worker.processDue().dead == 1)
            row = try #require(try await outbox.entries(logger: logger).first)
            #expect(row.status == .dead && row.attempts == 3 && row.lastError == "MailerError(connectionFailed)")
            clock.advance(by: .seconds(3600))
            #expect(try await worker.processDue() == OutboxWorker.PassSummary())

            // An admin resends it: pending again, due now, attempts reset; only a dead row can be resent.
            #expect(try await worker.resend(id: row.id))
            #expect(try await !outbox.resend(id: row.id, logger: logger))
            #expect(try await !outbox.resend(id: 999_999, logger: logger))
            row = try #require(try await outbox.entry(id: row.id, logger: logger))
            #expect(row.status == .pending && row.attempts == 0 && row.lastError == nil && row.nextAttemptAt == clock.now)
            #expect(try await worker.processDue().retried == 1)
        }
    }

    @Test(arguments: TestDatabases.backends)
    func aPermanentRefusalIsDeadAtOnce(backend: TestBackend) async throws {
        try await withTestDatabase(backend) { db in
            let clock = ManualClock()
            let outbox = NotificationOutbox(database: db, clock: clock.wallClock)
            let owner = try await owner(db, clock: clock.wallClock)
            // Stored before an address rule tightened: the worker cannot build a message for it.
            try await db.execute(
                """
                INSERT INTO outbox (owner_id, kind, recipient, subject, body, dedupe_key, status, attempts, next_attempt_at, created_at)
                VALUES (\(owner), 'test', 'bad address@example.vn', 's', 'b', 'k', 'pending', 0, \(clock.now), \(clock.now))
                """, logger: logger)
            let folder = temporaryFolder()
            defer { try? FileManager.default.removeItem(atPath: folder) }
            let worker = OutboxWorker(
                database: db, transport: FileMailer(directory: folder, sender: try MailAddress("no-reply@gatehouse.test")),
                clock: clock.wallClock, logger: logger)
            #expect(try await worker.processDue().dead == 1)
            let row = try #require(try await outbox.entries(logger: logger).first)
            #expect(row.status == .dead && row.attempts == 1 && row.lastError == "MailerError(invalidAddress)")
        }
    }

    @Test(.smtpSinkAvailable, arguments: TestDatabases.backends)
    func twoWorkersOnOneDatabaseNeverSendTheSameRowTwice(backend: TestBackend) async throws {
        let mailer = try NotificationsSMTPSink.mailer()
        try await withTestDatabase(backend, options: TestDatabaseOptions(maxConnections: 4)) { db in
            let clock = ManualClock()
            let outbox = NotificationOutbox(database: db, clock: clock.wallClock)
            let owner = try await owner(db, clock: clock.wallClock)
            let token = uniqueToken()
            let total = 16
            try await db.withTransaction(logger: logger) { connection in
                for n in 1...total {
                    try await outbox.enqueue(email(owner: owner, to: "r\(n)+\(token)@example.test", key: "\(token):\(n)"), on: connection)
                }
            }
            // Small batches, so the two workers keep reading the same candidates and race for every claim.
            let configuration = OutboxWorker.Configuration(batchSize: 4)
            let a = OutboxWorker(database: db, transport: mailer, clock: clock.wallClock, configuration: configuration, logger: logger)
            let b = OutboxWorker(database: db, transport: mailer, clock: clock.wallClock, configuration: configuration, logger: logger)
            async let first = a.processDue()
            async let second = b.processDue()
            let (x, y) = try await (first, second)
            #expect(x.sent + y.sent == total)
            #expect(x.dead + y.dead + x.retried + y.retried == 0)

            let deliveries = try NotificationsSMTPSink.deliveries(to: token)
            #expect(deliveries.count == total)
            let addresses = deliveries.flatMap { $0 }
            #expect(Set(addresses).count == total)
            #expect(try await count(db, "outbox", where: "status = 'sent' AND attempts = 1", logger: logger) == total)
        }
    }

    @Test(arguments: TestDatabases.backends)
    func aWorkerThatDiesAfterClaimingLeavesTheRowToBeSentAfterTheLease(backend: TestBackend) async throws {
        try await withTestDatabase(backend) { db in
            let clock = ManualClock()
            let outbox = NotificationOutbox(database: db, clock: clock.wallClock)
            let owner = try await owner(db, clock: clock.wallClock)
            try await db.withTransaction(logger: logger) { try await outbox.enqueue(email(owner: owner, to: "a@example.vn", key: "k"), on: $0) }
            let folder = temporaryFolder()
            defer { try? FileManager.default.removeItem(atPath: folder) }
            let worker = OutboxWorker(
                database: db, transport: FileMailer(directory: folder, sender: try MailAddress("no-reply@gatehouse.test")),
                clock: clock.wallClock, configuration: .init(lease: .seconds(300)), logger: logger)

            // The "crashed" worker claims the row and never sends it.
            let due = try await worker.dueRows(at: clock.now, afterID: 0)
            let row = try #require(due.first)
            let claim = try #require(try await worker.claim(row))
            #expect(claim.leaseUntil == clock.now + 300_000)
            // A second claim of the same read loses: the row is leased.
            #expect(try await worker.claim(row) == nil)

            // While the lease runs, nobody sends it.
            clock.advance(by: .seconds(299))
            #expect(try await worker.processDue() == OutboxWorker.PassSummary())
            #expect(!FileManager.default.fileExists(atPath: folder))

            // Once it has passed, the row is claimed again and sent — once.
            clock.advance(by: .seconds(1))
            #expect(try await worker.processDue().sent == 1)
            #expect(try FileManager.default.contentsOfDirectory(atPath: folder).count == 1)
            let sent = try #require(try await outbox.entries(logger: logger).first)
            #expect(sent.status == .sent && sent.attempts == 2)
            clock.advance(by: .seconds(3600))
            #expect(try await worker.processDue() == OutboxWorker.PassSummary())
        }
    }

    @Test func backoffDoublesWithinItsCapAndJittersInTheUpperHalf() {
        let configuration = OutboxWorker.Configuration(baseBackoff: .seconds(30), maxBackoff: .seconds(7200))
        for (attempt, full) in [(1, 30_000), (2, 60_000), (3, 120_000), (8, 3_840_000), (9, 7_200_000), (60, 7_200_000)] as [(Int, Int64)] {
            for _ in 0..<20 {
                #expect((full / 2...full).contains(OutboxWorker.backoff(afterAttempt: attempt, configuration: configuration)))
            }
        }
    }
}
