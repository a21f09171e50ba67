// Copyright (c) the Gatehouse authors
import Foundation
import Logging
import Sodium
import Storage
import StorageTestSupport
import Testing

@testable import Tenancy
import GatehouseCore
@testable import Payments

/// Owners, API keys, bookings and payments on both backends, with every cross-tenant access refused.
@Suite struct TenancyRepositoryTests {
    let logger = TestDatabases.logger
    let hasher = TokenHasher(pepper: SecureRandom.bytes(count: 32))

    func booking(amount: Int64 = 500_000, email: String = "renter@example.vn") -> NewBooking {
        NewBooking(
            roomTitle: "Phòng Deluxe 🌿", startTime: 1_705_327_200_000, endTime: 1_705_338_000_000, amount: amount,
            renterName: "Nguyễn Văn A", renterEmail: email, renterPhone: "0912 345 678")
    }

    func newPayment(owner: OwnerID, booking: Booking, orderCode: Int64, tokenHash: [UInt8]) -> NewPayment {
        NewPayment(
            ownerID: owner, bookingID: booking.id, renterID: booking.renterID, paymentCode: "PAY-\(orderCode)", orderCode: orderCode,
            amount: booking.amount, description: "GH \(orderCode)", renterTokenHash: tokenHash, expiresAt: 2_000_000_000_000,
            paymentLinkID: "3f2a9c1e5b7d4e8fa0b1c2d3e4f5a6b7", checkoutURL: "http://sandbox/web/x", qrCode: "000201",
            bankBIN: "970422", accountNumber: "VQRQ1", accountName: "CONG TY", customerName: "A", customerEmail: "a@example.vn",
            customerPhone: nil)
    }

    // MARK: Tests

    @Test(arguments: TestDatabases.backends)
    func ownerAPIKeyAuthenticatesOnlyItsOwnerAndNeverWhenRevoked(backend: TestBackend) async throws {
        try await withTestDatabase(backend) { db in
            let owners = OwnerRepository(database: db)
            let keys = APIKeyRepository(database: db, hasher: hasher)
            let alice = try await owners.create(name: "Alice", email: "alice@example.vn", logger: logger)
            let bob = try await owners.create(name: "Bob", email: "bob@example.vn", logger: logger)
            let aliceKey = try await keys.issue(owner: alice.id, logger: logger)
            let bobKey = try await keys.issue(owner: bob.id, logger: logger)

            #expect(try await keys.authenticate(aliceKey.secret, logger: logger) == alice.id)
            #expect(try await keys.authenticate(bobKey.secret, logger: logger) == bob.id)
            // A key with the right prefix but a different secret, a malformed key, and another owner's prefix with Alice's secret.
            let forged = "gh_\(aliceKey.prefix)_\(RandomToken.secret(bits: 256))"
            #expect(try await keys.authenticate(forged, logger: logger) == nil)
            #expect(try await keys.authenticate("not-a-key", logger: logger) == nil)
            let swapped = aliceKey.secret.replacingOccurrences(of: aliceKey.prefix, with: bobKey.prefix)
            #expect(try await keys.authenticate(swapped, logger: logger) == nil)

            #expect(try await keys.revoke(owner: bob.id, prefix: aliceKey.prefix, logger: logger) == false)
            #expect(try await keys.revoke(owner: alice.id, prefix: aliceKey.prefix, logger: logger))
            #expect(try await keys.authenticate(aliceKey.secret, logger: logger) == nil)
            #expect(!String(describing: aliceKey).contains(aliceKey.secret))

            // Only the keyed hash is stored.
            let stored = try await db.query("SELECT key_hash FROM owner_api_key", logger: logger)
            for row in stored {
                let hash: [UInt8] = try row.decode("key_hash")
                #expect(hash.count == 32)
                #expect(!String(decoding: hash, as: UTF8.self).contains(aliceKey.secret))
            }
            let listed = try await keys.list(owner: alice.id, logger: logger)
            #expect(listed.map(\.prefix) == [aliceKey.prefix])
            #expect(listed.first?.revokedAt != nil)
        }
    }

    @Test(arguments: TestDatabases.backends)
    func expiredKeysStopWorking(backend: TestBackend) async throws {
        try await withTestDatabase(backend) { db in
            let owner = try await OwnerRepository(database: db).create(name: "Chi", email: "chi@example.vn", logger: logger)
            let now = WallClock.system.now()
            let keys = APIKeyRepository(database: db, hasher: hasher)
            let expired = try await keys.issue(owner: owner.id, expiresAt: now - 1, logger: logger)
            let live = try await keys.issue(owner: owner.id, expiresAt: now + 60_000, logger: logger)
            #expect(try await keys.authenticate(expired.secret, logger: logger) == nil)
            #expect(try await keys.authenticate(live.secret, logger: logger) == owner.id)
        }
    }

