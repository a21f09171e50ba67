// Copyright (c) the Gatehouse authors
import GatehouseCore
public import GatehouseHTTP
import HTTPTypes
public import Hummingbird
import Payments
public import Tenancy

/// The renter's plain poll, `GET /payment/refresh-status/{id}` with the renter token in `?t=` or in the payment's cookie,
/// answered before the router when everything it needs is in memory: the hottest route (every open status page polls
/// it) without the router's trie and middleware frames.
///
/// It answers exactly what the routed ``PaymentController/refreshStatus(request:context:)`` answers for the same request —
/// the same grant (``RenterAccess/cachedGrant(for:token:fromQuery:)``), the same charge to the payment's own renter
/// bucket, the same body (``RefreshBodyCache``) and the same fields (`Set-Cookie` on a first visit, `Cache-Control`,
/// `RateLimit-Policy`, `RateLimit`, `X-Request-ID`) — and only when the answer is a 200 it can give without suspending.
/// Everything else returns `nil` and goes to the router, which does the full work: another query (`wait`, `lang`, a
/// percent-encoded token), an `Authorization` header (an owner key, whose failures are charged), a payment not in the
/// status view (a database read), a token that does not match (404 charged to the client address), a renter bucket
/// that is empty (429; a refused request does not spend the bucket, so the router's second look refuses it the same).
public struct RefreshStatusFastPath: Sendable {
    let access: RenterAccess
    let limiter: TenantRateLimiter
    let bodies: RefreshBodyCache

    /// The route template, as the router's metrics label it.
    public static let route = "/payment/refresh-status/{id}"

    init(access: RenterAccess, limiter: TenantRateLimiter, bodies: RefreshBodyCache) {
        self.access = access
        self.limiter = limiter
        self.bodies = bodies
    }

    /// The 200 for a plain renter poll the view can answer from memory, or `nil` to let the router answer.
    public func answer(_ request: Request, context: some GatehouseContext) -> Response? {
        guard request.method == .get, let target = request.head.path, let poll = Self.parse(target),
            request.headers[.authorization] == nil
        else { return nil }
        let id = PaymentID(poll.payment)
        let token: Substring
        if let fromQuery = poll.token {
            token = fromQuery
        } else if let fromCookie = request.cookie(named: RenterAccess.cookieName(id)) {
            token = fromCookie
        } else {
            return nil
        }
        guard let grant = access.cachedGrant(for: id, token: token, fromQuery: poll.token != nil) else { return nil }
        let decision = limiter.admitRenter(payment: id)
        guard decision.allowed else { return nil }
        let locale = PageLocale.negotiate(
            acceptLanguage: request.headers[.acceptLanguage], query: nil, cookie: request.cookie(named: "gh_lang").map(String.init))
        guard let body = try? bodies.body(id, status: grant.snapshot.status, locale: locale) else { return nil }
        var headers = HTTPFields()
        if let setCookie = grant.setCookie { headers.append(HTTPField(name: .setCookie, value: setCookie)) }
        var response = APIJSON.response(body: body, headers: headers)
        response.headers.append(contentsOf: RateLimitMiddleware.admittedRenterFields(decision, limiter: limiter))
        response.headers[ErrorMiddleware.requestIDField] = context.requestID
        return response
    }

    /// `/payment/refresh-status/<digits>` with no query, or with exactly `?t=<token>` where the token is plain
    /// (letters, digits, `-`, `_`: nothing to percent-decode); anything else is `nil`.
    static func parse(_ target: String) -> (payment: Int64, token: Substring?)? {
        let prefix = "/payment/refresh-status/"
        guard target.utf8.starts(with: prefix.utf8) else { return nil }
        let rest = target.utf8.dropFirst(prefix.utf8.count)
        let digitsEnd = rest.firstIndex { !(UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) } ?? rest.endIndex
        let digits = rest[..<digitsEnd]
        guard (1...18).contains(digits.count), let payment = Int64(Substring(digits)), payment > 0 else { return nil }
        let query = rest[digitsEnd...]
        guard !query.isEmpty else { return (payment, nil) }
        let marker = "?t=".utf8
        guard query.starts(with: marker) else { return nil }
        let token = query.dropFirst(marker.count)
        guard (1...128).contains(token.count), token.allSatisfy(Self.isPlainTokenByte) else { return nil }
        return (payment, Substring(token))
    }

    private static func isPlainTokenByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
            UInt8(ascii: "-"), UInt8(ascii: "_"):
            true
        default: false
        }
    }
}

extension PaymentController {
    /// The renter's plain poll answered before the router, with this controller's grant, body cache and the limiter its
    /// group's ``RateLimitMiddleware`` charges.
    public func refreshStatusFastPath(limiter: TenantRateLimiter) -> RefreshStatusFastPath {
        RefreshStatusFastPath(access: access, limiter: limiter, bodies: refreshBodies)
    }
}
