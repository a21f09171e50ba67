// Copyright (c) the Gatehouse authors
import Admin
import Foundation
import GatehouseApp
import GatehouseCore
import GatehouseTestSupport
import HTTPTypes
import Payments
import Storage
import StorageTestSupport
import Tenancy
import Testing

extension AdminSuites {
    /// The platform-scale admin pages: the payment rollup, the owners list (search, sorts, keyset pages, windows) and the
    /// overview's figures, on both backends.
    @Suite struct AdminScaleTests {
        // MARK: Rollup

        @Test(arguments: TestDatabases.backends)
        func theRollupEqualsADirectAggregateAfterCreatesAndSettlements(backend: TestBackend) async throws {
            try await AdminHarness.run(backend) { h in
                let c = h.components, audit = AuditContext(actor: "test")
                var ids: [PaymentID] = []
                for index in 0..<7 {
                    let start = (c.clock.now() / 86_400_000 + 2 + Int64(index)) * 86_400_000
                    let (booking, _) = try await c.bookings.create(
                        owner: h.ownerA.id,
                        NewBooking(
                            roomTitle: "Phòng \(index)", startTime: start, endTime: start + 3_600_000, amount: 200_000 + Int64(index) * 1_000,
                            renterName: "Khách", renterEmail: "k\(index)@example.vn", renterPhone: nil), logger: h.logger)
                    ids.append(try await c.payments.createPayment(owner: h.ownerA.id, PaymentRequest(bookingID: booking.id), idempotencyKey: nil, audit: audit, logger: h.logger).payment.id)
                }
                let events: [PaymentEvent] = [
                    .paid(totalPaid: 200_000, source: .webhook), .paid(totalPaid: 201_500, source: .webhook),
                    .paid(totalPaid: 202_000, source: .reconciliation), .expired(source: .reconciliation), .cancelled(source: .webhook),
                    .paid(totalPaid: 100, source: .webhook),  // partial: stays pending
                ]
                let created = ids
                // Through the settlement, which keeps the rollup in the same transaction as the state change.
                for (id, event) in zip(created, events) {
                    try await c.payments.settlement.settle(id, event: event, reference: nil, logger: h.logger)
                }
                // A second event on a settled payment changes nothing, and counts nothing twice.
                try await c.payments.settlement.settle(created[0], event: .paid(totalPaid: 200_000, source: .reconciliation), reference: nil, logger: h.logger)
                let direct = try await AdminScaleFixture.directAggregate(c.database, logger: h.logger)
                let rollup = try await AdminScaleFixture.rollup(c.database, logger: h.logger)
                #expect(rollup == direct)
                let total = rollup.reduce(into: [Int64](repeating: 0, count: 5)) { sum, row in for i in 0..<5 { sum[i] += row[i + 2] } }
                #expect(total == [7, 3, 200_000 + 201_500 + 202_000, 2, 1])
                // The backfill (the v8 migration's statements) computes the same rows from the payments alone.
                try await PaymentRollup.rebuild(database: c.database, logger: h.logger)
                #expect(try await AdminScaleFixture.rollup(c.database, logger: h.logger) == direct)
            }
        }

        // MARK: Owners list

        /// Ten owners besides the harness's two: rates, volumes and last payments that differ, and ties (several owners
        /// with no payment, two with the same volume).
        static func seedOwners(_ h: AdminHarness) async throws -> AdminScaleFixture {
            let f = AdminScaleFixture(db: h.components.database, logger: h.logger, now: h.components.clock.now())
            let hour = AdminScaleFixture.hour, day = AdminScaleFixture.day
            // "Today" is the Vietnam calendar day: payments meant for it are placed within the part of it already gone
            // (scaled down, in the same order, in its first 3 hours), so the 1-day figures hold at any hour of the run.
            let sinceVietnamMidnight = (f.now + MetricsBucket.zoneOffsetMillis) % day
            func today(_ ago: Int64) -> Int64 { min(ago, ago * sinceVietnamMidnight / (3 * hour)) }
            for index in 1...10 {
                let t = try await f.tenant("Chủ \(index) Lotus", email: "chu\(index)@lotus.vn")
                switch index {
                case 1: try await f.payments(t, count: 4, ago: today(hour), status: "success", amount: 100_000)  // 100 %, 400k
                case 2:
                    try await f.payments(t, count: 1, ago: today(2 * hour), status: "success", amount: 400_000)  // 50 %, 400k (volume tie with 1)
                    try await f.payments(t, count: 1, ago: today(2 * hour), status: "expired")
                case 3: try await f.payments(t, count: 3, ago: 3 * day, status: "failed")  // 0 % in 7 d; nothing today
                case 4:
                    try await f.payments(t, count: 1, ago: 20 * day, status: "success", amount: 9_000_000)  // only in 30 d
                case 5: try await f.payments(t, count: 2, ago: today(30 * 60_000), status: "success", amount: 50_000)
                default: break  // 6–10: no payment (ties on every figure)
                }
            }
            try await f.rollUp()
            try await h.components.adminStats.refresh(logger: h.logger)
            return f
        }

