// Copyright (c) the Gatehouse authors
import Admin
import Payments
import Foundation
import Gateway
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import PayOS
import Storage
import StorageTestSupport
import Tenancy
import Testing
import GatehouseCore
import GatehouseHTTP

/// `GET /admin/metrics` on a plain router group (authentication is the admin middleware's job, tested with it):
/// exact figures from rows at known times, and a clear 400/404 for every bad parameter.
@Suite struct AdminMetricsAPITests {
    let logger = TestDatabases.logger
    /// 2030-01-15 00:00 in Vietnam.
    static let day0: Int64 = 1_894_640_400_000
    static let hour: Int64 = 3_600_000

    /// Runs `body` against a router holding only the metrics endpoint, over `db`, with "now" at day0 + 2 h.
    func withMetricsAPI(_ db: any SQLDatabase, _ body: @Sendable (any TestClientProtocol) async throws -> Void) async throws {
        let router = Router(context: GatehouseRequestContext.self)
        router.add(middleware: ErrorMiddleware())
        router.group().addRoutes(
            MetricsController<GatehouseRequestContext>(
                metrics: PaymentMetrics(database: db), owners: OwnerRepository(database: db), now: { Self.day0 + 2 * Self.hour }
            ).endpoints)
        try await Application(router: router, logger: logger).test(.router) { try await body($0) }
    }

    func insertPayment(_ db: any SQLDatabase, owner: OwnerID, orderCode: Int64, createdAt: Int64, status: String, paidAfter: Int64?) async throws {
        let renter = try await db.execute(
            "INSERT INTO renter (owner_id, name, email, created_at) VALUES (\(owner), 'R', 'r@example.vn', 0)", logger: logger
        ).lastInsertID!
        let booking = try await db.execute(
            """
            INSERT INTO booking (owner_id, renter_id, room_title, start_time, end_time, amount, created_at, updated_at)
            VALUES (\(owner), \(renter), 'Room', 0, 1, 500000, 0, 0)
            """, logger: logger
        ).lastInsertID!
        try await db.execute(
            """
            INSERT INTO payment (payment_code, order_code, amount, status, settled_by, renter_token_hash, expires_at, created_at, updated_at,
                paid_at, booking_id, owner_id, renter_id)
            VALUES (\("PAY-\(orderCode)"), \(orderCode), 500000, \(status), \(paidAfter == nil ? nil : "webhook"), \([UInt8](repeating: 1, count: 32)),
                0, \(createdAt), \(createdAt), \(paidAfter.map { createdAt + $0 }), \(booking), \(owner), \(renter))
            """, logger: logger)
    }

    func get(_ client: some TestClientProtocol, _ query: String) async throws -> (HTTPResponse.Status, JSONValue?) {
        try await client.execute(uri: "/admin/metrics" + query, method: .get) { response in
            (response.status, try? JSONValue(parsing: Array(response.body.readableBytesView)))
        }
    }

    /// Whether a key is missing from the answer (an omitted optional).
    static func absent(_ value: JSONValue?) -> Bool {
        if case .none = value { return true }
        return false
    }

    // MARK: Tests

    @Test(arguments: TestDatabases.backends)
    func reportsExactFiguresByHourAndOwner(backend: TestBackend) async throws {
        try await withTestDatabase(backend) { db in
            let owners = OwnerRepository(database: db)
            let a = try await owners.create(name: "A", email: "a@example.vn", logger: logger).id
            let b = try await owners.create(name: "B", email: "b@example.vn", logger: logger).id
            try await insertPayment(db, owner: a, orderCode: 1, createdAt: Self.day0 + 1, status: "success", paidAfter: 45_000)
            try await insertPayment(db, owner: a, orderCode: 2, createdAt: Self.day0 + 2, status: "expired", paidAfter: nil)
            try await insertPayment(db, owner: b, orderCode: 3, createdAt: Self.day0 + Self.hour, status: "success", paidAfter: 15_000)
            try await withMetricsAPI(db) { client in
                // Defaults: the last 24 hours by hour, up to "now" (day0 + 2 h).
                let (status, json) = try await get(client, "")
                #expect(status == .ok)
                #expect(json?["bucket"] == "hour")
                #expect(json?["bucket_time_zone"] == "+07:00")
                #expect(json?["buckets"]?.arrayValue?.count == 24)
                #expect(json?["total"]?["payments_created"] == 3)
                #expect(json?["total"]?["success_rate_percent"] == .double(66.67))
                #expect(json?["total"]?["average_processing_ms"] == 30_000)
                #expect(json?["owners"]?.arrayValue?.map { $0["owner_id"] } == [.int(a.rawValue), .int(b.rawValue)])
                #expect(json?["unattributed_invalid_signatures"] == 0)

                let (_, onlyA) = try await get(client, "?owner=\(a)&from=2030-01-15T00:00:00%2B07:00&to=2030-01-15T02:00:00%2B07:00")
                #expect(onlyA?["owner"] == .int(a.rawValue))
                #expect(Self.absent(onlyA?["owners"]))
                let buckets = try #require(onlyA?["buckets"]?.arrayValue)
                #expect(buckets.map { $0["start"] } == ["2030-01-14T17:00:00Z", "2030-01-14T18:00:00Z"])
                #expect(buckets[0]["payments_by_status"]?["success"] == 1)
                #expect(buckets[0]["payments_by_status"]?["expired"] == 1)
                #expect(buckets[0]["success_rate_percent"] == 50)
                #expect(buckets[0]["average_processing_ms"] == 45_000)
                #expect(buckets[1]["payments_created"] == 0)
                #expect(Self.absent(buckets[1]["success_rate_percent"]))

                let (_, days) = try await get(client, "?bucket=day&from=2030-01-14T00:00:00%2B07:00&to=2030-01-16T00:00:00%2B07:00")
                #expect(days?["buckets"]?.arrayValue?.map { $0["payments_created"] } == [0, 3])
            }
        }
    }

    @Test(arguments: TestDatabases.backends)
    func badParametersAreRefusedWithAStableCode(backend: TestBackend) async throws {
        try await withTestDatabase(backend) { db in
            try await withMetricsAPI(db) { client in
                for query in [
                    "?bucket=week", "?owner=abc", "?owner=-1", "?from=yesterday", "?to=2030-01-15", "?from=2030-01-15T00:00:00Z&to=2030-01-15T00:00:00Z",
                    "?from=2030-01-01T00:00:00Z&to=2030-03-01T00:00:00Z",
                ] {
                    let (status, json) = try await get(client, query)
                    #expect(status == .badRequest, "\(query)")
                    #expect(json?["code"] == "VALIDATION_ERROR", "\(query)")
                }
                let (status, json) = try await get(client, "?owner=424242")
                #expect(status == .notFound)
                #expect(json?["code"] == "NOT_FOUND")
            }
        }
    }
}
