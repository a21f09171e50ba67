// Copyright (c) the Gatehouse authors
import HTTPTypes
public import Hummingbird
import Logging
import Tenancy
public import GatehouseCore
public import Payments

/// A right to see one payment, and how it was obtained. Made once per request by ``RenterAccess``; routes
/// get it from ``RenterRequestContext``.
public struct RenterGrant: Sendable {
    public enum Basis: Sendable, Hashable {
        /// The payment's renter token, from `?t=` or the payment's cookie. `setCookie` is the cookie to send when the
        /// token came in the query (first visit).
        case renterToken(setCookie: String?)
        /// The payment's owner, by its API key.
        case ownerKey
    }

    /// The verified payment snapshot the grant was checked against.
    public let snapshot: PaymentSnapshot
    public let basis: Basis

    public var paymentID: PaymentID { snapshot.paymentID }
    public var ownerID: OwnerID { snapshot.ownerID }
    /// A `Set-Cookie` value to send with the answer, when the renter's token came in the query.
    public var setCookie: String? {
        guard case .renterToken(let setCookie) = basis else { return nil }
        return setCookie
    }
}

/// Who may see a payment: its renter (the link's token, as `?t=` or from the payment's cookie) or its owner
/// (the owner's API key). Everyone else gets 404, so a payment's existence is never revealed.
///
/// The renter path costs no database round trip: the token is checked against the keyed hash held by
/// the ``PaymentStatusView`` snapshot — this is what keeps `refresh-status` cheap under thousands of polls.
public struct RenterAccess: Sendable {
    let statusView: PaymentStatusView
    let tokens: RenterTokens
    let authenticator: OwnerAuthenticator
    /// `Secure` cookies when renters reach us over HTTPS.
    let secureCookies: Bool

    public init(statusView: PaymentStatusView, tokens: RenterTokens, authenticator: OwnerAuthenticator, secureCookies: Bool) {
        self.statusView = statusView
        self.tokens = tokens
        self.authenticator = authenticator
        self.secureCookies = secureCookies
    }

    /// The cookie that keeps a payment's renter token after the first visit: one cookie per payment.
    public static func cookieName(_ id: PaymentID) -> String { "gh_pt_\(id.rawValue)" }

    /// The grant for payment `id`, or `nil`. A renter token, when present, decides alone (a wrong one is no grant
    /// even with the owner's key); without one, the key of the payment's owner grants.
    func grant(for id: PaymentID, presented: PresentedToken?, owner: Owner?, logger: Logger) async throws -> RenterGrant? {
        if let presented {
            guard let snapshot = try await statusView.snapshot(of: id, logger: logger) else { return nil }
            return renterGrant(snapshot, presented)
        }
        guard let owner, let snapshot = try await statusView.snapshot(of: id, logger: logger), snapshot.ownerID == owner.id else {
            return nil
        }
        return RenterGrant(snapshot: snapshot, basis: .ownerKey)
    }

    /// The grant of a renter token for a payment whose snapshot is in memory; `nil` when it is not in memory or the token
    /// does not match. Never suspends: for the renter's poll answered without the router (`RefreshStatusFastPath`),
    /// which hands anything this does not grant to the routes behind ``RenterAccess``.
    public func cachedGrant(for id: PaymentID, token: some StringProtocol, fromQuery: Bool) -> RenterGrant? {
        guard let snapshot = statusView.cachedSnapshot(of: id) else { return nil }
        return renterGrant(snapshot, PresentedToken(token: String(token), fromQuery: fromQuery))
    }

    private func renterGrant(_ snapshot: PaymentSnapshot, _ presented: PresentedToken) -> RenterGrant? {
        guard tokens.matches(presented.token, storedHash: snapshot.renterTokenHash) else { return nil }
        // SameSite=Lax (not Strict) so the cookie also comes back on payOS's redirect to our return page.
        let setCookie =
            presented.fromQuery
            ? "\(Self.cookieName(snapshot.paymentID))=\(presented.token); Path=/; Max-Age=604800; HttpOnly; SameSite=Lax\(secureCookies ? "; Secure" : "")"
            : nil
        return RenterGrant(snapshot: snapshot, basis: .renterToken(setCookie: setCookie))
    }

    /// A renter token as the request presented it: `?t=` (a first visit, answered with the cookie) or the payment's
    /// cookie. The query wins when both are there.
    struct PresentedToken {
        let token: String
        let fromQuery: Bool

        init(token: String, fromQuery: Bool) {
            self.token = token
            self.fromQuery = fromQuery
        }

        init?(_ id: PaymentID, request: Request, query: Parameters) {
            if let token = query["t"] {
                self.token = String(token)
                self.fromQuery = true
            } else if let token = request.cookie(named: RenterAccess.cookieName(id)) {
                self.token = String(token)
                self.fromQuery = false
            } else {
                return nil
            }
        }
    }

    /// Whether the request carries this payment's valid renter token (query or cookie), without throwing: for payOS's
    /// cancel redirect, which names the payment by its order code rather than a route id.
    public func hasRenterToken(_ payment: Payment, request: Request, context: some RequestContext) async -> Bool {
        guard let token = request.uri.queryParameters["t"].map(String.init) ?? request.cookie(named: Self.cookieName(payment.id)).map(String.init),
            let snapshot = try? await statusView.snapshot(of: payment.id, logger: context.logger)
        else { return false }
        return tokens.matches(token, storedHash: snapshot.renterTokenHash)
    }
}

/// ``RenterAccess`` is also the renter routes' gate (mount it on their group): verifies the request's renter token (or
/// the owner's key) once, and records the grant for ``RenterRequestContext`` and for ``RateLimitMiddleware``, mounted
/// after it, which charges the payment's own renter bucket when the grant came from the renter's token (never the
/// owner's API budget: renters cannot starve their owner, nor one renter another) and the client IP otherwise (no
/// token, a wrong one, an owner's key, payOS's redirects) — so guessing payment ids spends the guesser's own IP budget.
///
/// Never refuses by itself except for a suspended owner's key (403 `OWNER_SUSPENDED`, as everywhere): a route that
/// needs the grant refuses in its context (404 for renter routes), after the limiter has charged the request.
///
/// The payment is the route's `{id}` or the `?payment_id=` query.
extension RenterAccess: RouterMiddleware {
    public typealias Context = GatehouseRequestContext

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let owner = try await authenticator.owner(request, context: context)
        // The query is parsed once here; routes read what they need of it again only off the hot path.
        let query = request.uri.queryParameters
        var shape = RenterRequestShape(payment: Self.requestedPayment(query, context: context), renterToken: false, bearer: request.bearerToken != nil)
        var grant: RenterGrant? = nil
        if case .id(let id) = shape.payment {
            let presented = PresentedToken(id, request: request, query: query)
            shape.renterToken = presented != nil
            grant = try await self.grant(for: id, presented: presented, owner: owner, logger: context.logger)
        }
        var context = context
        var charge = RequestCharge.clientAddress
        if let grant, case .renterToken = grant.basis { charge = .renter(grant.paymentID) }
        context.access = RequestAccess(owner: owner, grant: grant, charge: charge, renterRequest: shape)
        return try await next(request, context)
    }

    static func requestedPayment(_ query: Parameters, context: Context) -> RenterRequestShape.Payment {
        if context.parameters.get("id") != nil {
            guard let raw = context.parameters.get("id", as: Int64.self), raw > 0 else { return .invalid }
            return .id(PaymentID(raw))
        }
        guard let text = query["payment_id"] else { return .none }
        guard let raw = Int64(String(text)), raw > 0 else { return .invalid }
        return .id(PaymentID(raw))
    }
}
