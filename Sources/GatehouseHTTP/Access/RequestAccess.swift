// Copyright (c) the Gatehouse authors
import Tenancy
import GatehouseCore

/// What the access middleware of a route group established for one request; the child contexts are built from it.
///
/// Held behind one immutable reference, set once per request by the group's access middleware: the request context
/// is copied into every middleware's frame, and this keeps that copy one pointer wide.
struct RequestAccess: Sendable {
    private final class Storage: Sendable {
        let owner: Owner?
        let grant: RenterGrant?
        let admin: AdminPrincipal?
        let charge: RequestCharge
        let renterRequest: RenterRequestShape?

        init(owner: Owner?, grant: RenterGrant?, admin: AdminPrincipal?, charge: RequestCharge, renterRequest: RenterRequestShape?) {
            self.owner = owner
            self.grant = grant
            self.admin = admin
            self.charge = charge
            self.renterRequest = renterRequest
        }
    }

    private let storage: Storage?

    /// Nothing recognised (yet).
    init() { storage = nil }

    init(
        owner: Owner? = nil, grant: RenterGrant? = nil, admin: AdminPrincipal? = nil, charge: RequestCharge = .clientAddress,
        renterRequest: RenterRequestShape? = nil
    ) {
        storage = Storage(owner: owner, grant: grant, admin: admin, charge: charge, renterRequest: renterRequest)
    }

    /// An active owner, by its API key (``OwnerAuthenticator``).
    var owner: Owner? { storage?.owner }
    /// A grant to see one payment (``RenterAccess``).
    var grant: RenterGrant? { storage?.grant }
    /// An admin, by an admin token (``AdminAuthMiddleware``).
    var admin: AdminPrincipal? { storage?.admin }
    /// Whose budget pays for this request (``RateLimitMiddleware``).
    var charge: RequestCharge { storage?.charge ?? .clientAddress }
    /// What a renter route's request asked for and presented (for the refusal it gets when no grant came of it).
    var renterRequest: RenterRequestShape? { storage?.renterRequest }
}

/// The rate-limit bucket a request is charged to.
enum RequestCharge: Sendable, Hashable {
    /// The authenticated owner's API budget.
    case owner(OwnerID)
    /// The payment's own renter budget: the request carried its valid renter token.
    case renter(PaymentID)
    /// The client's address: nobody else can be charged (no or a wrong token, an owner's key on a renter route,
    /// payOS's redirects).
    case clientAddress
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
