// Copyright (c) the Gatehouse authors
import Hummingbird
import Logging
import Tenancy
import GatehouseCore
import GatehouseHTTP

/// `PUT` / `GET /admin/owners/{id}/rate-limit`: an owner's request limit (API and renter traffic) and its cap on
/// calls to payOS.
///
/// The change itself is ``AdminOperations/setRateLimit(owner:requestsPerSecond:burst:payOS:audit:logger:)``
/// (validated, stored with its audit row, applied at once here and within a second on every other instance).
extension AdminController {
    /// The answer of both routes: the owner's effective limits (fleet-wide) and where they come from.
    struct RateLimitBody: Encodable {
        let owner_id: Int64
        let requests_per_second: Int
        let burst: Int
        let payos_requests_per_second: Int
        let payos_burst: Int
        /// `true` when no limit was set for this owner (the configured defaults apply).
        let is_default: Bool
        /// `true` when the payOS cap is the configured default.
        let payos_is_default: Bool
        /// `null` for defaults, always present.
        @AlwaysPresent var updated_at: String?
        /// Live gateway instances; each enforces 1/`live_instances` of the limit.
        let live_instances: Int
    }

    /// `PUT` body: `{requests_per_second, burst, payos_requests_per_second?, payos_burst?}`, whole numbers.
    struct RateLimitRequest: Decodable {
        let requestsPerSecond: Int
        let burst: Int
        let payOSRequestsPerSecond: Int?
        let payOSBurst: Int?

        enum CodingKeys: String, CodingKey {
            case requests_per_second, burst, payos_requests_per_second, payos_burst
        }

        init(from decoder: any Decoder) throws {
            guard let container = try? decoder.container(keyedBy: CodingKeys.self) else {
                throw APIError.validation("the body must be a JSON object with requests_per_second and burst")
            }
            func integer(_ key: CodingKeys, required: Bool) throws -> Int? {
                guard container.contains(key), !(try container.decodeNil(forKey: key)) else {
                    if required { throw APIError.validation("\(key.stringValue) is required") }
                    return nil
                }
                guard let value = try? container.decode(Int.self, forKey: key) else {
                    throw APIError.validation("\(key.stringValue) must be a whole number")
                }
                return value
            }
            requestsPerSecond = try integer(.requests_per_second, required: true) ?? 0
            burst = try integer(.burst, required: true) ?? 0
            payOSRequestsPerSecond = try integer(.payos_requests_per_second, required: false)
            payOSBurst = try integer(.payos_burst, required: false)
        }
    }

    @Sendable func rateLimit(request: Request, context: AdminRequestContext) async throws -> JSONResponse<RateLimitBody> {
        let owner = try Self.ownerID(context)
        return JSONResponse(rateLimitBody(owner, try await operations.rateLimit(owner: owner, logger: context.logger)))
    }

    @Sendable func setRateLimit(request: Request, context: AdminRequestContext) async throws -> JSONResponse<RateLimitBody> {
        let owner = try Self.ownerID(context)
        // An unknown owner is 404 whatever the body.
        _ = try await operations.requireOwner(owner, logger: context.logger)
        let body = try await request.decodeJSON(as: RateLimitRequest.self, context: context, limit: 16 * 1024)
        try await operations.setRateLimit(
            owner: owner, requestsPerSecond: body.requestsPerSecond, burst: body.burst,
            payOS: .set(requestsPerSecond: body.payOSRequestsPerSecond, burst: body.payOSBurst), audit: context.audit, logger: context.logger)
        return JSONResponse(rateLimitBody(owner, operations.effectiveRateLimit(owner: owner)))
    }

    private func rateLimitBody(_ owner: OwnerID, _ effective: EffectiveRateLimit) -> RateLimitBody {
        RateLimitBody(
            owner_id: owner.rawValue, requests_per_second: Int(effective.requests.requestsPerSecond.rounded()), burst: effective.requests.burst,
            payos_requests_per_second: Int(effective.payOS.requestsPerSecond.rounded()), payos_burst: effective.payOS.burst,
            is_default: effective.isDefault, payos_is_default: effective.payOSIsDefault,
            updated_at: effective.updatedAt.map(APITime.format), live_instances: operations.liveInstances)
    }
}
