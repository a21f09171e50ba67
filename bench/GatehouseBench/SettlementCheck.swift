// Copyright (c) the Gatehouse authors
import ArgumentParser
import Foundation
import Logging
import Storage

/// After a webhook load: waits until the payments are settled, then proves each was settled exactly once with its
/// booking, e-mails and web notifications. A 200 to a webhook may mean "in the durable inbox" (settled later by a
/// worker) or "settled": the check holds for both, because it waits for the database, not for the answer.
enum SettlementCheck {
    /// Polls (every 20 ms) until `expected` payments are `success`, at most `timeout`; returns how long it waited.
    static func waitForSuccess(
        database: any SQLDatabase, expected: Int, timeout: Duration, logger: Logger
    ) async throws -> Duration {
        let clock = ContinuousClock()
        let started = clock.now
        var settled = 0
        while clock.now - started < timeout {
            settled = try await countRows(database, "SELECT COUNT(*) AS n FROM payment WHERE status = 'success'", logger: logger)
            if settled >= expected { return clock.now - started }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw ValidationError("only \(settled) of \(expected) payments were success \(Int(timeout.seconds)) s after the last acknowledgement")
    }

    /// `paid_at` (Unix ms, set by the settling transaction at the transition to `success`) per order code.
    ///
    /// Fails unless: every one of the `expected` payments is `success`, settled by webhook, with `paid_at`; its booking
    /// is confirmed and paid; the per-owner day rollup counted exactly `expected` successes, all by webhook (a second
    /// transition would count twice); each payment has exactly one renter and one owner "payment received" e-mail in
    /// the outbox and exactly one `payment_success` and one `payment_received` web notification, and nothing else;
    /// the webhook inbox holds at most one row per payment, processed.
    static func verifyExactlyOnce(database: any SQLDatabase, expected: Int, logger: Logger) async throws -> [Int64: Int64] {
        var problems: [String] = []
        func problem(_ text: String) { if problems.count < 20 { problems.append(text) } }

        let payments = try await database.query(
            "SELECT id, order_code, status, settled_by, paid_at FROM payment", logger: logger)
        var paidAt: [Int64: Int64] = [:]
        var orderCodes: [Int64: Int64] = [:]
        for row in payments {
            let id: Int64 = try row.decode("id")
            let orderCode: Int64 = try row.decode("order_code")
            let status: String = try row.decode("status")
            let source: String? = try row.decodeIfPresent("settled_by")
            orderCodes[id] = orderCode
            guard status == "success", source == "webhook", let at: Int64 = try row.decodeIfPresent("paid_at") else {
                problem("payment \(id) is \(status), settled by \(source ?? "nothing")")
                continue
            }
            paidAt[orderCode] = at
        }
        if payments.count != expected { problem("\(payments.count) payments, expected \(expected)") }

        let bookings = try await countRows(
            database, "SELECT COUNT(*) AS n FROM booking WHERE status = 'confirmed' AND payment_status = 'paid'", logger: logger)
        if bookings != expected { problem("\(bookings) bookings confirmed and paid, expected \(expected)") }

        let rollup = try await database.query(
            "SELECT COALESCE(SUM(succeeded), 0) AS s, COALESCE(SUM(by_webhook), 0) AS w FROM payment_owner_day", logger: logger)
        let succeeded = try rollup.first?.decode("s", as: Int64.self) ?? 0
        let byWebhook = try rollup.first?.decode("w", as: Int64.self) ?? 0
        if succeeded != expected || byWebhook != expected {
            problem("the rollup counted \(succeeded) successes (\(byWebhook) by webhook), expected \(expected): a payment settled more than once")
        }

        // E-mails: dedupe keys `payment:<id>:renter:success` and `payment:<id>:owner:success`.
        var emails: [Int64: [String]] = [:]
        for row in try await database.query("SELECT dedupe_key FROM outbox WHERE dedupe_key LIKE 'payment:%'", logger: logger) {
            let key: String = try row.decode("dedupe_key")
            let parts = key.split(separator: ":", maxSplits: 2)
            guard parts.count == 3, let id = Int64(parts[1]) else { problem("unexpected outbox row \(key)"); continue }
            emails[id, default: []].append(String(parts[2]))
        }
        var notices: [Int64: [String]] = [:]
        for row in try await database.query("SELECT payment_id, kind FROM notification WHERE payment_id IS NOT NULL", logger: logger) {
            notices[try row.decode("payment_id", as: Int64.self), default: []].append(try row.decode("kind"))
        }
        var inbox: [Int64: (rows: Int, processed: Int)] = [:]
        for row in try await database.query("SELECT order_code, processed_at FROM webhook_inbox", logger: logger) {
            let orderCode: Int64 = try row.decode("order_code")
            let processed = try row.decodeIfPresent("processed_at", as: Int64.self) != nil
            inbox[orderCode, default: (0, 0)].rows += 1
            if processed { inbox[orderCode, default: (0, 0)].processed += 1 }
        }
        for (id, orderCode) in orderCodes {
            let mail = (emails[id] ?? []).sorted()
            if mail != ["owner:success", "renter:success"] { problem("payment \(id): e-mails \(mail), expected one to the owner and one to the renter") }
            let web = (notices[id] ?? []).sorted()
            if web != ["payment_received", "payment_success"] { problem("payment \(id): web notifications \(web)") }
            if let entry = inbox[orderCode], entry.rows > 1 || entry.processed != entry.rows {
                problem("payment \(id): \(entry.rows) inbox rows, \(entry.processed) processed")
            }
        }
        let strayMail = emails.keys.filter { orderCodes[$0] == nil }.count
        if strayMail > 0 { problem("\(strayMail) payments with e-mails that do not exist") }

        guard problems.isEmpty else {
            throw ValidationError("settlement check FAILED:\n  " + problems.joined(separator: "\n  "))
        }
        return paidAt
    }
}
