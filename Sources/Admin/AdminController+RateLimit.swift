// Copyright (c) the Gatehouse authors
import Foundation
import HTTPTypes
public import Hummingbird
import Logging
import NIOCore
import Storage
import Tenancy
import Vault
import GatehouseCore
public import GatehouseHTTP

/// `PUT` / `GET /admin/owners/{id}/rate-limit`: an owner's request limit (API and renter traffic) and its cap on
/// calls to payOS.
///
/// `endpoints` are relative to the admin group (`owners/{id}/rate-limit`): add them to the `/admin` group behind
/// ``AdminAuthMiddleware``, in ``AdminRequestContext``. The change itself is ``AdminOperations/setRateLimit(owner:requestsPerSecond:burst:payOS:audit:logger:)``
/// (validated, stored with its audit row, applied at once here and within a second on every other instance).
public struct RateLimitController: Sendable {
    let operations: AdminOperations

    public init(operations: AdminOperations) {
        self.operations = operations
    }

    public var endpoints: RouteCollection<AdminRequestContext> {
        let routes = RouteCollection(context: AdminRequestContext.self)
        routes.get("owners/{id}/rate-limit", use: get)
        routes.put("owners/{id}/rate-limit", use: put)
        return routes
    }

    /// The answer of both routes: the owner's effective limits (fleet-wide) and where they come from.
    struct LimitBody: Encodable {
        let owner_id: Int64
        let requests_per_second: Int
        let burst: Int
        let payos_requests_per_second: Int
        let payos_burst: Int
        /// `true` when no limit was set for this owner (the configured defaults apply).
        let is_default: Bool
        /// `true` when the payOS cap is the configured default.
        let payos_is_default: Bool
        let updated_at: String?
        /// Live gateway instances; each enforces 1/`live_instances` of the limit.
        let live_instances: Int

        enum CodingKeys: String, CodingKey {
            case owner_id, requests_per_second, burst, payos_requests_per_second, payos_burst, is_default, payos_is_default, updated_at,
                live_instances
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(owner_id, forKey: .owner_id)
            try container.encode(requests_per_second, forKey: .requests_per_second)
            try container.encode(burst, forKey: .burst)
            try container.encode(payos_requests_per_second, forKey: .payos_requests_per_second)
            try container.encode(payos_burst, forKey: .payos_burst)
            try container.encode(is_default, forKey: .is_default)
            try container.encode(payos_is_default, forKey: .payos_is_default)
            try container.encode(updated_at, forKey: .updated_at)  // null for defaults, always present
            try container.encode(live_instances, forKey: .live_instances)
        }
    }

    /// `PUT` body: `{requests_per_second, burst, payos_requests_per_second?, payos_burst?}`, whole numbers.
    struct PutBody: Decodable {
        let requestsPerSecond: Int
        let burst: Int
        let payOSRequestsPerSecond: Int?
        let payOSBurst: Int?

        enum CodingKeys: String, CodingKey {
            case requests_per_second, burst, payos_requests_per_second, payos_burst
        }

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
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

    @Sendable func get(request: Request, context: AdminRequestContext) async throws -> JSONResponse<LimitBody> {
        let owner = try Self.ownerID(context)
        return JSONResponse(answer(owner, try await operations.rateLimit(owner: owner, logger: context.logger)))
    }

    @Sendable func put(request: Request, context: AdminRequestContext) async throws -> JSONResponse<LimitBody> {
        let owner = try Self.ownerID(context)
        // An unknown owner is 404 whatever the body.
        _ = try await operations.requireOwner(owner, logger: context.logger)
        let body = try await Self.decode(request, context: context)
        try await operations.setRateLimit(
            owner: owner, requestsPerSecond: body.requestsPerSecond, burst: body.burst,
            payOS: .set(requestsPerSecond: body.payOSRequestsPerSecond, burst: body.payOSBurst), audit: context.audit, logger: context.logger)
        return JSONResponse(answer(owner, operations.effectiveRateLimit(owner: owner)))
    }

    private func answer(_ owner: OwnerID, _ effective: EffectiveRateLimit) -> LimitBody {
        LimitBody(
            owner_id: owner.rawValue, requests_per_second: Int(effective.requests.requestsPerSecond.rounded()), burst: effective.requests.burst,
            payos_requests_per_second: Int(effective.payOS.requestsPerSecond.rounded()), payos_burst: effective.payOS.burst,
            is_default: effective.isDefault, payos_is_default: effective.payOSIsDefault,
            updated_at: effective.updatedAt.map(APITime.format), live_instances: operations.liveInstances)
    }

    /// The `{id}` owner id, or 404 `NOT_FOUND`.
    private static func ownerID(_ context: AdminRequestContext) throws -> OwnerID {
        guard let raw = context.parameters.get("id", as: Int64.self), raw > 0 else { throw APIError.notFound("owner") }
        return OwnerID(raw)
    }

    private static func decode(_ request: Request, context: AdminRequestContext) async throws -> PutBody {
        let buffer: ByteBuffer
        do {
            buffer = try await request.body.collect(upTo: 16 * 1024)
        } catch {
            throw APIError.payloadTooLarge
        }
        guard buffer.readableBytes > 0 else { throw APIError.validation("a JSON body is required") }
        do {
            return try JSONDecoder().decode(PutBody.self, from: Data(buffer.readableBytesView))
        } catch let error as APIError {
            throw error
        } catch let error as DecodingError {
            if case .dataCorrupted(let context) = error, context.codingPath.isEmpty {
                throw APIError.validation("the body is not valid JSON")
            }
            throw APIError.validation("the body must be a JSON object with requests_per_second and burst")
        }
    }
}
