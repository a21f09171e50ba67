// Copyright (c) the Gatehouse authors
import Foundation
import Logging
import Mailer
import Storage
import StorageTestSupport
import Synchronization
import Testing

#if canImport(Glibc)
import Glibc
#endif

@testable import Tenancy
import GatehouseCore
@testable import Payments
@testable import Notifications

/// A wall clock the test moves by hand (past a lease, past a backoff), shared by everything built from it.
final class ManualClock: Sendable {
    private let millis: Mutex<Int64>

    init(_ start: Int64 = 1_705_329_000_000) { millis = Mutex(start) }  // 15/01/2024 14:30 UTC = 21:30 in Vietnam

    var now: Int64 { millis.withLock { $0 } }
    var wallClock: WallClock { WallClock { self.now } }

    func advance(by duration: Duration) {
        millis.withLock { $0 += duration.wholeMilliseconds }
    }
}

/// The SMTP sink from `scripts/smtp-test-server` (see MailerTests for the rules: skipped when unset, failing on CI).
enum NotificationsSMTPSink {
    static var url: String? { ProcessInfo.processInfo.environment["GATEHOUSE_TEST_SMTP_URL"].flatMap { $0.isEmpty ? nil : $0 } }
    static var maildir: String? { ProcessInfo.processInfo.environment["GATEHOUSE_TEST_SMTP_MAILDIR"].flatMap { $0.isEmpty ? nil : $0 } }
    static var enabled: Bool { (url != nil && maildir != nil) || TestDatabases.isCI }
    static let skipReason: Comment = """
        GATEHOUSE_TEST_SMTP_URL / GATEHOUSE_TEST_SMTP_MAILDIR are not set: SMTP delivery tests skipped. \
        Start the sink with `scripts/smtp-test-server start /tmp/gh-smtp` and export the variables in /tmp/gh-smtp/env.
        """

    struct NotConfigured: Error, CustomStringConvertible {
        var description: String {
            "GATEHOUSE_TEST_SMTP_URL and GATEHOUSE_TEST_SMTP_MAILDIR must be set on CI (scripts/smtp-test-server start DIR)"
        }
    }

    static func mailer() throws -> SMTPMailer {
        guard let url else { throw NotConfigured() }
        return SMTPMailer(configuration: try MailerConfiguration(url: url, from: try MailAddress("no-reply@gatehouse.test")))
    }

    /// Envelope recipients of every message in the sink sent to an address containing `token`, one entry per message.
    static func deliveries(to token: String) throws -> [[String]] {
        guard let maildir else { throw NotConfigured() }
        var found: [[String]] = []
        for name in try FileManager.default.contentsOfDirectory(atPath: maildir) where name.hasSuffix(".eml") {
            let envelope = try Data(contentsOf: URL(fileURLWithPath: "\(maildir)/\(name.dropLast(4)).json"))
            guard let object = try JSONSerialization.jsonObject(with: envelope) as? [String: Any],
                let recipients = object["rcpt_tos"] as? [String], recipients.contains(where: { $0.contains(token) })
            else { continue }
            found.append(recipients)
        }
        return found
    }
}

extension Trait where Self == ConditionTrait {
    static var smtpSinkAvailable: Self { .enabled(if: NotificationsSMTPSink.enabled, NotificationsSMTPSink.skipReason) }
}

/// An owner with a booking and a pending payment, the way the payment service stores them.
struct NotificationFixture {
    let owner: Owner
    let booking: Booking
    let renter: Renter
    let payment: Payment

    static func make(
        _ db: any SQLDatabase, clock: WallClock, ownerEmail: String = "owner@example.vn", renterEmail: String = "renter@example.vn",
        orderCode: Int64 = 123_456_789_012, logger: Logger
    ) async throws -> NotificationFixture {
        let owner = try await OwnerRepository(database: db, clock: clock).create(name: "Nhà nghỉ Hoa Sen", email: ownerEmail, logger: logger)
        let (booking, renter) = try await BookingRepository(database: db, clock: clock).create(
            owner: owner.id,
            NewBooking(
                roomTitle: "Phòng Deluxe 🌿", startTime: 1_705_327_200_000, endTime: 1_705_338_000_000, amount: 500_000,
                renterName: "Nguyễn Văn Ánh", renterEmail: renterEmail, renterPhone: "0912 345 678"),
            logger: logger)
        let payment = try await db.withTransaction(logger: logger) { connection in
            try await PaymentRepository(database: db, clock: clock).insert(
                NewPayment(
                    ownerID: owner.id, bookingID: booking.id, renterID: renter.id, paymentCode: "PAY-\(orderCode)", orderCode: orderCode,
                    amount: booking.amount, description: "Dat phong \(booking.id)", renterTokenHash: [1, 2, 3], expiresAt: 2_000_000_000_000,
                    paymentLinkID: "link", checkoutURL: "https://pay.payos.vn/web/link", qrCode: "000201", bankBIN: "970422",
                    accountNumber: "VQRQ1", accountName: "NHA NGHI HOA SEN", customerName: renter.name, customerEmail: renter.email,
                    customerPhone: renter.phone),
                on: connection)
        }
        return NotificationFixture(owner: owner, booking: booking, renter: renter, payment: payment)
    }
}

/// Counts rows of a table with a condition chosen by the test (code-chosen text only).
func count(_ db: any SQLDatabase, _ table: String, where condition: String = "1 = 1", logger: Logger) async throws -> Int {
    let rows = try await db.query(SQLQuery(unsafeSQL: "SELECT COUNT(*) AS n FROM \(table) WHERE \(condition)"), logger: logger)
    return try rows.first?.decode("n", as: Int.self) ?? 0
}

func uniqueToken() -> String { UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(12).lowercased() }

/// A loopback TCP port nothing listens on: bound to find a free number, then closed.
func closedLoopbackPort() throws -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw POSIXError(.EIO) }
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
    let named = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
    guard bound == 0, named == 0 else { throw POSIXError(.EADDRINUSE) }
    return Int(UInt16(bigEndian: address.sin_port))
}
