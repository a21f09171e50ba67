// Copyright (c) the Gatehouse authors
import Foundation
public import Logging
public import Storage
public import GatehouseCore
import Tenancy

/// What an owner sends to create a booking.
public struct NewBooking: Sendable, Hashable {
    public var roomTitle: String
    public var startTime: Int64
    public var endTime: Int64
    public var amount: Int64
    public var renterName: String
    public var renterEmail: String
    public var renterPhone: String?

    public init(
        roomTitle: String, startTime: Int64, endTime: Int64, amount: Int64, renterName: String, renterEmail: String,
        renterPhone: String?
    ) {
        self.roomTitle = roomTitle
        self.startTime = startTime
        self.endTime = endTime
        self.amount = amount
        self.renterName = renterName
        self.renterEmail = renterEmail
        self.renterPhone = renterPhone
    }

    /// The text fields, each limited to its column's length in code points (`booking.room_title`, `renter.name`,
    /// `renter.email`, `renter.phone`; the payment copies the renter's into `customer_*` columns of the same lengths).
    public static let roomTitle = TextField("room_title", maximum: 200)
    public static let renterName = TextField("renter_name", maximum: 100)
    public static let renterEmailLength = 120
    public static let renterPhoneLength = 20

    /// Checks every field, naming the first one that is wrong.
    public func validated() throws(TenancyError) -> NewBooking {
        var copy = self
        copy.roomTitle = try Self.roomTitle.validated(roomTitle)
        guard endTime > startTime else { throw .validation("end_time must be after start_time") }
        guard amount > 0, amount <= 10_000_000_000 else { throw .validation("amount must be a positive integer number of VND (at most 10,000,000,000)") }
        copy.renterName = try Self.renterName.validated(renterName)
        copy.renterEmail = try Validation.email(renterEmail, field: "renter_email", maximum: Self.renterEmailLength)
        copy.renterPhone = try Validation.phone(renterPhone, field: "renter_phone", maximum: Self.renterPhoneLength)
        return copy
    }
}

/// Bookings and their renters, always scoped to one owner.
public struct BookingRepository: SQLRepository {
    public let storage: RepositoryStorage

    public init(storage: RepositoryStorage) {
        self.storage = storage
    }

    /// Creates the booking (and its renter, reusing one with the same email for this owner) in one transaction.
    public func create(owner: OwnerID, _ input: NewBooking, logger: Logger) async throws -> (Booking, Renter) {
        let booking = try input.validated()
        let now = clock.now()
        return try await database.withTransaction(logger: logger) { connection in
            let renter: Renter
            if let row = try await connection.query(
                "SELECT id, name, email, phone, created_at FROM renter WHERE owner_id = \(owner) AND email = \(booking.renterEmail) ORDER BY id LIMIT 1"
            ).first {
                let storedPhone: String? = try row.decodeIfPresent("phone")
                renter = Renter(
                    id: try row.decode("id"), ownerID: owner, name: booking.renterName, email: booking.renterEmail,
                    phone: booking.renterPhone ?? storedPhone, createdAt: try row.decode("created_at"))
                try await connection.execute(
                    "UPDATE renter SET name = \(renter.name), phone = \(renter.phone) WHERE id = \(renter.id) AND owner_id = \(owner)")
            } else {
                let inserted = try await connection.execute(
                    """
                    INSERT INTO renter (owner_id, name, email, phone, created_at)
                    VALUES (\(owner), \(booking.renterName), \(booking.renterEmail), \(booking.renterPhone), \(now))
                    """)
                renter = Renter(
                    id: RenterID(try Self.requireID(inserted)), ownerID: owner, name: booking.renterName, email: booking.renterEmail,
                    phone: booking.renterPhone, createdAt: now)
            }
            let inserted = try await connection.execute(
                """
                INSERT INTO booking (owner_id, renter_id, room_title, start_time, end_time, amount, status, payment_status, created_at, updated_at)
                VALUES (\(owner), \(renter.id), \(booking.roomTitle), \(booking.startTime), \(booking.endTime), \(booking.amount),
                        'pending', 'unpaid', \(now), \(now))
                """)
            let created = Booking(
                id: BookingID(try Self.requireID(inserted)), ownerID: owner, renterID: renter.id, roomTitle: booking.roomTitle,
                startTime: booking.startTime, endTime: booking.endTime, amount: booking.amount, status: .pending,
                paymentStatus: .unpaid, createdAt: now, updatedAt: now)
            return (created, renter)
        }
    }