        @Test(arguments: TestDatabases.backends)
        func keysetPagesCoverEverySortInBothDirectionsWithoutDuplicatesOrGaps(backend: TestBackend) async throws {
            try await AdminHarness.run(backend) { h in
                _ = try await Self.seedOwners(h)
                let list = AdminOwnerList(database: h.components.database, refresher: h.components.adminStats)
                for window in [1, 7, 30] {
                    for sort in AdminOwnerList.Sort.allCases {
                        for descending in [false, true] {
                            let all = try await list.page(.init(window: window, sort: sort, descending: descending, limit: 200), logger: h.logger).rows
                            #expect(all.count == 12)
                            // The full order is the sort key, then the id, both in the chosen direction.
                            let expected = all.sorted { a, b in
                                let ka = Self.key(a, sort), kb = Self.key(b, sort)
                                if ka != kb { return descending ? ka > kb : ka < kb }
                                return descending ? a.owner.id.rawValue > b.owner.id.rawValue : a.owner.id.rawValue < b.owner.id.rawValue
                            }
                            #expect(all.map(\.owner.id) == expected.map(\.owner.id), "window \(window) sort \(sort) desc \(descending)")
                            for size in [1, 3, 5] {
                                var seen: [OwnerID] = []
                                var after: AdminOwnerList.Cursor?
                                repeat {
                                    let page = try await list.page(
                                        .init(window: window, sort: sort, descending: descending, after: after, limit: size), logger: h.logger)
                                    #expect(page.rows.count <= size)
                                    seen += page.rows.map(\.owner.id)
                                    after = page.next
                                } while after != nil
                                #expect(seen == all.map(\.owner.id), "pages of \(size), sort \(sort) desc \(descending)")
                            }
                        }
                    }
                }
            }
        }

        /// Every `owner_window_stats` row: window, owner → figures and the time the row was written.
        static func statsRows(_ h: AdminHarness) async throws -> [[Int64]: (figures: [Int64], writtenAt: Int64)] {
            var rows: [[Int64]: (figures: [Int64], writtenAt: Int64)] = [:]
            for row in try await h.components.database.query(
                "SELECT window_days, owner_id, created, succeeded, volume_vnd, rate_key, last_payment_at, refreshed_at FROM owner_window_stats",
                logger: h.logger)
            {
                let key: [Int64] = [try row.decode("window_days"), try row.decode("owner_id")]
                rows[key] = (
                    [try row.decode("created"), try row.decode("succeeded"), try row.decode("volume_vnd"), try row.decode("rate_key"),
                     try row.decode("last_payment_at")],
                    try row.decode("refreshed_at")
                )
            }
            return rows
        }

