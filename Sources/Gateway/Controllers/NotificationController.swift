// Copyright (c) the Gatehouse authors
import HTTPTypes
public import Hummingbird
import Logging
public import Tenancy
public import GatehouseCore
public import Notifications
public import GatehouseHTTP
public import Payments

/// `GET /api/notifications/check`: the seed's `{has_new, notifications}` poll, for two kinds of callers.
///
/// - A renter: `?payment_id=N` with the payment's renter token (`&t=…`, or the payment's cookie set by the status
///   page) → that payment's renter notifications. A token of another payment → 404, like every renter route.
/// - An owner: `Authorization: Bearer <API key>` without `payment_id` → the owner's notifications (403 when suspended).
///
/// Each notification is returned once: the check marks what it returns as read. The two audiences never mix: with
/// `payment_id` only a renter credential counts (an owner's key there gets 403 rather than reading — and so
/// consuming — the renter's notifications), and without it only an owner's key does. No credential at all → 401.
public struct NotificationController: Sendable {
    let notifications: WebNotifications
    let access: RenterAccess
    let apiKeys: APIKeyRepository
    let owners: OwnerRepository

    public init(notifications: WebNotifications, access: RenterAccess, apiKeys: APIKeyRepository, owners: OwnerRepository) {
        self.notifications = notifications
        self.access = access
        self.apiKeys = apiKeys
        self.owners = owners
    }

    /// Routes; mount at the router's root (not behind ``OwnerAuthMiddleware``: renters call it too).
    public var endpoints: RouteCollection<GatehouseRequestContext> {
        let routes = RouteCollection(context: GatehouseRequestContext.self)
        routes.get("/api/notifications/check", use: check)
        return routes
    }

    /// The renter status page's `notificationsURL` for a payment: the page's script polls it with the payment's cookie.
    public static func renterURL(_ payment: PaymentID) -> String {
        "/api/notifications/check?payment_id=\(payment.rawValue)"
    }

    struct NotificationBody: Encodable {
        let id: Int64
        let kind: String
        let title: String?
        let message: String?
        let created_at: String
    }

    struct CheckBody: Encodable {
        let has_new: Bool
        let notifications: [NotificationBody]
    }

    static let forbiddenForOwnerKey = APIError(
        status: .forbidden, code: "FORBIDDEN", message: "a renter's notifications are only readable with the payment's link")

    @Sendable func check(request: Request, context: GatehouseRequestContext) async throws -> Response {
        let recipient: NotificationRecipient
        var setCookie: String? = nil
        if let raw = request.uri.queryParameters["payment_id"] {
            guard let value = Int64(String(raw)), value > 0 else { throw APIError.validation("payment_id must be a positive integer") }
            let id = PaymentID(value)
            let hasRenterCredential = request.uri.queryParameters["t"] != nil || request.cookies[RenterAccess.cookieName(id)] != nil
            guard hasRenterCredential else {
                throw OwnerAuthMiddleware.bearerToken(request) == nil ? APIError.unauthorized : Self.forbiddenForOwnerKey
            }
            let grant = try await access.authorize(id, request: request, context: context)
            guard grant.ownerID == nil else { throw Self.forbiddenForOwnerKey }
            recipient = .renter(grant.snapshot.paymentID)
            setCookie = grant.setCookie
        } else {
            guard let owner = try await OwnerAuthMiddleware.authenticate(request, apiKeys: apiKeys, logger: context.logger),
                let stored = try await owners.get(owner, logger: context.logger)
            else { throw APIError.unauthorized }
            guard stored.status == .active else { throw APIError.ownerSuspended }
            recipient = .owner(owner)
        }
        let result = try await notifications.check(recipient: recipient, logger: context.logger)
        let body = CheckBody(
            has_new: result.hasNew,
            notifications: result.notifications.map {
                NotificationBody(id: $0.id, kind: $0.kind, title: $0.title, message: $0.message, created_at: APITime.format($0.createdAt))
            })
        var headers: HTTPFields = [:]
        headers[.cacheControl] = "no-store"
        if let setCookie { headers.append(HTTPField(name: .setCookie, value: setCookie)) }
        return try JSONResponse(body, headers: headers).response(from: request, context: context)
    }
}
