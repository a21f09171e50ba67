// Copyright (c) the Gatehouse authors
import Admin
import Foundation
import GatehouseTestSupport
import GatehouseApp
import HTTPTypes
import PayOS
import Storage
import StorageTestSupport
import Tenancy
import Testing
import Vault
import GatehouseCore

/// Flagged payments as Payments leaves them (v7 columns), written directly so each test controls times and amounts.
enum RefundFixtures {
    struct Flag {
        var owner: OwnerID
        var orderCode: Int64
        var amount: Int64 = 500_000
        var paid: Int64 = 500_000
        var reason: String? = "paid_after_cancel"
        var flaggedAgo: Int64 = 60_000
        /// `nil`: the payment has no customer fields and the renter row answers.
        var customer: (name: String, email: String, phone: String?)? = ("Nguyễn Văn An", "an@example.vn", "0901234567")
        var status = "cancelled"
    }

    /// Inserts a renter, a booking and a payment; returns the payment id and its flag time (Unix ms).
    @discardableResult
    static func insert(_ h: AdminHarness, _ f: Flag) async throws -> (id: Int64, flaggedAt: Int64) {
        let db = h.components.database, now = h.components.clock.now()
        let renter = try #require(
            try await db.execute(
                "INSERT INTO renter (owner_id, name, email, phone, created_at) VALUES (\(f.owner), 'Trần Thị Bình', 'binh@example.vn', '0912000111', 0)",
                logger: h.logger
            ).lastInsertID)
        let booking = try #require(
            try await db.execute(
                """
                INSERT INTO booking (owner_id, renter_id, room_title, start_time, end_time, amount, created_at, updated_at)
                VALUES (\(f.owner), \(renter), 'Phòng 101', 0, 1, \(f.amount), 0, 0)
                """, logger: h.logger
            ).lastInsertID)
        let flaggedAt = now - f.flaggedAgo
        let id = try #require(
            try await db.execute(
                """
                INSERT INTO payment (payment_code, order_code, amount, amount_paid, status, renter_token_hash, expires_at, created_at,
                    updated_at, booking_id, owner_id, renter_id, customer_name, customer_email, customer_phone, refund_reason, refund_flagged_at)
                VALUES (\("PAY-R\(f.orderCode)"), \(f.orderCode), \(f.amount), \(f.paid), \(f.status), \([UInt8](repeating: 2, count: 32)), 0,
                    \(flaggedAt - 600_000), \(flaggedAt), \(booking), \(f.owner), \(renter), \(f.customer?.name), \(f.customer?.email),
                    \(f.customer?.phone), \(f.reason), \(f.reason == nil ? nil : flaggedAt))
                """, logger: h.logger
            ).lastInsertID)
        return (id, flaggedAt)
    }
}

