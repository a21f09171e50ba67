// Copyright (c) the Gatehouse authors
public import Hummingbird
import Logging
import Tenancy
import GatehouseCore
public import Payments
public import GatehouseHTTP

/// `POST /api/bookings` and `GET /api/bookings/{id}`: an owner's bookings (owner API key).
public struct BookingController: Sendable {
    let bookings: BookingRepository

    public init(bookings: BookingRepository) {
        self.bookings = bookings
    }

    /// Routes; mount in the ``OwnerRequestContext`` group behind ``OwnerAuthenticator``.
    public var endpoints: RouteCollection<OwnerRequestContext> {
        let routes = RouteCollection(context: OwnerRequestContext.self)
        routes.post("/api/bookings", use: create)
        routes.get("/api/bookings/{id}", use: get)
        return routes
    }

    struct CreateRequest: Decodable {
        let room_title: String
        let start_time: String
        let end_time: String
        let amount: WholeVND
        let renter_name: String
        let renter_email: String
        let renter_phone: String?
    }

    /// The booking as the API shows it.
    struct BookingBody: Encodable, Sendable {
        let id: Int64
        let room_title: String
        let start_time: String
        let end_time: String
        let amount: Int64
        let currency = "VND"
        let status: String
        let payment_status: String
        let renter: RenterBody?
        let created_at: String

        init(_ booking: Booking, renter: Renter?) {
            self.id = booking.id.rawValue
            self.room_title = booking.roomTitle
            self.start_time = APITime.format(booking.startTime)
            self.end_time = APITime.format(booking.endTime)
            self.amount = booking.amount
            self.status = booking.status.rawValue
            self.payment_status = booking.paymentStatus.rawValue
            self.renter = renter.map(RenterBody.init)
            self.created_at = APITime.format(booking.createdAt)
        }
    }

    struct RenterBody: Encodable, Sendable {
        let name: String
        let email: String
        let phone: String?
        init(_ renter: Renter) {
            self.name = renter.name
            self.email = renter.email
            self.phone = renter.phone
        }
    }

    @Sendable func create(request: Request, context: OwnerRequestContext) async throws -> JSONResponse<BookingBody> {
        let owner = context.ownerID
        let body = try await request.decodeJSON(as: CreateRequest.self, context: context)
        guard let start = APITime.parse(body.start_time) else {
            throw APIError.validation("start_time must be an ISO-8601 date-time with an offset, e.g. 2024-01-15T14:00:00Z")
        }
        guard let end = APITime.parse(body.end_time) else {
            throw APIError.validation("end_time must be an ISO-8601 date-time with an offset, e.g. 2024-01-15T17:00:00Z")
        }
        let (booking, renter) = try await bookings.create(
            owner: owner,
            NewBooking(
                roomTitle: body.room_title, startTime: start, endTime: end, amount: body.amount.value, renterName: body.renter_name,
                renterEmail: body.renter_email, renterPhone: body.renter_phone),
            logger: context.logger)
        return JSONResponse(status: .created, BookingBody(booking, renter: renter))
    }

    @Sendable func get(request: Request, context: OwnerRequestContext) async throws -> JSONResponse<BookingBody> {
        let owner = context.ownerID
        guard let id = context.parameters.get("id", as: Int64.self) else { throw APIError.notFound("booking") }
        guard let booking = try await bookings.get(owner: owner, id: BookingID(id), logger: context.logger) else {
            throw APIError.notFound("booking")
        }
        let renter = try await bookings.renter(owner: owner, id: booking.renterID, logger: context.logger)
        return JSONResponse(BookingBody(booking, renter: renter))
    }
}