        @Test(arguments: TestDatabases.backends)
        func aRoundWritesOnlyTheOwnersWhoseFiguresChangedAndKeepsItsTimePerWindow(backend: TestBackend) async throws {
            try await AdminHarness.run(backend) { h in
                let f = try await Self.seedOwners(h)
                let db = h.components.database
                let before = try await Self.statsRows(h)
                #expect(before.count == 3 * 12)
                let firstRound = try #require(before.values.map(\.writtenAt).max())
                let list = AdminOwnerList(database: db, refresher: h.components.adminStats)
                for window in AdminStatsRefresher.windows {
                    #expect(try await h.components.adminStats.roundTime(window: window, logger: h.logger) == firstRound)
                }
                // A stale row of an owner that is gone is removed by the next round.
                _ = try await db.execute(
                    """
                    INSERT INTO owner_window_stats (window_days, owner_id, created, succeeded, volume_vnd, rate_key, last_payment_at, refreshed_at)
                    VALUES (7, 9999999, 1, 1, 1, 10000, 1, 1)
                    """, logger: h.logger)

                // Nothing changed: the round writes no owner's row, only its time.
                let quiet = AdminStatsRefresher(database: db, clock: WallClock { firstRound + 1 })
                try await quiet.refresh(logger: h.logger)
                let after = try await Self.statsRows(h)
                #expect(after.count == before.count)
                for (key, row) in before {
                    #expect(after[key]?.figures == row.figures && after[key]?.writtenAt == row.writtenAt, "\(key)")
                }
                for window in AdminStatsRefresher.windows {
                    #expect(try await quiet.roundTime(window: window, logger: h.logger) == firstRound + 1)
                    #expect(try await list.page(.init(window: window), logger: h.logger).refreshedAt == firstRound + 1)
                }

                // One owner's payment: the next round writes that owner's three rows and nothing else.
                let active = try #require(try await h.components.owners.list(logger: h.logger).first { $0.name == "Chủ 7 Lotus" })
                let booking: Int64 = try #require(
                    try await db.query("SELECT id FROM booking WHERE owner_id = \(active.id)", logger: h.logger).first?.decode("id"))
                let renter: Int64 = try #require(
                    try await db.query("SELECT renter_id FROM booking WHERE id = \(booking)", logger: h.logger).first?.decode("renter_id"))
                try await f.payments(
                    AdminScaleFixture.Tenant(owner: active.id, renter: renter, booking: booking), count: 1, ago: 60_000, status: "success",
                    amount: 70_000)
                try await f.rollUp()
                let busy = AdminStatsRefresher(database: db, clock: WallClock { firstRound + 2 })
                try await busy.refresh(logger: h.logger)
                let changed = try await Self.statsRows(h)
                #expect(changed.count == before.count)
                for (key, row) in changed {
                    if key[1] == active.id.rawValue {
                        #expect(row.writtenAt == firstRound + 2)
                        #expect(row.figures == [1, 1, 70_000, 10_000, f.now - 60_000], "window \(key[0])")
                    } else {
                        #expect(row.figures == before[key]?.figures && row.writtenAt == before[key]?.writtenAt, "\(key)")
                    }
                }