extension AdminSuites {
    /// `GET /admin/refunds` and `POST /admin/refunds/{id}/resolve`: money owed back to renters, listed and recorded as paid back.
    @Suite struct AdminRefundTests {
        @Test(arguments: TestDatabases.backends)
        func refundsAreListedNewestFlaggedFirstByStateAndOwnerInPagesWithOpenTotals(backend: TestBackend) async throws {
            try await AdminHarness.run(backend) { h in
                let a = h.ownerA.id, b = h.ownerB.id
                let oldest = try await RefundFixtures.insert(h, .init(owner: a, orderCode: 9001, flaggedAgo: 300_000))
                // Two flagged in the same millisecond: the id orders them.
                let tieLow = try await RefundFixtures.insert(
                    h, .init(owner: a, orderCode: 9002, paid: 200_000, reason: "underpaid", flaggedAgo: 200_000, customer: nil, status: "failed"))
                let tieHigh = try await RefundFixtures.insert(h, .init(owner: a, orderCode: 9003, reason: "paid_after_expiry", flaggedAgo: 200_000))
                let ofB = try await RefundFixtures.insert(h, .init(owner: b, orderCode: 9004, amount: 1_250_000, paid: 1_250_000, flaggedAgo: 100_000))
                try await RefundFixtures.insert(h, .init(owner: a, orderCode: 9005, reason: nil, status: "success"))  // owes nothing

                let open = try await h.get("/admin/refunds")
                #expect(open.status == .ok)
                let rows = try #require(open.json?["refunds"]?.arrayValue)
                #expect(rows.map { $0["payment_id"]?.int64Value } == [ofB.id, tieHigh.id, tieLow.id, oldest.id])
                #expect(open.json?["open"]?["count"]?.int64Value == 4)
                #expect(open.json?["open"]?["amount"]?.int64Value == 2_450_000)  // 500,000 + 200,000 + 500,000 + 1,250,000
                #expect(open.json?["next_before"] == nil)

                let first = try #require(rows.first)
                #expect(first["payment_code"] == "PAY-R9004" && first["order_code"]?.int64Value == 9004)
                #expect(first["owner"]?["id"]?.int64Value == b.rawValue && first["owner"]?["name"] == "Căn hộ Bình Minh")
                #expect(first["renter"]?["name"] == "Nguyễn Văn An" && first["renter"]?["email"] == "an@example.vn")
                #expect(first["renter"]?["phone"] == "0901234567")
                #expect(first["amount"]?.int64Value == 1_250_000 && first["amount_to_refund"]?.int64Value == 1_250_000)
                #expect(first["reason"] == "paid_after_cancel" && first["status"] == "cancelled")
                #expect(first["flagged_at"]?.stringValue.flatMap(APITimeParse.parse) == ofB.flaggedAt / 1000 * 1000)
                #expect(first["resolved_at"] == nil)
                // Underpaid: the amount received is what is owed; without customer fields the renter row answers.
                let underpaid = try #require(rows.first { $0["payment_id"]?.int64Value == tieLow.id })
                #expect(underpaid["amount"]?.int64Value == 500_000 && underpaid["amount_to_refund"]?.int64Value == 200_000)
                #expect(underpaid["renter"]?["name"] == "Trần Thị Bình" && underpaid["renter"]?["phone"] == "0912000111")

                let onlyA = try await h.get("/admin/refunds?owner_id=\(a.rawValue)")
                #expect(onlyA.json?["refunds"]?.arrayValue?.map { $0["payment_id"]?.int64Value } == [tieHigh.id, tieLow.id, oldest.id])
                #expect(onlyA.json?["open"]?["count"]?.int64Value == 3)
                #expect(try await h.get("/admin/refunds?owner_id=999999").json?["refunds"]?.arrayValue?.isEmpty == true)

                // Pages of two: every row once, in order, across the tie.
                var seen: [Int64?] = []
                var path = "/admin/refunds?state=all&limit=2"
                for _ in 0..<4 {
                    let page = try await h.get(path)
                    seen += page.json?["refunds"]?.arrayValue?.map { $0["payment_id"]?.int64Value } ?? []
                    guard let next = page.json?["next_before"]?.stringValue else { break }
                    path = "/admin/refunds?state=all&limit=2&before=\(next)"
                }
                #expect(seen == [ofB.id, tieHigh.id, tieLow.id, oldest.id])

                #expect(try await h.get("/admin/refunds?state=resolved").json?["refunds"]?.arrayValue?.isEmpty == true)
                let metrics = try await h.get("/admin/metrics")
                #expect(metrics.json?["refunds_due"]?["count"]?.int64Value == 4)
                #expect(metrics.json?["refunds_due"]?["amount"]?.int64Value == 2_450_000)
                #expect(try await h.get("/admin/metrics?owner=\(b.rawValue)").json?["refunds_due"]?["amount"]?.int64Value == 1_250_000)

                for bad in ["state=closed", "limit=0", "limit=501", "owner_id=abc", "owner_id=-1", "before=yesterday", "before=5-0"] {
                    let refused = try await h.get("/admin/refunds?\(bad)")
                    #expect(refused.status == .badRequest, "\(bad)")
                    #expect(refused.errorCode == "VALIDATION_ERROR", "\(bad)")
                }
            }
        }

