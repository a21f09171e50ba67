// Copyright (c) the Gatehouse authors
import Logging
import Storage
import StorageTestSupport
import Testing

@testable import Tenancy
@testable import Admin
import GatehouseCore
@testable import Payments

/// `PaymentMetrics` and the invalid-signature counter on both backends, with rows at known times: exact rates,
/// averages and bucket boundaries.
@Suite struct MetricsTests {
    let logger = TestDatabases.logger
    typealias F = MetricsFixture
    let h = MetricsFixture.hour
    let m = MetricsFixture.minute
    let day0 = MetricsFixture.dayStart

    // MARK: Tests

    @Test(arguments: TestDatabases.backends)
    func successRateAndProcessingTimeAreExactPerHourAndOwner(backend: TestBackend) async throws {
        try await withTestDatabase(backend) { db in
            let f = MetricsFixture(db: db, logger: logger)
            let a = try await f.tenant("a")
            let b = try await f.tenant("b")
            // Hour 0: owner A, two paid (60 000 ms and 120 001 ms after creation, by webhook) and one expired.
            try await f.payment(a, createdAt: day0 + 5 * m, status: "success", paidAfter: 60_000, settledBy: "webhook")
            try await f.payment(a, createdAt: day0 + 59 * m, status: "success", paidAfter: 120_001, settledBy: "webhook")
            try await f.payment(a, createdAt: day0, status: "expired", settledBy: "reconciliation")
            // Hour 1: owner B, one paid through reconciliation 30 s after creation, one still pending.
            try await f.payment(b, createdAt: day0 + h, status: "success", paidAfter: 30_000, settledBy: "reconciliation")
            try await f.payment(b, createdAt: day0 + h + 59 * m + 59_999, status: "pending")
            // Outside [from, to): one before, one at `to` exactly.
            try await f.payment(a, createdAt: day0 - 1, status: "success", paidAfter: 1, settledBy: "webhook")
            try await f.payment(b, createdAt: day0 + 2 * h, status: "failed")

            let metrics = PaymentMetrics(database: db)
            let report = try await metrics.report(.init(owner: nil, from: day0, to: day0 + 2 * h, bucket: .hour), logger: logger)
            #expect(report.buckets.map(\.start) == [day0, day0 + h])

            let first = report.buckets[0].summary
            #expect(first.paymentsCreated == 3)
            #expect(first.paymentsByStatus == ["success": 2, "expired": 1])
            #expect(first.successRateBasisPoints == 6667)  // 2/3 = 66.666…% → 66.67 %
            #expect(first.averageProcessingMillis == 90_001)  // (60 000 + 120 001) / 2 = 90 000.5 → 90 001
            #expect(first.volumeVND == 1_000_000)  // the two paid payments' VND; the expired one adds nothing
            let second = report.buckets[1].summary
            #expect(second.paymentsByStatus == ["success": 1, "pending": 1])
            #expect(second.successRateBasisPoints == 5000)
            #expect(second.averageProcessingMillis == 30_000)

            #expect(report.total.paymentsCreated == 5)
            #expect(report.total.successRateBasisPoints == 6000)
            #expect(report.total.volumeVND == 1_500_000)
            #expect(report.total.averageProcessingMillis == 70_000)  // 210 001 / 3 = 70 000.33…
            #expect(report.total.settledBy == ["webhook": 2, "reconciliation": 2])
            // Of the payments settled by webhook or reconciliation, 2 of 4 by reconciliation.
            #expect(report.total.reconciliationShareBasisPoints == 5000)

            #expect(report.owners.map(\.owner) == [a.owner, b.owner])
            #expect(report.owners[0].summary.paymentsCreated == 3)
            #expect(report.owners[0].summary.averageProcessingMillis == 90_001)
            #expect(report.owners[1].summary.successRateBasisPoints == 5000)

            // One owner only: the other's payments are not counted, and no per-owner list.
            let onlyB = try await metrics.report(.init(owner: b.owner, from: day0, to: day0 + 2 * h, bucket: .hour), logger: logger)
            #expect(onlyB.total.paymentsCreated == 2)
            #expect(onlyB.buckets[0].summary.paymentsCreated == 0)
            #expect(onlyB.buckets[0].summary.successRateBasisPoints == nil)
            #expect(onlyB.owners.isEmpty)
        }
    }

    @Test(arguments: TestDatabases.backends)
    func dayBucketsFollowVietnamMidnight(backend: TestBackend) async throws {
        try await withTestDatabase(backend) { db in
            let f = MetricsFixture(db: db, logger: logger)
            let a = try await f.tenant("a")
            // 23:59:59.999 on 14 January in Vietnam (16:59:59.999Z) and 00:00 on 15 January (17:00Z).
            try await f.payment(a, createdAt: day0 - 1, status: "success", paidAfter: 10, settledBy: "webhook")
            try await f.payment(a, createdAt: day0, status: "cancelled")
            try await f.payment(a, createdAt: day0 + 24 * h - 1, status: "success", paidAfter: 20, settledBy: "webhook")

            let report = try await PaymentMetrics(database: db).report(
                .init(owner: a.owner, from: day0 - 24 * h, to: day0 + 24 * h, bucket: .day), logger: logger)
            #expect(report.buckets.map(\.start) == [day0 - 24 * h, day0])
            #expect(report.buckets[0].summary.paymentsByStatus == ["success": 1])
            #expect(report.buckets[1].summary.paymentsByStatus == ["cancelled": 1, "success": 1])
            #expect(report.buckets[1].summary.averageProcessingMillis == 20)

            // A range that starts mid-day still gets whole Vietnam days as buckets.
            let partial = try await PaymentMetrics(database: db).report(
                .init(owner: a.owner, from: day0 + 5 * h, to: day0 + 6 * h, bucket: .day), logger: logger)
            #expect(partial.buckets.map(\.start) == [day0])
            #expect(partial.total.paymentsCreated == 0)
            #expect(MetricsBucket.day.index(of: day0) - MetricsBucket.day.index(of: day0 - 1) == 1)
        }
    }