                // The rows kept by difference equal the rows a round computes from nothing.
                _ = try await db.execute("DELETE FROM owner_window_stats", logger: h.logger)
                try await AdminStatsRefresher(database: db, clock: WallClock { firstRound + 3 }).refresh(logger: h.logger)
                let fresh = try await Self.statsRows(h)
                #expect(fresh.mapValues(\.figures) == changed.mapValues(\.figures))
            }
        }

        static func key(_ row: AdminOwnerList.Row, _ sort: AdminOwnerList.Sort) -> String {
            func padded(_ v: Int64) -> String { String(format: "%020lld", v + 10) }
            switch sort {
            case .id: return padded(row.owner.id.rawValue)
            case .rate: return padded(row.successRateBasisPoints ?? -1)
            case .volume: return padded(row.volumeVND)
            case .last: return padded(row.lastPaymentAt ?? 0)
            case .status: return row.owner.status.rawValue
            }
        }

        @Test(arguments: TestDatabases.backends)
        func theOwnersPageSearchesSortsPagesAndShowsTheWindowsFigures(backend: TestBackend) async throws {
            try await AdminHarness.run(backend) { h in
                _ = try await Self.seedOwners(h)
                let browser = try await DashboardTests.signIn(h)
                func ids(_ path: String) async throws -> [String] {
                    let page = try await h.request(.get, path, headers: browser.headers)
                    #expect(page.status == .ok, "\(path)")
                    return Self.rowIDs(page.body)
                }
                let byName = try await ids("/admin/dashboard/owners?q=lotus")
                #expect(byName.count == 10)
                let owners = try await h.components.owners.list(logger: h.logger)
                let id = { (name: String) in owners.first { $0.name == name }!.id.rawValue }
                #expect(try await ids("/admin/dashboard/owners?q=CHU3%40LOTUS") == ["\(id("Chủ 3 Lotus"))"])  // e-mail, any case
                #expect(try await ids("/admin/dashboard/owners?q=%23\(id("Chủ 4 Lotus"))") == ["\(id("Chủ 4 Lotus"))"])  // "#id": that one
                #expect(try await ids("/admin/dashboard/owners?q=\(id("Chủ 4 Lotus"))").contains("\(id("Chủ 4 Lotus"))"))  // digits: id or text
                #expect(try await ids("/admin/dashboard/owners?q=%25") == [])  // wildcards are literal
                #expect(try await ids("/admin/dashboard/owners?q=Hoa%20Sen") == ["\(h.ownerA.id.rawValue)"])

                // 7 days, rate descending: 1 (100 %) and 5 (100 %) by id descending, then 2 (50 %), then 3 (0 %).
                let rate = try await ids("/admin/dashboard/owners?window=7&sort=rate&dir=desc")
                #expect(Array(rate.prefix(4)) == ["\(id("Chủ 5 Lotus"))", "\(id("Chủ 1 Lotus"))", "\(id("Chủ 2 Lotus"))", "\(id("Chủ 3 Lotus"))"])
                let rateUp = try await ids("/admin/dashboard/owners?window=7&sort=rate&dir=asc")
                #expect(Array(rateUp.suffix(4)) == Array(rate.prefix(4)).reversed())
                // 30 days, volume descending: 4 (9M) first; 2 and 1 tie at 400k (id descending).
                let volume = try await ids("/admin/dashboard/owners?window=30&sort=volume&dir=desc")
                #expect(Array(volume.prefix(3)) == ["\(id("Chủ 4 Lotus"))", "\(id("Chủ 2 Lotus"))", "\(id("Chủ 1 Lotus"))"])
                let last = try await ids("/admin/dashboard/owners?sort=last&dir=desc")
                #expect(last.first == "\(id("Chủ 5 Lotus"))")
                try await Self.post(h, "/admin/dashboard/owners/\(id("Chủ 6 Lotus"))/suspend", browser)
                #expect(try await ids("/admin/dashboard/owners?sort=status&dir=desc").first == "\(id("Chủ 6 Lotus"))")
                #expect(try await ids("/admin/dashboard/owners?sort=status&dir=asc").last == "\(id("Chủ 6 Lotus"))")

                // The window changes the figures: owner 4's one payment is 20 days old.
                let week = try await h.request(.get, "/admin/dashboard/owners?window=7&q=chu4%40", headers: browser.headers).body
                let month = try await h.request(.get, "/admin/dashboard/owners?window=30&q=chu4%40", headers: browser.headers).body
                #expect(week.contains(#"<td class="payments">0/0</td>"#) && week.contains(#"<td class="rate">—</td>"#))
                #expect(month.contains(#"<td class="payments">1/1</td>"#) && month.contains(#"<td class="rate">100.0%</td>"#))
                let today = try await h.request(.get, "/admin/dashboard/owners?window=1&q=chu2%40", headers: browser.headers).body
                #expect(today.contains(#"<td class="rate">50.0%</td>"#) && today.contains(#"<td class="payments">1/2</td>"#))

                // The HTTP pages link to the next page; following it reaches every owner once.
                var path: String? = "/admin/dashboard/owners?window=7&sort=volume&dir=asc"
                var pages = 0
                while let current = path {
                    let body = try await h.request(.get, current, headers: browser.headers).body
                    pages += 1
                    path = Self.nextHref(body)
                }
                #expect(pages == 1)  // 12 owners fit one page of 50
            }
        }

        static func rowIDs(_ html: String) -> [String] {
            guard let body = html.range(of: "<tbody>"), let end = html.range(of: "</tbody>") else { return [] }
            return html[body.upperBound..<end.lowerBound].components(separatedBy: "<tr>\n<td>").dropFirst().map { String($0.prefix { $0 != "<" }) }
        }

        static func nextHref(_ html: String) -> String? {
            guard let marker = html.range(of: #"" id="next-page""#),
                let open = html.range(of: #"href=""#, options: .backwards, range: html.startIndex..<marker.lowerBound)
            else { return nil }
            return String(html[open.upperBound..<marker.lowerBound]).replacingOccurrences(of: "&amp;", with: "&")
        }

        @discardableResult
        static func post(_ h: AdminHarness, _ path: String, _ browser: DashboardTests.Browser) async throws -> HTTPResult {
            try await DashboardTests.post(h, path, browser)
        }

        // MARK: Overview

        @Test(arguments: TestDatabases.backends)
        func theOverviewShowsThePlatformsFiguresWhatNeedsAttentionAndTheOwnersAtBothEnds(backend: TestBackend) async throws {
            try await AdminHarness.run(backend) { h in
                let f = AdminScaleFixture(db: h.components.database, logger: h.logger, now: h.components.clock.now())
                let hour = AdminScaleFixture.hour, day = AdminScaleFixture.day
                let weak = try await f.tenant("Yếu", email: "weak@example.vn")  // 25 payments, 5 paid: 20 %
                try await f.payments(weak, count: 5, ago: hour, status: "success", amount: 100_000, settledBy: "reconciliation")
                try await f.payments(weak, count: 20, ago: hour, status: "expired")
                let one = try await f.tenant("Một lần", email: "once@example.vn")  // 1 failed payment: below the minimum
                try await f.payments(one, count: 1, ago: 2 * hour, status: "failed")
                let big = try await f.tenant("Lớn", email: "big@example.vn")  // 3 × 2M, paid by webhook, 10 days ago
                try await f.payments(big, count: 3, ago: 3 * day, status: "success", amount: 2_000_000, settledBy: "webhook")
                try await f.payments(big, count: 1, ago: 10 * day, status: "success", amount: 5_000_000, settledBy: "webhook")  // 30 d only
                // Needs attention: an underpaid live link, a pending link past expiry, a refund due, a dead e-mail.
                try await f.payments(big, count: 1, ago: 60_000, status: "pending", underpaid: true, expiresIn: 3_600_000)
                try await f.payments(big, count: 1, ago: 2 * hour, status: "pending", expiresIn: 900_000)
                try await f.payments(one, count: 1, ago: 3 * hour, status: "expired", amount: 300_000, refund: true)
                _ = try await h.components.database.execute(
                    """
                    INSERT INTO outbox (owner_id, kind, recipient, dedupe_key, status, attempts, next_attempt_at, created_at)
                    VALUES (\(one.owner), 'payment_received', 'r@example.vn', 'dead-1', 'dead', 8, 0, \(f.now - hour))
                    """, logger: h.logger)
                _ = try await h.components.database.execute(
                    """
                    INSERT INTO webhook_inbox (owner_id, order_code, reference, amount, body, received_at, processed_at, outcome, transaction_at)
                    VALUES (\(big.owner), 1, 'R1', 1, '{}', \(f.now - hour), \(f.now - hour), 'paid', \(f.now - hour - 1_000)),
                        (\(big.owner), 2, 'R2', 1, '{}', \(f.now - hour), \(f.now - hour), 'paid', \(f.now - hour - 3_000))
                    """, logger: h.logger)
                try await f.rollUp()
                try await h.components.adminStats.refresh(logger: h.logger)

                let browser = try await DashboardTests.signIn(h)
                #expect(try await h.request(.get, "/admin", headers: browser.headers).location == "/admin/dashboard")
                let page = try await h.request(.get, "/admin/dashboard?lang=en", headers: browser.headers)
                #expect(page.status == .ok)
                let html = page.body
                func value(_ id: String) -> String? {
                    guard let range = html.range(of: #"id="\#(id)">"#) else { return nil }
                    return String(html[range.upperBound...].prefix { $0 != "<" })
                }
                // 48 h: 25 + 1 + 2 pending + 1 expired = 29 created, 5 paid (17.2 %), 500,000 ₫.
                #expect(value("payments-48h") == "29")
                #expect(value("succeeded-48h") == "5")
                #expect(value("rate-48h") == "17.2%")
                #expect(value("volume-48h") == VND.format(500_000, locale: .en))
                // 30 days: 33 created, 9 paid (27.3 %), 500k + 6M + 5M.
                #expect(value("payments-30d") == "33")
                #expect(value("rate-30d") == "27.3%")
                #expect(value("volume-30d") == VND.format(11_500_000, locale: .en))
                #expect(value("attention-refunds") == "1")
                #expect(value("attention-underpaid") == "1")
                #expect(value("attention-stuck") == "1")
                #expect(value("attention-dead") == "1")
                // Webhooks of the last 24 h: 2, lag 1 s and 3 s; 5 reconciled of 5 settled within 48 h… of the last 24 h.
                #expect(value("webhooks-24h") == "2")
                #expect(value("lag-average") == "2.0 s")
                #expect(value("reconciled-share") == "100.0%")
                // Rankings over 7 days: the weak owner (≥ 20 payments) is lowest; the one-failure owner is not ranked.
                let lowest = try #require(html.range(of: #"<table id="lowest">"#)).upperBound
                let lowestTable = String(html[lowest...].prefix { $0 != "/" || true }.prefix(600))
                #expect(lowestTable.contains("Yếu") && !lowestTable.contains("Một lần"))
                let highest = String(html[try #require(html.range(of: #"<table id="highest">"#)).upperBound...].prefix(800))
                let bigAt = try #require(highest.range(of: "Lớn")), weakAt = try #require(highest.range(of: "Yếu"))
                #expect(bigAt.lowerBound < weakAt.lowerBound)
                #expect(highest.contains(VND.format(6_000_000, locale: .en)))  // 7 days: the 10-day-old 5M is out
                #expect(html.contains("<svg") && !html.contains("<script"))
            }
        }
    }
}
