// Copyright (c) the Gatehouse authors
import HTTPTypes
public import Hummingbird
import Logging
public import Tenancy
public import GatehouseCore
public import Payments

/// Who may see a payment: its renter (the link's token, as `?t=` or from the payment's cookie) or its owner
/// (the owner's API key). Everyone else gets 404, so a payment's existence is never revealed.
///
/// The renter path costs no database round trip: the token is checked against the keyed hash held by
/// the ``PaymentStatusView`` snapshot — this is what keeps `refresh-status` cheap under thousands of polls.
public struct RenterAccess: Sendable {
    let payments: PaymentService
    let apiKeys: APIKeyRepository
    /// `Secure` cookies when renters reach us over HTTPS.
    let secureCookies: Bool

    public init(payments: PaymentService, apiKeys: APIKeyRepository, secureCookies: Bool) {
        self.payments = payments
        self.apiKeys = apiKeys
        self.secureCookies = secureCookies
    }

    /// A granted access.
    public struct Grant: Sendable {
        public let snapshot: PaymentSnapshot
        /// A `Set-Cookie` value to send when the token came in the query (first visit).
        public let setCookie: String?
        /// The owner, when access came from an owner API key.
        public let ownerID: OwnerID?
    }

    /// The cookie that keeps a payment's renter token after the first visit: one cookie per payment.
    public static func cookieName(_ id: PaymentID) -> String { "gh_pt_\(id.rawValue)" }

    /// The payment id in the route's `{id}` parameter, or 404.
    public static func paymentID(_ context: GatehouseRequestContext) throws -> PaymentID {
        guard let raw = context.parameters.get("id", as: Int64.self), raw > 0 else { throw APIError.notFound("payment") }
        return PaymentID(raw)
    }

    /// Checks access to payment `id`, or throws 404.
    public func authorize(_ id: PaymentID, request: Request, context: GatehouseRequestContext) async throws -> Grant {
        let queryToken = request.uri.queryParameters["t"].map(String.init)
        let token = queryToken ?? request.cookies[Self.cookieName(id)]?.value
        if let token {
            guard let snapshot = try await payments.statusView.snapshot(of: id, logger: context.logger),
                payments.renterTokenMatches(token, storedHash: snapshot.renterTokenHash)
            else { throw APIError.notFound("payment") }
            var setCookie: String? = nil
            if queryToken != nil {
                // SameSite=Lax (not Strict) so the cookie also comes back on payOS's redirect to our return page.
                setCookie = "\(Self.cookieName(id))=\(token); Path=/; Max-Age=604800; HttpOnly; SameSite=Lax\(secureCookies ? "; Secure" : "")"
            }
            return Grant(snapshot: snapshot, setCookie: setCookie, ownerID: nil)
        }
        if let owner = try await OwnerAuthMiddleware.authenticate(request, apiKeys: apiKeys, logger: context.logger),
            let snapshot = try await payments.statusView.snapshot(of: id, logger: context.logger), snapshot.ownerID == owner
        {
            return Grant(snapshot: snapshot, setCookie: nil, ownerID: owner)
        }
        throw APIError.notFound("payment")
    }

    /// Whether the request carries this payment's valid renter token (query or cookie), without throwing.
    public func hasRenterToken(_ payment: Payment, request: Request, context: GatehouseRequestContext) async -> Bool {
        guard let token = request.uri.queryParameters["t"].map(String.init) ?? request.cookies[Self.cookieName(payment.id)]?.value,
            let snapshot = try? await payments.statusView.snapshot(of: payment.id, logger: context.logger)
        else { return false }
        return payments.renterTokenMatches(token, storedHash: snapshot.renterTokenHash)
    }
}
