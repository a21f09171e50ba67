// Copyright (c) the Gatehouse authors
@testable import Admin
import GatehouseHTTP
import GatehouseApp
import GatehouseTestSupport
import HTTPTypes
import GatehouseCore
import StorageTestSupport
import Testing
import Vault

extension AdminSuites {
    /// Dashboard times are Vietnam time (UTC+7) with the UTC instant in the element's `title`; the audit trail's date
    /// filters are Vietnam days (17:00Z the day before → 17:00Z).
    @Suite struct DashboardTimeTests {
        /// 2026-12-01 16:30:00Z = 23:30 on 1 Dec in Vietnam; the other rows sit just inside and outside that Vietnam day.
        static let rows: [(action: String, at: Int64)] = [
            ("test.vn_day_before", 1_796_057_940_000),  // 2026-11-30 16:59Z = 23:59 on 30 Nov in Vietnam
            ("test.vn_day_start", 1_796_058_600_000),  // 2026-11-30 17:10Z = 00:10 on 1 Dec in Vietnam
            ("test.vn_day_late", 1_796_142_600_000),  // 2026-12-01 16:30Z = 23:30 on 1 Dec in Vietnam
            ("test.vn_day_after", 1_796_146_200_000),  // 2026-12-01 17:30Z = 00:30 on 2 Dec in Vietnam
        ]

        static func appendRows(_ h: AdminHarness) async throws {
            for row in rows {
                try await AuditLog(clock: WallClock { row.at }).append(
                    AuditEntry(actor: "test:time", ownerID: nil, action: row.action), database: h.components.database, logger: h.logger)
            }
        }

        @Test(arguments: TestDatabases.backends)
        func aTimeShowsVietnamTimeWithTheUTCInstantInItsTitle(backend: TestBackend) async throws {
            try await AdminHarness.run(backend) { h in
                try await Self.appendRows(h)
                let browser = try await DashboardTests.signIn(h)
                let en = try await h.request(.get, "/admin/dashboard/audit?action=test.vn_day_late&lang=en", headers: browser.headers)
                #expect(en.body.contains(#"<time datetime="2026-12-01T16:30:00Z" title="2026-12-01T16:30:00Z UTC">23:30, 1 Dec 2026</time>"#))
                #expect(en.body.contains("Time (Vietnam, UTC+7)"))
                let vi = try await h.request(.get, "/admin/dashboard/audit?action=test.vn_day_late&lang=vi", headers: browser.headers)
                #expect(vi.body.contains(#"<time datetime="2026-12-01T16:30:00Z" title="2026-12-01T16:30:00Z UTC">23:30 01/12/2026</time>"#))
                #expect(!vi.body.contains("(UTC)"))
            }
        }

        @Test(arguments: TestDatabases.backends)
        func theAuditFiltersTakeVietnamDates(backend: TestBackend) async throws {
            try await AdminHarness.run(backend) { h in
                try await Self.appendRows(h)
                let browser = try await DashboardTests.signIn(h)
                let day = try await h.request(.get, "/admin/dashboard/audit?from=2026-12-01&to=2026-12-01", headers: browser.headers)
                #expect(day.status == .ok)
                #expect(day.body.contains("test.vn_day_start") && day.body.contains("test.vn_day_late"))
                #expect(!day.body.contains("test.vn_day_before") && !day.body.contains("test.vn_day_after"))
                // The form shows the dates back, as date inputs.
                #expect(day.body.contains(#"<input type="date" name="from" value="2026-12-01">"#))
                let next = try await h.request(.get, "/admin/dashboard/audit?from=2026-12-02", headers: browser.headers)
                #expect(next.body.contains("test.vn_day_after") && !next.body.contains("test.vn_day_late"))
                for bad in ["from=2026-02-30", "to=2026-13-01", "from=01/12/2026", "from=2026-12-1"] {
                    let refused = try await h.request(.get, "/admin/dashboard/audit?\(bad)", headers: browser.headers)
                    #expect(refused.status == .badRequest, "\(bad)")
                }
            }
        }

        @Test func aVietnamDayRunsFrom17ZTheDayBeforeTo17Z() {
            #expect(PageTime.bound("2026-12-01", endOfDay: false) == 1_796_058_000_000)  // 2026-11-30T17:00:00Z
            #expect(PageTime.bound("2026-12-01", endOfDay: true) == 1_796_144_400_000)  // 2026-12-01T17:00:00Z
            #expect(PageTime.bound("2024-02-29", endOfDay: false) != nil)
            #expect(PageTime.bound("2025-02-29", endOfDay: false) == nil)
            #expect(PageTime.bound("2026-12-01T00:00:00+07:00", endOfDay: true) == 1_796_058_000_000)
        }
    }
}
