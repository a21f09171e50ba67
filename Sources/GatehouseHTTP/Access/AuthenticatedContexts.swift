// Copyright (c) the Gatehouse authors
public import Hummingbird
public import Tenancy
public import GatehouseCore

/// An owner API route's context: built only for a request whose key ``OwnerAuthMiddleware`` accepted (an active owner),
/// so a handler cannot run without its owner. Mount with `group.group(context: OwnerRequestContext.self)` after it.
public struct OwnerRequestContext: ChildRequestContext, GatehouseContext {
    public typealias ParentContext = GatehouseRequestContext
    public var coreContext: CoreRequestContextStorage
    public let requestID: String
    /// The authenticated owner (active when the request started).
    public let owner: Owner

    public init(context: GatehouseRequestContext) throws {
        guard let owner = context.access.owner else { throw APIError.unauthorized }
        self.coreContext = context.coreContext
        self.requestID = context.requestID
        self.owner = owner
    }

    public var ownerID: OwnerID { owner.id }
    public var maxUploadSize: Int { GatehouseRequestContext.maxUploadSize }
    /// The audit context of the owner's changes: actor `owner:<id>` and the request id.
    public var audit: AuditContext { AuditContext(actor: "owner:\(owner.id.rawValue)", requestID: requestID) }
}

/// A renter route's context: built only when ``RenterAccessMiddleware`` granted access to the route's payment; every
/// other request gets 404, the answer for a payment that does not exist.
public struct RenterRequestContext: ChildRequestContext, GatehouseContext {
    public typealias ParentContext = GatehouseRequestContext
    public var coreContext: CoreRequestContextStorage
    public let requestID: String
    /// The grant: the verified payment snapshot and how access was obtained.
    public let grant: RenterGrant

    public init(context: GatehouseRequestContext) throws {
        guard let grant = context.access.grant else { throw APIError.notFound("payment") }
        self.coreContext = context.coreContext
        self.requestID = context.requestID
        self.grant = grant
    }

    public var paymentID: PaymentID { grant.paymentID }
    public var maxUploadSize: Int { GatehouseRequestContext.maxUploadSize }
}

/// `GET /api/notifications/check`'s context, after ``RenterAccessMiddleware``: its two audiences never mix.
/// - With `payment_id`: only the payment's renter token counts → ``Reader/renter(_:)``. No renter credential is 401,
///   or 403 `FORBIDDEN` with an owner key (it must not read — and so consume — the renter's notifications); a wrong
///   token is 404; a `payment_id` that is not a positive integer is 400.
/// - Without: only an owner key counts → ``Reader/owner(_:)``; else 401. A suspended owner's key is 403
///   `OWNER_SUSPENDED` (refused by the middleware, as on every route).
public struct NotificationReaderContext: ChildRequestContext, GatehouseContext {
    public typealias ParentContext = GatehouseRequestContext

    public enum Reader: Sendable {
        case renter(RenterGrant)
        case owner(Owner)
    }

    public var coreContext: CoreRequestContextStorage
    public let requestID: String
    public let reader: Reader

    public init(context: GatehouseRequestContext) throws {
        let access = context.access
        guard let shape = access.renterRequest else { throw APIError.unauthorized }
        switch shape.payment {
        case .invalid:
            throw APIError.validation("payment_id must be a positive integer")
        case .id:
            guard shape.renterToken else { throw shape.bearer ? Self.forbiddenForOwnerKey : APIError.unauthorized }
            guard let grant = access.grant, case .renterToken = grant.basis else { throw APIError.notFound("payment") }
            self.reader = .renter(grant)
        case .none:
            guard let owner = access.owner else { throw APIError.unauthorized }
            self.reader = .owner(owner)
        }
        self.coreContext = context.coreContext
        self.requestID = context.requestID
    }

    public var maxUploadSize: Int { GatehouseRequestContext.maxUploadSize }

    static let forbiddenForOwnerKey = APIError(
        status: .forbidden, code: "FORBIDDEN", message: "a renter's notifications are only readable with the payment's link")
}

/// An admin API route's context: built only for a request whose admin token ``AdminAuthMiddleware`` accepted.
public struct AdminRequestContext: ChildRequestContext, GatehouseContext {
    public typealias ParentContext = GatehouseRequestContext
    public var coreContext: CoreRequestContextStorage
    public let requestID: String
    public let admin: AdminPrincipal

    public init(context: GatehouseRequestContext) throws {
        guard let admin = context.access.admin else { throw AdminAuthMiddleware.unauthorized }
        self.coreContext = context.coreContext
        self.requestID = context.requestID
        self.admin = admin
    }

    public var maxUploadSize: Int { GatehouseRequestContext.maxUploadSize }
    /// The audit context of the admin's changes: actor `admin:<prefix>` and the request id.
    public var audit: AuditContext { AuditContext(actor: admin.actor, requestID: requestID) }
}