        @Test(arguments: TestDatabases.backends)
        func resolvingRecordsTheRefundOnceWithItsAuditRowAndRefusesPaymentsThatOweNothing(backend: TestBackend) async throws {
            try await AdminHarness.run(backend) { h in
                let owed = try await RefundFixtures.insert(h, .init(owner: h.ownerA.id, orderCode: 9101, paid: 300_000, reason: "underpaid"))
                let other = try await RefundFixtures.insert(h, .init(owner: h.ownerB.id, orderCode: 9102))
                let clean = try await RefundFixtures.insert(h, .init(owner: h.ownerA.id, orderCode: 9103, reason: nil, status: "success"))

                let resolved = try await h.post("/admin/refunds/\(owed.id)/resolve")
                #expect(resolved.status == .ok)
                #expect(resolved.json?["success"] == true)
                let resolvedAt = try #require(resolved.json?["refund"]?["resolved_at"]?.stringValue)
                #expect(resolved.json?["refund"]?["amount_to_refund"]?.int64Value == 300_000)
                let stored = try await h.components.database.query(
                    "SELECT refund_resolved_at FROM payment WHERE id = \(owed.id)", logger: h.logger
                ).first?.decodeIfPresent("refund_resolved_at", as: Int64.self)
                #expect(stored != nil)

                let rows = try await h.auditRows(action: AdminOperations.AuditAction.resolveRefund)
                #expect(rows.count == 1)
                let row = try #require(rows.first)
                #expect(row.action == "payment.refund_resolved")
                #expect(row.ownerID == h.ownerA.id.rawValue && row.actor == "admin:\(h.adminToken.prefix)")
                #expect(row.requestID == resolved.requestID)
                #expect(row.detail == #"{"amount":300000,"payment_id":\#(owed.id),"reason":"underpaid"}"#)

                // Again: the same answer, nothing changed, nothing audited.
                let again = try await h.post("/admin/refunds/\(owed.id)/resolve")
                #expect(again.status == .ok)
                #expect(again.json?["refund"]?["resolved_at"]?.stringValue == resolvedAt)
                #expect(try await h.components.database.query(
                    "SELECT refund_resolved_at FROM payment WHERE id = \(owed.id)", logger: h.logger
                ).first?.decodeIfPresent("refund_resolved_at", as: Int64.self) == stored)
                #expect(try await h.auditRows(action: AdminOperations.AuditAction.resolveRefund).count == 1)

                for id in ["\(clean.id)", "999999", "0", "abc"] {
                    let refused = try await h.post("/admin/refunds/\(id)/resolve")
                    #expect(refused.status == .notFound, "\(id)")
                    #expect(refused.errorCode == "NOT_FOUND", "\(id)")
                }
                #expect(try await h.auditRows(action: AdminOperations.AuditAction.resolveRefund).count == 1)

                let open = try await h.get("/admin/refunds")
                #expect(open.json?["refunds"]?.arrayValue?.map { $0["payment_id"]?.int64Value } == [other.id])
                #expect(open.json?["open"]?["count"]?.int64Value == 1 && open.json?["open"]?["amount"]?.int64Value == 500_000)
                let done = try await h.get("/admin/refunds?state=resolved")
                #expect(done.json?["refunds"]?.arrayValue?.map { $0["payment_id"]?.int64Value } == [owed.id])
                #expect(done.json?["refunds"]?.arrayValue?.first?["resolved_at"]?.stringValue == resolvedAt)
                #expect(try await h.get("/admin/metrics").json?["refunds_due"]?["count"]?.int64Value == 1)
                #expect(try await AuditLog().verify(database: h.components.database, logger: h.logger).isIntact)
            }
        }

        @Test(arguments: TestDatabases.backends)
        func theRefundRoutesRefuseCallersWithoutAnAdminToken(backend: TestBackend) async throws {
            try await AdminHarness.run(backend, environment: TestGatehouse.sweepingWrongCredentials) { h in
                let owed = try await RefundFixtures.insert(h, .init(owner: h.ownerA.id, orderCode: 9201))
                let callers: [(String, HTTPFields)] = [
                    ("no token", [:]), ("owner A's API key", h.ownerA.bearer), ("owner B's API key", h.ownerB.bearer),
                    ("a forged admin token", [.authorization: "Bearer gha_\(h.adminToken.prefix)_" + String(repeating: "a", count: 52)]),
                ]
                for (what, headers) in callers {
                    for (method, path) in [(HTTPRequest.Method.get, "/admin/refunds"), (.post, "/admin/refunds/\(owed.id)/resolve")] {
                        let refused = try await h.request(method, path, headers: headers)
                        #expect(refused.status == .unauthorized, "\(what): \(method) \(path)")
                        #expect(refused.errorCode == "UNAUTHORIZED", "\(what): \(method) \(path)")
                    }
                }
                #expect(try await h.get("/admin/refunds?state=open").json?["open"]?["count"]?.int64Value == 1)
                #expect(try await h.auditRows(action: AdminOperations.AuditAction.resolveRefund).isEmpty)
            }
        }
    }
}