    @Test(arguments: TestDatabases.backends)
    func bookingsAndPaymentsAreInvisibleToOtherOwners(backend: TestBackend) async throws {
        try await withTestDatabase(backend) { db in
            let owners = OwnerRepository(database: db)
            let alice = try await owners.create(name: "Alice", email: "alice@example.vn", logger: logger)
            let bob = try await owners.create(name: "Bob", email: "bob@example.vn", logger: logger)
            let bookings = BookingRepository(database: db)
            let (aliceBooking, renter) = try await bookings.create(owner: alice.id, booking(), logger: logger)
            #expect(renter.name == "Nguyễn Văn A")
            #expect(try await bookings.get(owner: alice.id, id: aliceBooking.id, logger: logger) == aliceBooking)
            #expect(try await bookings.get(owner: bob.id, id: aliceBooking.id, logger: logger) == nil)
            #expect(try await bookings.renter(owner: bob.id, id: renter.id, logger: logger) == nil)

            let payments = PaymentRepository(database: db)
            let payment = try await db.withTransaction(logger: logger) { connection in
                try await payments.insert(newPayment(owner: alice.id, booking: aliceBooking, orderCode: 123_456_789, tokenHash: [1, 2, 3]), on: connection)
            }
            #expect(try await payments.get(owner: alice.id, id: payment.id, logger: logger)?.orderCode == 123_456_789)
            #expect(try await payments.get(owner: bob.id, id: payment.id, logger: logger) == nil)
            #expect(try await payments.list(owner: bob.id, logger: logger).isEmpty)
            #expect(try await payments.list(owner: alice.id, logger: logger).map(\.id) == [payment.id])
        }
    }

    @Test(arguments: TestDatabases.backends)
    func aSecondBookingForTheSameEmailReusesTheRenter(backend: TestBackend) async throws {
        try await withTestDatabase(backend) { db in
            let owner = try await OwnerRepository(database: db).create(name: "Dung", email: "dung@example.vn", logger: logger)
            let bookings = BookingRepository(database: db)
            let (_, first) = try await bookings.create(owner: owner.id, booking(), logger: logger)
            let (_, second) = try await bookings.create(owner: owner.id, booking(amount: 700_000), logger: logger)
            #expect(first.id == second.id)
        }
    }

    @Test(arguments: TestDatabases.backends)
    func invalidBookingsAreRefusedWithTheFieldNamed(backend: TestBackend) async throws {
        try await withTestDatabase(backend) { db in
            let owner = try await OwnerRepository(database: db).create(name: "Em", email: "em@example.vn", logger: logger)
            let bookings = BookingRepository(database: db)
            var bad = booking(amount: 0)
            await #expect(throws: TenancyError.validation("amount must be a positive integer number of VND (at most 10,000,000,000)")) {
                try await bookings.create(owner: owner.id, bad, logger: logger)
            }
            bad = booking(email: "no-at-sign")
            await #expect(throws: TenancyError.validation("renter_email is not a valid address")) {
                try await bookings.create(owner: owner.id, bad, logger: logger)
            }
            #expect(try await db.query("SELECT id FROM booking", logger: logger).isEmpty)
        }
    }

    @Test(arguments: TestDatabases.backends)
    func paidWebhookSettlesOnceAndConfirmsTheBooking(backend: TestBackend) async throws {
        try await withTestDatabase(backend) { db in
            let owner = try await OwnerRepository(database: db).create(name: "Giang", email: "giang@example.vn", logger: logger)
            let (booking, _) = try await BookingRepository(database: db).create(owner: owner.id, booking(), logger: logger)
            let payments = PaymentRepository(database: db)
            let payment = try await db.withTransaction(logger: logger) {
                try await payments.insert(newPayment(owner: owner.id, booking: booking, orderCode: 42, tokenHash: [9]), on: $0)
            }
            let partial = try await db.withTransaction(logger: logger) {
                try await payments.apply(.paid(totalPaid: 100_000, source: .webhook), to: payment.id, on: $0)
            }
            #expect(partial?.underpaid == true)
            #expect(try await payments.get(payment.id, logger: logger)?.status == .pending)

            let change = try await db.withTransaction(logger: logger) {
                try await payments.apply(.paid(totalPaid: 500_000, source: .webhook), to: payment.id, reference: "FT1", on: $0)
            }
            #expect(change?.to == .success)
            let again = try await db.withTransaction(logger: logger) {
                try await payments.apply(.paid(totalPaid: 500_000, source: .webhook), to: payment.id, on: $0)
            }
            #expect(again == nil)
            let lateCancel = try await db.withTransaction(logger: logger) {
                try await payments.apply(.cancelled(source: .webhook), to: payment.id, on: $0)
            }
            #expect(lateCancel == nil)
            let stored = try #require(try await payments.get(payment.id, logger: logger))
            #expect(stored.status == .success)
            #expect(stored.settledBy == .webhook)
            #expect(stored.transactionReference == "FT1")
            #expect(stored.underpaid == false)
            let confirmed = try #require(try await BookingRepository(database: db).get(owner: owner.id, id: booking.id, logger: logger))
            #expect(confirmed.status == .confirmed)
            #expect(confirmed.paymentStatus == .paid)
        }
    }
}
