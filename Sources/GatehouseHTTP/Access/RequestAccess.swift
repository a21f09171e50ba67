// Copyright (c) the Gatehouse authors
import Tenancy
import GatehouseCore

/// What the access middleware of a route group established for one request; the child contexts are built from it.
struct RequestAccess: Sendable {
    /// An active owner, by its API key (``OwnerAuthenticator``).
    var owner: Owner?
    /// A grant to see one payment (``RenterAccessMiddleware``).
    var grant: RenterGrant?
    /// An admin, by an admin token (``AdminAuthMiddleware``).
    var admin: AdminPrincipal?
    /// The owner whose request limit pays for this request; `nil` charges the client IP (``RateLimitMiddleware``).
    var chargedOwner: OwnerID?
    /// What a renter route's request asked for and presented (for the refusal it gets when no grant came of it).
    var renterRequest: RenterRequestShape?
}

/// The credentials a request to a renter route presented, without their values.
struct RenterRequestShape: Sendable {
    enum Payment: Sendable {
        /// No payment named (`/payment/return`, an owner's notification check).
        case none
        /// `?payment_id=` that is not a positive integer.
        case invalid
        case id(PaymentID)
    }
    var payment: Payment
    /// A renter token in the query (`?t=`) or the payment's cookie.
    var renterToken: Bool
    /// An `Authorization: Bearer` header.
    var bearer: Bool
}
