// Copyright (c) the Gatehouse authors
public import Hummingbird
import HTTPTypes
import Logging
import NIOCore
public import Tenancy
import GatehouseCore

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
        // Described only when a line is logged: most requests log nothing, and resolving the address costs parsing.
        context.logger[metadataKey: "client.ip"] = .stringConvertible(
            LazyClientAddress(request: request, peer: context.remoteAddress, trustedProxies: trustedProxies))
        return try await next(request, context)
    }

    /// The client's address for this request.
    public static func clientAddress(_ request: Request, context: Context, trustedProxies: TrustedProxies) -> IPAddress? {
        clientAddress(request, peer: context.remoteAddress, trustedProxies: trustedProxies)
    }

    static func clientAddress(_ request: Request, peer socket: SocketAddress?, trustedProxies: TrustedProxies) -> IPAddress? {
        let peer = socket?.ipAddress.flatMap { IPAddress($0) }
        guard !trustedProxies.isEmpty else { return peer }
        return trustedProxies.clientAddress(
            peer: peer, forwardedFor: request.headers[values: .xForwardedFor], realIP: request.headers[.xRealIP])
    }

    /// The `client.ip` log value, resolved when a log line prints it.
    struct LazyClientAddress: CustomStringConvertible, Sendable {
        let request: Request
        let peer: SocketAddress?
        let trustedProxies: TrustedProxies

        var description: String {
            ClientAddressMiddleware.clientAddress(request, peer: peer, trustedProxies: trustedProxies)?.description ?? "unknown"
        }
    }
}

/// Enforces the per-owner request limit (GCRA, this instance's share, see ``TenantRateLimiter``), the per-payment limit
/// of renter requests and, for traffic nobody else can be charged for, the per-client-IP limit.
///
/// Mount it after the group's access middleware, which says whom to charge: ``OwnerAuthenticator`` the authenticated
/// owner; ``RenterAccess`` the payment's own renter bucket when the request carries the payment's valid renter token
/// (the grant it made once, from the in-process ``PaymentStatusView``, so a poll costs no database query), and the
/// client IP for everything else (no or a wrong token, an owner's key, payOS's browser redirects).
///
/// Refusals are 429 `RATE_LIMITED` with `Retry-After`, `RateLimit-Policy` and `RateLimit`; admitted responses carry
/// `RateLimit-Policy` and `RateLimit` too, so well-behaved clients can slow down before they are refused.
public struct RateLimitMiddleware: RouterMiddleware {
    public typealias Context = GatehouseRequestContext

    let limiter: TenantRateLimiter
    let trustedProxies: TrustedProxies
    let metrics: RateLimitMetrics?

    public init(limiter: TenantRateLimiter, trustedProxies: TrustedProxies, metrics: RateLimitMetrics? = nil) {
        self.limiter = limiter
        self.trustedProxies = trustedProxies
        self.metrics = metrics
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let decision: RateLimitDecision
        let advertised: RateLimitPolicy
        let limit: RateLimitMetrics.Limit
        var labelOwner: OwnerID? = nil
        switch context.access.charge {
        case .owner(let owner):
            limit = .owner
            labelOwner = owner
            decision = limiter.admitRequest(owner: owner)
            advertised = limiter.effectiveLimit(owner: owner).requests
        case .renter(let payment):
            limit = .renter
            labelOwner = context.access.grant?.ownerID
            decision = limiter.admitRenter(payment: payment)
            advertised = limiter.defaults.perPayment
        case .clientAddress:
            limit = .ip
            let address = ClientAddressMiddleware.clientAddress(request, context: context, trustedProxies: trustedProxies)
            decision = limiter.admitAnonymous(clientIP: address?.rateLimitBucket ?? "unknown")
            advertised = limiter.defaults.perIP
        }
        let instances = limiter.instances
        guard decision.allowed else {
            metrics?.refusal(limit, owner: labelOwner)
            throw APIError.rateLimited(decision, advertised: advertised, instances: instances)
        }
        var response = try await next(request, context)
        for field in decision.rateLimitHeaders(policyName: "default", advertised: advertised, instances: instances, refused: false) {
            response.headers[field.name] = field.value
        }
        return response
    }
}

extension RateLimitMiddleware {
    /// The fields ``handle(_:context:next:)`` adds to an admitted renter request charged to its payment's bucket, for
    /// a caller that charged `limiter.admitRenter(payment:)` itself (the renter's poll answered without the router).
    public static func admittedRenterFields(_ decision: RateLimitDecision, limiter: TenantRateLimiter) -> HTTPFields {
        decision.rateLimitHeaders(policyName: "default", advertised: limiter.defaults.perPayment, instances: limiter.instances, refused: false)
    }
}

extension IPAddress {
    /// The per-client bucket an address is charged to: the address itself for IPv4, its /64 for IPv6 — one
    /// subscriber's allocation, inside which a single host can pick a fresh address for every request.
    var rateLimitBucket: String {
        guard !isIPv4 else { return description }
        let groups = stride(from: 0, to: 8, by: 2).map { String(UInt16(bytes[$0]) << 8 | UInt16(bytes[$0 + 1]), radix: 16) }
        return groups.joined(separator: ":") + "::/64"
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
