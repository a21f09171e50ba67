// Copyright (c) the Gatehouse authors
public import Hummingbird
public import Tenancy
public import GatehouseCore

/// Someone a route can run for, recognised by the access middleware of the route's group: an owner, a renter's grant
/// to one payment, a notification reader, an admin.
public protocol RequestPrincipal: Sendable {
    /// The principal the group's access middleware recognised for this request, or the refusal a route answers
    /// without one (401, or 404 on renter routes so a payment's existence is never revealed).
    static func recognised(in context: GatehouseRequestContext) throws -> Self
}

/// The context of a route that needs a principal: it can only be built once the access middleware of its group has
/// recognised one, so a handler cannot run without it. Mount with `group.group(context: OwnerRequestContext.self)`
/// (or the other aliases below) after that middleware.
public struct PrincipalContext<Principal: RequestPrincipal>: ChildRequestContext, GatehouseContext {
    public typealias ParentContext = GatehouseRequestContext
    public var coreContext: CoreRequestContextStorage
    public let requestID: String
    public let principal: Principal

    public init(context: GatehouseRequestContext) throws {
        self.principal = try Principal.recognised(in: context)
        self.coreContext = context.coreContext
        self.requestID = context.requestID
    }

    public var maxUploadSize: Int { GatehouseRequestContext.maxUploadSize }
}

/// An owner API route's context: an active owner, by a key ``OwnerAuthenticator`` accepted.
public typealias OwnerRequestContext = PrincipalContext<Owner>

extension Owner: RequestPrincipal {
    public static func recognised(in context: GatehouseRequestContext) throws -> Owner {
        guard let owner = context.access.owner else { throw APIError.unauthorized }
        return owner
    }
}

extension PrincipalContext where Principal == Owner {
    /// The authenticated owner (active when the request started).
    public var owner: Owner { principal }
    public var ownerID: OwnerID { principal.id }
    /// The audit context of the owner's changes: actor `owner:<id>` and the request id.
    public var audit: AuditContext { AuditContext(actor: "owner:\(principal.id.rawValue)", requestID: requestID) }
}

/// A renter route's context: built only when ``RenterAccess`` granted access to the route's payment; every
/// other request gets 404, the answer for a payment that does not exist.
public typealias RenterRequestContext = PrincipalContext<RenterGrant>

extension RenterGrant: RequestPrincipal {
    public static func recognised(in context: GatehouseRequestContext) throws -> RenterGrant {
        guard let grant = context.access.grant else { throw APIError.notFound("payment") }
        return grant
    }
}

extension PrincipalContext where Principal == RenterGrant {
    /// The grant: the verified payment snapshot and how access was obtained.
    public var grant: RenterGrant { principal }
    public var paymentID: PaymentID { principal.paymentID }
}

/// `GET /api/notifications/check`'s context, after ``RenterAccess``: its two audiences never mix.
public typealias NotificationReaderContext = PrincipalContext<NotificationReader>

/// Who reads notifications on `GET /api/notifications/check`.
/// - With `payment_id`: only the payment's renter token counts → ``renter(_:)``. No renter credential is 401, or 403
///   `FORBIDDEN` with an owner key (it must not read — and so consume — the renter's notifications); a wrong token is
///   404; a `payment_id` that is not a positive integer is 400.
/// - Without: only an owner key counts → ``owner(_:)``; else 401. A suspended owner's key is 403 `OWNER_SUSPENDED`
///   (refused by the middleware, as on every route).
public enum NotificationReader: RequestPrincipal {
    case renter(RenterGrant)
    case owner(Owner)

    public static func recognised(in context: GatehouseRequestContext) throws -> NotificationReader {
        let access = context.access
        guard let shape = access.renterRequest else { throw APIError.unauthorized }
        switch shape.payment {
        case .invalid:
            throw APIError.validation("payment_id must be a positive integer")
        case .id:
            guard shape.renterToken else { throw shape.bearer ? Self.forbiddenForOwnerKey : APIError.unauthorized }
            guard let grant = access.grant, case .renterToken = grant.basis else { throw APIError.notFound("payment") }
            return .renter(grant)
        case .none:
            guard let owner = access.owner else { throw APIError.unauthorized }
            return .owner(owner)
        }
    }

    static let forbiddenForOwnerKey = APIError(
        status: .forbidden, code: "FORBIDDEN", message: "a renter's notifications are only readable with the payment's link")
}

extension PrincipalContext where Principal == NotificationReader {
    public typealias Reader = NotificationReader
    public var reader: NotificationReader { principal }
}

/// An admin API route's context: built only for a request whose admin token ``AdminAuthMiddleware`` accepted.
public typealias AdminRequestContext = PrincipalContext<AdminPrincipal>

extension AdminPrincipal: RequestPrincipal {
    public static func recognised(in context: GatehouseRequestContext) throws -> AdminPrincipal {
        guard let admin = context.access.admin else { throw AdminAuthMiddleware.unauthorized }
        return admin
    }
}

extension PrincipalContext where Principal == AdminPrincipal {
    public var admin: AdminPrincipal { principal }
    /// The audit context of the admin's changes: actor `admin:<prefix>` and the request id.
    public var audit: AuditContext { AuditContext(actor: principal.actor, requestID: requestID) }
}
