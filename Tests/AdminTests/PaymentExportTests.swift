// Copyright (c) the Gatehouse authors
import Admin
import Payments
import Foundation
import Synchronization
import GatehouseTestSupport
import GatehouseApp
import HTTPTypes
import Storage
import StorageTestSupport
import Tenancy
import Testing
import Vault
import GatehouseCore

extension AdminSuites {
    /// `GET /admin/payments/export.csv`: Vietnam-day ranges, one owner or all, spreadsheet-safe CSV, batches, audit.
    @Suite struct PaymentExportTests {
        /// A payment of `owner` created at `createdAt` (Unix ms), with text fields a spreadsheet must read as text.
        static func payment(
            _ h: AdminHarness, owner: OwnerID, orderCode: Int64, createdAt: Int64, name: String = "Nguyễn Văn An", description: String = "D123"
        ) async throws -> Int64 {
            let id = try await RefundFixtures.insert(h, .init(owner: owner, orderCode: orderCode, reason: nil, status: "success")).id
            try await h.components.database.execute(
                "UPDATE payment SET created_at = \(createdAt), customer_name = \(name), description = \(description) WHERE id = \(id)",
                logger: h.logger)
            return id
        }

        /// 2026-11-30 in Vietnam is [2026-11-29T17:00Z, 2026-11-30T17:00Z).
        static let dayStart: Int64 = 1_795_971_600_000

        static func records(_ body: String) -> [String] {
            body.components(separatedBy: "\r\n").filter { !$0.isEmpty }
        }

        @Test(arguments: TestDatabases.backends)
        func anExportHoldsTheVietnamDaysPaymentsOfTheOwnerAsSpreadsheetSafeCSVAndIsAudited(backend: TestBackend) async throws {
            try await AdminHarness.run(backend) { h in
                let a = h.ownerA.id, b = h.ownerB.id
                _ = try await Self.payment(h, owner: a, orderCode: 1, createdAt: Self.dayStart - 1)  // 23:59:59.999 the day before
                let first = try await Self.payment(
                    h, owner: a, orderCode: 2, createdAt: Self.dayStart, name: "=HYPERLINK(\"http://x\")", description: "Coc, phong 101")
                let last = try await Self.payment(h, owner: a, orderCode: 3, createdAt: Self.dayStart + 86_400_000 - 1_800_000)  // 23:30
                _ = try await Self.payment(h, owner: a, orderCode: 4, createdAt: Self.dayStart + 86_400_000 + 1_800_000)  // 00:30 next day
                let ofB = try await Self.payment(h, owner: b, orderCode: 5, createdAt: Self.dayStart + 3_600_000)

                let response = try await h.get("/admin/payments/export.csv?from=2026-11-30&to=2026-11-30&owner_id=\(a.rawValue)")
                #expect(response.status == .ok)
                #expect(response.headers[.contentType] == "text/csv; charset=utf-8")
                #expect(response.headers[.contentDisposition] == "attachment; filename=\"gatehouse-payments-2026-11-30-to-2026-11-30-owner-\(a.rawValue).csv\"")
                #expect(response.body.hasPrefix("\u{FEFF}payment_id,payment_code,order_code,owner_id,owner_name,"))
                let rows = Self.records(response.body).dropFirst()
                let ids: [String] = rows.map { String($0.prefix { $0 != "," }) }
                #expect(ids == [String(first), String(last)])
                let firstRow = try #require(rows.first)
                #expect(firstRow.contains(#""'=HYPERLINK(""http://x"")""#))  // defused and quoted
                #expect(firstRow.contains(#""Coc, phong 101""#))
                #expect(firstRow.contains(",500000,500000,success,false,"))  // integers of VND
                #expect(firstRow.hasSuffix(",2026-11-30T00:00:00+07:00,"))  // Vietnam time; never paid_at
                #expect(rows.last?.contains("Nguyễn Văn An") == true)

                let everyone = try await h.get("/admin/payments/export.csv?from=2026-11-30&to=2026-11-30")
                let everyoneIDs: [String] = Self.records(everyone.body).dropFirst().map { String($0.prefix { $0 != "," }) }
                #expect(everyoneIDs == [String(first), String(ofB), String(last)])

                let audits = try await h.auditRows(action: "admin.payments.export")
                #expect(audits.count == 2)
                #expect(Set(audits.map(\.ownerID)) == [a.rawValue, nil])
                let expectedDetail = "{\"from\":\(Self.dayStart),\"owner_id\":\(a.rawValue),\"to\":\(Self.dayStart + 86_400_000)}"
                #expect(audits.first { $0.ownerID == a.rawValue }?.detail == expectedDetail)
            }
        }

        @Test(arguments: TestDatabases.backends)
        func anExportIsReadInBatchesEachRowOnceInOrder(backend: TestBackend) async throws {
            try await AdminHarness.run(backend) { h in
                var ids: [Int64] = []
                // Two share a creation time: the id breaks the tie across a batch boundary.
                for (index, at) in [0, 10, 10, 20, 30].enumerated() {
                    ids.append(try await Self.payment(h, owner: h.ownerA.id, orderCode: Int64(100 + index), createdAt: Self.dayStart + Int64(at)))
                }
                let chunks = Mutex<[String]>([])
                let count = try await PaymentExport(database: h.components.database, batchSize: 2).write(
                    .init(owner: nil, from: Self.dayStart, to: Self.dayStart + 86_400_000), logger: h.logger
                ) { chunk in chunks.withLock { $0.append(chunk) } }
                let written = chunks.withLock { $0 }
                #expect(count == 5)
                // The header, then batches of at most two rows: memory holds one batch, whatever the export's size.
                #expect(written.map { Self.records($0).count } == [1, 2, 2, 1])
                let exported: [String] = written.dropFirst().flatMap(Self.records).map { String($0.prefix { $0 != "," }) }
                #expect(exported == ids.map(String.init))
            }
        }

        @Test(arguments: TestDatabases.backends)
        func badRangesAreRefusedWithAStableCodeAndNothingIsAudited(backend: TestBackend) async throws {
            try await AdminHarness.run(backend) { h in
                for query in [
                    "", "from=2026-11-30", "from=2026-11-30&to=2026-11-3", "from=2026-02-30&to=2026-03-01", "from=2026-12-02&to=2026-12-01",
                    "from=2025-01-01&to=2026-12-31", "from=2026-11-30&to=2026-11-30&owner_id=0", "from=30/11/2026&to=2026-11-30",
                ] {
                    let response = try await h.get("/admin/payments/export.csv?\(query)")
                    #expect(response.status == .badRequest, "\(query)")
                    #expect(response.errorCode == "VALIDATION_ERROR", "\(query)")
                }
                for headers in [HTTPFields(), h.ownerA.bearer] {
                    let refused = try await h.request(.get, "/admin/payments/export.csv?from=2026-11-30&to=2026-11-30", headers: headers)
                    #expect(refused.status == .unauthorized)
                }
                #expect(try await h.auditRows(action: "admin.payments.export").isEmpty)
            }
        }
    }
}