    @Test(arguments: TestDatabases.backends)
    func webhookLagAndNotificationFailuresAreMeasured(backend: TestBackend) async throws {
        try await withTestDatabase(backend) { db in
            let f = MetricsFixture(db: db, logger: logger)
            let a = try await f.tenant("a")
            try await f.webhook(a, receivedAt: day0 + 10 * m, transactionAt: day0 + 10 * m - 1_500)
            try await f.webhook(a, receivedAt: day0 + 20 * m, transactionAt: day0 + 20 * m - 4_501)
            // payOS's confirm-webhook probe (a sample from 2023) and a body without a usable time are not lag.
            try await f.webhook(a, receivedAt: day0 + 30 * m, transactionAt: 1_675_509_900_000, outcome: "unknown_order")
            try await f.webhook(a, receivedAt: day0 + 40 * m, transactionAt: nil)
            try await f.email(a, createdAt: day0 + m, status: "sent", attempts: 1)
            try await f.email(a, createdAt: day0 + 2 * m, status: "sent", attempts: 3)
            try await f.email(a, createdAt: day0 + 3 * m, status: "dead", attempts: 8)

            let report = try await PaymentMetrics(database: db).report(
                .init(owner: nil, from: day0, to: day0 + h, bucket: .hour), logger: logger)
            #expect(report.total.webhookCount == 2)
            #expect(report.total.averageWebhookLagMillis == 3_001)  // (1 500 + 4 501) / 2 = 3 000.5
            #expect(report.total.webhookLagMillisMaximum == 4_501)
            #expect(report.total.notifications == 3)
            #expect(report.total.notificationsRetried == 2)
            #expect(report.total.notificationsDead == 1)
        }
    }

    @Test(arguments: TestDatabases.backends)
    func invalidSignaturesAreCountedPerOwnerAndHourWithoutLostUpdates(backend: TestBackend) async throws {
        try await withTestDatabase(backend) { db in
            let f = MetricsFixture(db: db, logger: logger)
            let a = try await f.tenant("a")
            let b = try await f.tenant("b")
            let clock = WallClock { [day0, m] in day0 + 7 * m }
            let rejections = WebhookRejectionRepository(database: db, clock: clock)
            // 25 refusals for A from five concurrent loops: one upsert each, none lost. Five in flight, not 25: the point
            // is upserts racing on one row, not 25 tasks queueing for the test database's few connections (on a loaded
            // CI machine that wait passed the pool's timeout on SQLite).
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<5 { group.addTask { for _ in 0..<5 { try await rejections.record(owner: a.owner, logger: logger) } } }
                try await group.waitForAll()
            }
            try await rejections.record(owner: b.owner, logger: logger)
            try await rejections.record(owner: nil, logger: logger)
            try await rejections.record(owner: nil, logger: logger)
            let later = WebhookRejectionRepository(database: db, clock: WallClock { [day0, h] in day0 + h + 1 })
            try await later.record(owner: a.owner, logger: logger)

            let rows = try await db.query("SELECT owner_id, hour_start, count FROM webhook_rejection ORDER BY owner_id, hour_start", logger: logger)
            #expect(rows.count == 4)
            #expect(try rows.map { try $0.decode("hour_start", as: Int64.self) } == [day0, day0, day0 + h, day0])
            #expect(try await rejections.total(owner: .owner(a.owner), from: day0, to: day0 + h, logger: logger) == 25)
            #expect(try await rejections.total(owner: .unknown, from: day0, to: day0 + 2 * h, logger: logger) == 2)

            let report = try await PaymentMetrics(database: db).report(.init(owner: nil, from: day0, to: day0 + 2 * h, bucket: .hour), logger: logger)
            #expect(report.buckets.map(\.summary.invalidSignatures) == [28, 1])
            #expect(report.total.invalidSignatures == 29)
            #expect(report.unattributedInvalidSignatures == 2)
            #expect(report.owners.map(\.summary.invalidSignatures) == [26, 1])
        }
    }

    @Test func requestsWithAnEmptyOrHugeIntervalAreRefused() throws {
        #expect(throws: TenancyError.self) { try PaymentMetrics.Request(owner: nil, from: day0, to: day0, bucket: .hour) }
        #expect(throws: TenancyError.self) { try PaymentMetrics.Request(owner: nil, from: day0, to: day0 + 32 * 24 * h, bucket: .hour) }
        let largest = try PaymentMetrics.Request(owner: nil, from: day0, to: day0 + 31 * 24 * h, bucket: .hour)
        #expect(largest.to - largest.from == 744 * h)
        #expect(throws: TenancyError.self) { try PaymentMetrics.Request(owner: nil, from: day0, to: day0 + 401 * 24 * h, bucket: .day) }
    }

    @Test func payOSTransactionTimesAreVietnamLocal() {
        // payOS's sample: 2023-02-04 18:25:00 in Vietnam = 11:25:00Z.
        #expect(PayOSTransactionTime.millis("2023-02-04 18:25:00") == 1_675_509_900_000)
        #expect(PayOSTransactionTime.millis("2030-01-15 00:00:00") == day0)
        for bad in ["", "2023-02-04T18:25:00", "2023-13-04 18:25:00", "2023-02-04 18:25", "2023-02-04 1a:25:00"] {
            #expect(PayOSTransactionTime.millis(bad) == nil, "\(bad)")
        }
    }
}