    /// The owner's booking with this id; `nil` when it does not exist *or belongs to another owner*.
    public func get(owner: OwnerID, id: BookingID, logger: Logger) async throws -> Booking? {
        try await database.withConnection(logger: logger) { try await get(owner: owner, id: id, on: $0) }
    }

    /// As ``get(owner:id:logger:)``, on the caller's connection.
    public func get(owner: OwnerID, id: BookingID, on connection: any SQLConnection) async throws -> Booking? {
        try await connection.query("SELECT \(unescaped: Self.columns) FROM booking WHERE id = \(id) AND owner_id = \(owner)")
            .first.map(Self.decode)
    }

    /// The renter of a booking, scoped to the owner.
    public func renter(owner: OwnerID, id: RenterID, logger: Logger) async throws -> Renter? {
        try await database.withConnection(logger: logger) { try await renter(owner: owner, id: id, on: $0) }
    }

    /// As ``renter(owner:id:logger:)``, on the caller's connection (inside its transaction).
    public func renter(owner: OwnerID, id: RenterID, on connection: any SQLConnection) async throws -> Renter? {
        try await connection.query(
            "SELECT \(unescaped: Self.renterColumns) FROM renter WHERE id = \(id) AND owner_id = \(owner)"
        ).first.map(Self.decodeRenter)
    }

    static let renterColumns = "id, owner_id, name, email, phone, created_at"

    static func decodeRenter(_ row: SQLRow) throws -> Renter {
        Renter(
            id: try row.decode("id"), ownerID: try row.decode("owner_id"), name: try row.decode("name"),
            email: try row.decode("email"), phone: try row.decodeIfPresent("phone"), createdAt: try row.decode("created_at"))
    }

    /// Claims the right to create the booking's payment link until `until` (Unix ms), for one request on any
    /// instance: only one claim is live at a time, and a claim whose holder died lapses at `until`.
    /// Returns whether `claimID` got it.
    public func claimLink(owner: OwnerID, booking: BookingID, claimID: String, until: Int64, logger: Logger) async throws -> Bool {
        let now = clock.now()
        return try await database.execute(
            """
            UPDATE booking SET link_claim_id = \(claimID), link_claim_until = \(until)
            WHERE id = \(booking) AND owner_id = \(owner) AND (link_claim_until IS NULL OR link_claim_until < \(now))
            """, logger: logger
        ).affectedRows == 1
    }

    /// Gives a claim back (only the holder's own: a lapsed claim taken over by another request stays theirs).
    public func releaseLink(owner: OwnerID, booking: BookingID, claimID: String, logger: Logger) async throws {
        try await database.execute(
            """
            UPDATE booking SET link_claim_id = NULL, link_claim_until = NULL
            WHERE id = \(booking) AND owner_id = \(owner) AND link_claim_id = \(claimID)
            """, logger: logger)
    }

    static let columns = "id, owner_id, renter_id, room_title, start_time, end_time, amount, status, payment_status, created_at, updated_at"

    static func decode(_ row: SQLRow) throws -> Booking {
        Booking(
            id: try row.decode("id"), ownerID: try row.decode("owner_id"), renterID: try row.decode("renter_id"),
            roomTitle: try row.decode("room_title"), startTime: try row.decode("start_time"), endTime: try row.decode("end_time"),
            amount: try row.decode("amount"),
            status: Booking.Status(rawValue: try row.decode("status")) ?? .pending,
            paymentStatus: Booking.PaymentStatus(rawValue: try row.decode("payment_status")) ?? .unpaid,
            createdAt: try row.decode("created_at"), updatedAt: try row.decode("updated_at"))
    }

    static func requireID(_ result: SQLExecution) throws -> Int64 {
        guard let id = result.lastInsertID else { throw StorageError(code: .statementFailed, detail: "no generated id") }
        return id
    }
}
