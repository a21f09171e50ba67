// Copyright (c) the Gatehouse authors
import HTTPTypes
public import Hummingbird
import Logging
import Tenancy
public import GatehouseCore
public import Notifications
public import GatehouseHTTP
import Payments

/// `GET /api/notifications/check`: the seed's `{has_new, notifications}` poll, for two kinds of callers.
///
/// - A renter: `?payment_id=N` with the payment's renter token (`&t=…`, or the payment's cookie set by the status
///   page) → that payment's renter notifications. A token of another payment → 404, like every renter route.
/// - An owner: `Authorization: Bearer <API key>` without `payment_id` → the owner's notifications (403 when suspended).
///
/// Each notification is returned once: the check marks what it returns as read. Who may read what (the two audiences
/// never mix) is decided before the handler runs, by ``RenterAccess`` and ``NotificationReaderContext``.
public struct NotificationController: Sendable {
    let notifications: WebNotifications

    public init(notifications: WebNotifications) {
        self.notifications = notifications
    }

    /// Routes; mount in the ``NotificationReaderContext`` group behind ``RenterAccess`` (renters call it too).
    public var endpoints: RouteCollection<NotificationReaderContext> {
        let routes = RouteCollection(context: NotificationReaderContext.self)
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

    @Sendable func check(request: Request, context: NotificationReaderContext) async throws -> Response {
        let recipient: NotificationRecipient
        var setCookie: String? = nil
        switch context.reader {
        case .renter(let grant):
            recipient = .renter(grant.paymentID)
            setCookie = grant.setCookie
        case .owner(let owner):
            recipient = .owner(owner.id)
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
