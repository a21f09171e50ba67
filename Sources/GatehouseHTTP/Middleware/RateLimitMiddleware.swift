// Copyright (c) the Gatehouse authors
public import Hummingbird
import HTTPTypes
import Logging
import NIOCore
public import Tenancy
public import GatehouseCore
public import Payments

/// Resolves the client's address once per request (``TrustedProxies``: forwarded headers only from a trusted
/// proxy, the socket peer otherwise) and puts it in the request's log metadata as `client.ip`.
///
/// Mount it first (before ``ErrorMiddleware``) so every log line of the request, errors included, carries it.
public struct ClientAddressMiddleware: RouterMiddleware {
    public typealias Context = GatehouseRequestContext

    let trustedProxies: TrustedProxies

    public init(trustedProxies: TrustedProxies) {
        self.trustedProxies = trustedProxies
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        context.logger[metadataKey: "client.ip"] = .string(
            Self.clientAddress(request, context: context, trustedProxies: trustedProxies)?.description ?? "unknown")
        return try await next(request, context)
    }

    /// The client's address for this request.
    public static func clientAddress(_ request: Request, context: Context, trustedProxies: TrustedProxies) -> IPAddress? {
        let peer = context.remoteAddress?.ipAddress.flatMap { IPAddress($0) }
        guard !trustedProxies.isEmpty else { return peer }
        return trustedProxies.clientAddress(
            peer: peer, forwardedFor: request.headers[values: .xForwardedFor], realIP: request.headers[.xRealIP])
    }
}

/// Enforces the per-owner request limit (GCRA, this instance's share, see ``TenantRateLimiter``) and, for
/// traffic no owner can be charged for, the per-client-IP limit.
///
/// - `.authenticatedOwner`: mount after ``OwnerAuthMiddleware``; the owner is `context.ownerID`.
/// - `.renterPayment`: for renter routes. The payment (the route's `{id}` or `?payment_id=`) is resolved to its
///   owner through the in-process ``PaymentStatusView`` — the same snapshot the route's own access check uses —
///   and the request is charged to that owner only when it carries the payment's valid renter token (query or
///   cookie). So a poll costs no database query, and guessing payment ids spends the guesser's own IP budget, not
///   the owner's. Everything else (no token, payOS's browser redirects) is charged to the client IP.
///
/// Refusals are 429 `RATE_LIMITED` with `Retry-After`, `RateLimit-Policy` and `RateLimit`; admitted responses carry
/// `RateLimit-Policy` and `RateLimit` too, so well-behaved clients can slow down before they are refused.
public struct RateLimitMiddleware: RouterMiddleware {
    public typealias Context = GatehouseRequestContext

    /// Who a request is charged to.
    public enum Attribution: Sendable {
        case authenticatedOwner
        case renterPayment(PaymentService)
    }

    let limiter: TenantRateLimiter
    let trustedProxies: TrustedProxies
    let attribution: Attribution

    public init(limiter: TenantRateLimiter, trustedProxies: TrustedProxies, attribution: Attribution) {
        self.limiter = limiter
        self.trustedProxies = trustedProxies
        self.attribution = attribution
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let owner: OwnerID? =
            switch attribution {
            case .authenticatedOwner: context.ownerID
            case .renterPayment(let payments): await Self.renterOwner(request, context: context, payments: payments)
            }
        let decision: RateLimitDecision
        let advertised: RateLimitPolicy
        if let owner {
            decision = limiter.admitRequest(owner: owner)
            advertised = limiter.effectiveLimit(owner: owner).requests
        } else {
            let address = ClientAddressMiddleware.clientAddress(request, context: context, trustedProxies: trustedProxies)
            decision = limiter.admitAnonymous(clientIP: address?.description ?? "unknown")
            advertised = limiter.defaults.perIP
        }
        let instances = limiter.instances
        guard decision.allowed else {
            throw APIError.rateLimited(decision, advertised: advertised, instances: instances)
        }
        var response = try await next(request, context)
        for field in decision.rateLimitHeaders(policyName: "default", advertised: advertised, instances: instances, refused: false) {
            response.headers[field.name] = field.value
        }
        return response
    }

    /// The owner to charge for a renter request: the payment's owner when the request carries its valid renter token.
    /// The snapshot comes from memory (`peek`, uncounted); only a payment not yet in memory is loaded — and then the
    /// route's own lookup is answered from memory, so a poll still reads the database at most once.
    static func renterOwner(_ request: Request, context: Context, payments: PaymentService) async -> OwnerID? {
        let raw = context.parameters.get("id", as: Int64.self) ?? request.uri.queryParameters["payment_id"].flatMap { Int64(String($0)) }
        guard let raw, raw > 0 else { return nil }
        let id = PaymentID(raw)
        guard let token = request.uri.queryParameters["t"].map(String.init) ?? request.cookies[RenterAccess.cookieName(id)]?.value else {
            return nil
        }
        var snapshot = await payments.statusView.peek(id)
        if snapshot == nil { snapshot = try? await payments.statusView.snapshot(of: id, logger: context.logger) }
        guard let snapshot, payments.renterTokenMatches(token, storedHash: snapshot.renterTokenHash) else { return nil }
        return snapshot.ownerID
    }
}

extension RateLimitDecision {
    /// The rate-limit response fields, as draft-ietf-httpapi-ratelimit-headers-10 (the current revision; its
    /// two-field format is unchanged since -07) defines them, plus `Retry-After` (RFC 9110) on a refusal:
    ///
    ///     RateLimit-Policy: "default";q=<burst>;w=<seconds to refill the burst>
    ///     RateLimit: "default";r=<remaining>;t=<seconds until the quota is full again>
    ///
    /// Both are Structured Field lists whose members are a String policy name with Integer parameters.
    /// `q`/`w` describe the owner's whole (fleet-wide) limit; `r` estimates the fleet-wide remaining quota as this
    /// instance's remaining share times the live instances (capped at `q`), exact with one instance.
    func rateLimitHeaders(policyName: String, advertised: RateLimitPolicy, instances: Int, refused: Bool) -> HTTPFields {
        var fields = HTTPFields()
        fields[.rateLimitPolicy] = "\"\(policyName)\";q=\(advertised.burst);w=\(advertised.windowSeconds)"
        let remainingOverall = min(advertised.burst, remaining.multipliedReportingOverflow(by: max(1, instances)).partialValue)
        fields[.rateLimit] = "\"\(policyName)\";r=\(refused ? 0 : remainingOverall);t=\(resetSeconds)"
        if refused { fields[.retryAfter] = String(retryAfterSeconds) }
        return fields
    }
}

extension HTTPField.Name {
    static let rateLimitPolicy = Self("RateLimit-Policy")!
    static let rateLimit = Self("RateLimit")!
    static let xForwardedFor = Self("X-Forwarded-For")!
    static let xRealIP = Self("X-Real-IP")!
}
