// Copyright (c) the Gatehouse authors
import Foundation
import Logging
import NIOHTTP1
import PayOS
import PayOSSandbox
import GatehouseTestSupport
import Storage
import StorageTestSupport
import Testing

extension GatewayAPITests {
    /// The gateway process is killed with SIGKILL in the middle of a webhook storm and started again: every payment
    /// still reaches its true state exactly once, and every committed e-mail is delivered. Webhooks are acknowledged
    /// once they are in the inbox and settled after, so the kill also finds acknowledged webhooks not yet settled; a
    /// variant takes payOS down (every API call 502) for 10 s mid-storm: webhooks are still acknowledged (payOS never has
    /// to retry for it), held, and settled once payOS answers again.
    ///
    /// Everything is real: `gatehouse serve` as its own process on MariaDB, the payOS sandbox (in this process, so it
    /// outlives the gateway and keeps retrying like payOS does) injecting the storm itself — every webhook three times,
    /// a fifth of them dropped, deliveries held back and reordered — and the aiosmtpd sink receiving the e-mails.
    @Suite struct CrashRecoveryTests {
        static let paymentCount = 500
        static let paidShare = 0.6

        @Test(.mariaDBAvailable)
        func aGatewayKilledMidStormRecoversToTheSameEndState() async throws {
            try await storm(payOSOutage: nil)
        }

        @Test(.mariaDBAvailable)
        func webhooksAcknowledgedWhilePayOSIsDownForTenSecondsAreSettledWhenItAnswers() async throws {
            try await storm(payOSOutage: .seconds(10))
        }

        func storm(payOSOutage: Duration?) async throws {
            guard let smtpURL = PaymentEndToEndTests.smtpURL, let maildir = PaymentEndToEndTests.maildir else {
                if TestDatabases.isCI { Issue.record("GATEHOUSE_TEST_SMTP_URL / _MAILDIR must be set on CI (scripts/smtp-test-server)") }
                return
            }
            let logger = TestDatabases.logger
            let channel = SandboxChannel(
                clientId: "gh-crash-owner", apiKey: "sandbox-api-key-crash", checksumKey: "sandbox-checksum-key-crash-77aa01",
                accountName: "NHA TRO CRASH TEST")
            try await GatehouseTestBed.run(.mariadb, sandbox: .init(channels: [channel], webhookTimeout: .seconds(2))) { bed in
                let unique = UUID().uuidString.prefix(8).lowercased()
                let gateway = try bed.process(
                    port: try freeLoopbackPort(),
                    environment: [
                        "GATEHOUSE_SMTP_URL": smtpURL,
                        "GATEHOUSE_MAIL_FROM": "Gatehouse <no-reply@gatehouse.test>",
                        "GATEHOUSE_RECONCILE_FIRST_CHECK_SECONDS": "2",
                        "GATEHOUSE_RECONCILE_INTERVAL_SECONDS": "1",
                        "GATEHOUSE_RECONCILE_LEASE_SECONDS": "10",
                        "GATEHOUSE_OUTBOX_LEASE_SECONDS": "10",
                        "GATEHOUSE_LOG_LEVEL": "notice",
                        // The storm is one owner far above a production payOS cap; limits have their own tests.
                        "GATEHOUSE_PAYOS_RATE_LIMIT_RPS": "2000", "GATEHOUSE_PAYOS_RATE_LIMIT_BURST": "4000",
                    ])
                defer { gateway.kill() }
                let database = try DatabaseConfiguration(url: bed.databaseURL, dataDirectory: bed.directory).makeDatabase(logger: logger)
                do {
                    try await run(
                        gateway: gateway, sandbox: bed.sandbox, channel: channel, database: database, maildir: maildir,
                        unique: String(unique), payOSOutage: payOSOutage, logger: logger)
                } catch {
                    await database.shutdown()
                    throw error
                }
                await database.shutdown()
            }
        }

        func run(
            gateway: GatehouseProcess, sandbox: PayOSSandbox, channel: SandboxChannel, database: any SQLDatabase, maildir: String,
            unique: String, payOSOutage: Duration?, logger: Logger
        ) async throws {
            // An owner made by the operator's command, onboarded through the API (Gatehouse registers its webhook URL).
            let ownerEmail = "crash-owner-\(unique)@example.vn"
            let created = try JSONValue(parsing: Array(try gateway.command(["owner", "create", "--name", "Nhà trọ Crash", "--email", ownerEmail, "--json"]).utf8))
            let apiKey = try #require(created["api_key"]?.stringValue)
            try await gateway.start()
            let onboarded = try await gateway.request(
                .PUT, "/api/owner/payos-credentials", bearer: apiKey,
                body: #"{"client_id": "\#(channel.clientId)", "api_key": "\#(channel.apiKey)", "checksum_key": "\#(channel.checksumKey)"}"#)
            try #require(onboarded.status == 200, "\(onboarded.body)")

            // 500 bookings with a payment each, 16 at a time; each renter has an address of their own.
            var links: [(orderCode: Int64, renter: String)] = []
            try await withThrowingTaskGroup(of: (orderCode: Int64, renter: String).self) { group in
                for index in 0..<Self.paymentCount {
                    if index >= 16, let link = try await group.next() { links.append(link) }
                    group.addTask {
                        let renter = "crash-renter-\(unique)-\(index)@example.vn"
                        let booking = try await gateway.request(
                            .POST, "/api/bookings", bearer: apiKey,
                            body: GatewayHarness.bookingBody(amount: 200_000, renterEmail: .string(renter)))
                        let bookingID = try #require(booking.json?["id"]?.int64Value, "\(booking.body)")
                        let payment = try await gateway.request(.POST, "/payment/process_payment", bearer: apiKey, body: #"{"booking_id": \#(bookingID)}"#)
                        let orderCode = try #require(payment.json?["order_code"]?.int64Value, "\(payment.body)")
                        return (orderCode, renter)
                    }
                }
                for try await link in group { links.append(link) }
            }
            var random = WebhookStormTests.SplitMix(state: 20_261_127)
            let all = links.shuffled(using: &random)
            #expect(all.count == Self.paymentCount)
            let paid = Array(all.prefix(Int(Double(Self.paymentCount) * Self.paidShare)))
            let unpaid = Array(all.dropFirst(paid.count))

            // payOS's own storm: every webhook three times, a fifth never sent, deliveries held back and sent newest first.
            let storm = SandboxFaults(dropWebhookRate: 0.2, duplicateWebhookRate: 1, duplicateCopies: 2, reorderWebhooks: true)
            try await sandbox.setFaults(storm, clientId: channel.clientId)
            let settledCount: @Sendable () async throws -> Int = { try await Self.count(database, "SELECT COUNT(*) AS n FROM payment WHERE status = 'success'", logger: logger) }

            // Renters pay while the gateway is killed once a third of the paid payments have settled (with an outage:
            // payOS goes down once a sixth have, for `payOSOutage`, and the kill waits for it to end).
            var outageWindow: ClosedRange<Int64>? = nil
            let settledAtKill: Int? = try await withThrowingTaskGroup(of: (killedAt: Int?, outage: ClosedRange<Int64>?).self) { group in
                group.addTask {
                    for link in paid {
                        _ = try await sandbox.pay(String(link.orderCode), clientId: channel.clientId)
                        // Paced so that transfers keep arriving through an outage.
                        try await Task.sleep(for: .milliseconds(payOSOutage == nil ? 2 : 25))
                    }
                    return (nil, nil)
                }
                group.addTask {
                    let deadline = ContinuousClock.now + .seconds(120)
                    var outage: ClosedRange<Int64>? = nil
                    if let payOSOutage {
                        while try await settledCount() < paid.count / 6 {
                            guard ContinuousClock.now < deadline else { return (nil, nil) }
                            try await Task.sleep(for: .milliseconds(10))
                        }
                        let start = Self.nowMillis()
                        var down = storm
                        down.htmlErrorRate = 1
                        down.htmlErrorStatus = 502
                        try await sandbox.setFaults(down, clientId: channel.clientId)
                        // The outage lasts this long by design (not a wait for something to happen).
                        try await Task.sleep(for: payOSOutage)
                        try await sandbox.setFaults(storm, clientId: channel.clientId)
                        outage = start...Self.nowMillis()
                    }
                    while ContinuousClock.now < deadline {
                        let settled = try await settledCount()
                        if settled >= paid.count / 3 {
                            gateway.kill()
                            return (settled, outage)
                        }
                        try await Task.sleep(for: .milliseconds(10))
                    }
                    return (nil, outage)
                }
                var killedAt: Int? = nil
                for try await result in group {
                    killedAt = killedAt ?? result.killedAt
                    outageWindow = outageWindow ?? result.outage
                }
                return killedAt
            }
            let atKill = try #require(settledAtKill, "a third of the paid payments never settled before the kill")
            // The kill really came mid-storm: payments were still waiting for their webhook.
            #expect(atKill < paid.count, "killed after every payment had settled (\(atKill))")

            if payOSOutage != nil {
                // While payOS was down, every webhook delivery that got an answer got a 2xx: held, not bounced back.
                let window = try #require(outageWindow, "the outage never happened")
                let attempts = await sandbox.deliveries(clientId: channel.clientId).flatMap(\.attempts)
                    .filter { window.contains($0.startedAtMs) && $0.status != nil }
                #expect(!attempts.isEmpty, "no webhook arrived during the outage")
                #expect(attempts.allSatisfy { (200..<300).contains($0.status ?? 0) }, "\(attempts.filter { !(200..<300).contains($0.status ?? 0) }.count) refused during the outage")
                print("crash test: \(attempts.count) webhook deliveries acknowledged while payOS was down")
            }

            // payOS keeps retrying while the gateway is down; it comes back on the same address.
            try await gateway.start()
            // Release whatever the sandbox still holds back (reordering holds the last one until the next arrives).
            try await sandbox.setFaults(.init(dropWebhookRate: 0.2, duplicateWebhookRate: 1, duplicateCopies: 2), clientId: channel.clientId)

            // The true end state: every paid payment success (by webhook, or by reconciliation for dropped webhooks),
            // every committed e-mail sent.
            let deadline = ContinuousClock.now + .seconds(240)
            while ContinuousClock.now < deadline {
                let settled = try await Self.count(database, "SELECT COUNT(*) AS n FROM payment WHERE status = 'success'", logger: logger)
                let unsent = try await Self.count(database, "SELECT COUNT(*) AS n FROM outbox WHERE status <> 'sent'", logger: logger)
                if settled >= paid.count, unsent == 0 { break }
                try await Task.sleep(for: .milliseconds(100))
            }

            let rows = try await database.query(
                "SELECT order_code, status, settled_by, paid_at, amount_paid FROM payment", logger: logger)
            var byOrder: [Int64: (status: String, settledBy: String?, paidAt: Int64?)] = [:]
            for row in rows {
                byOrder[try row.decode("order_code")] = (try row.decode("status"), try row.decodeIfPresent("settled_by"), try row.decodeIfPresent("paid_at"))
            }
            let paidNotSuccess = paid.filter { byOrder[$0.orderCode]?.status != "success" || byOrder[$0.orderCode]?.paidAt == nil }
            #expect(paidNotSuccess.isEmpty, "\(paidNotSuccess.count) paid payments did not end success")
            let unpaidMoved = unpaid.filter { byOrder[$0.orderCode]?.status != "pending" }
            #expect(unpaidMoved.isEmpty, "\(unpaidMoved.count) unpaid payments left pending")
            let sources = Dictionary(grouping: paid.compactMap { byOrder[$0.orderCode]?.settledBy }, by: { $0 }).mapValues(\.count)
            #expect(Set(sources.keys).isSubset(of: ["webhook", "reconciliation"]), "\(sources)")
            #expect((sources["reconciliation"] ?? 0) > 0, "dropped webhooks must have been settled by reconciliation: \(sources)")
            #expect(
                try await Self.count(
                    database, "SELECT COUNT(*) AS n FROM booking WHERE status = 'confirmed' AND payment_status = 'paid'", logger: logger)
                    == paid.count)

            // Exactly one e-mail row per recipient and payment, every one sent.
            #expect(try await Self.count(database, "SELECT COUNT(*) AS n FROM outbox", logger: logger) == 2 * paid.count)
            #expect(try await Self.count(database, "SELECT COUNT(*) AS n FROM outbox WHERE status = 'sent'", logger: logger) == 2 * paid.count)

            // At the SMTP server: each paid renter got their e-mail, the owner one per payment, nobody else anything.
            // A re-send after the kill (SMTP said 250, the process died before recording it) carries the same
            // Message-ID, so it is the same message; at most one worker batch can be in that window.
            let mail = try Self.messages(in: maildir, recipientsContaining: unique)
            let renters = Set(paid.map(\.renter))
            // One message per renter (by Message-ID); a copy of it may arrive twice through that same window.
            for link in paid { #expect(Set(mail[link.renter] ?? []).count == 1, "renter \(link.renter): \(mail[link.renter] ?? [])") }
            let renterResent = paid.reduce(0) { $0 + (mail[$1.renter]?.count ?? 0) } - paid.count
            #expect(Set(mail.keys).subtracting(renters).subtracting([ownerEmail]).isEmpty, "mail to someone who did not pay")
            #expect(Set(mail[ownerEmail] ?? []).count == paid.count)
            let resent = (mail[ownerEmail]?.count ?? 0) - Set(mail[ownerEmail] ?? []).count
            #expect(resent + renterResent <= 20, "\(resent) owner and \(renterResent) renter e-mails re-sent")
            print(
                "crash test: \(paid.count) paid / \(unpaid.count) unpaid; killed at \(atKill) settled; settled by \(sources); "
                    + "e-mails re-sent after the kill (same Message-ID): \(resent) owner, \(renterResent) renter")
        }

        static func nowMillis() -> Int64 { Int64(Date().timeIntervalSince1970 * 1_000) }

        static func count(_ database: any SQLDatabase, _ sql: String, logger: Logger) async throws -> Int {
            let rows = try await database.query(SQLQuery(unsafeSQL: sql), logger: logger)
            return Int(try rows.first?.decode("n", as: Int64.self) ?? 0)
        }

        /// Message-IDs the SMTP sink received, by recipient, for recipients whose address contains `marker`.
        /// A renter's list holds every delivery (so a duplicate shows as a repeated Message-ID).
        static func messages(in maildir: String, recipientsContaining marker: String) throws -> [String: [String]] {
            var result: [String: [String]] = [:]
            for name in try FileManager.default.contentsOfDirectory(atPath: maildir) where name.hasSuffix(".json") {
                let base = maildir + "/" + name.dropLast(".json".count)
                guard let envelope = FileManager.default.contents(atPath: maildir + "/" + name).flatMap({ try? JSONValue(parsing: Array($0)) }),
                    let recipients = envelope["rcpt_tos"]?.arrayValue?.compactMap(\.stringValue),
                    recipients.contains(where: { $0.contains(marker) }),
                    let eml = FileManager.default.contents(atPath: base + ".eml")
                else { continue }
                let header = String(decoding: eml, as: UTF8.self).components(separatedBy: "\r\n\r\n").first ?? ""
                let messageID =
                    header.split(whereSeparator: \.isNewline).first { $0.lowercased().hasPrefix("message-id:") }?
                    .dropFirst("message-id:".count).trimmingCharacters(in: .whitespacesAndNewlines)
                guard let messageID else { throw HarnessError(description: "no Message-ID in \(base).eml") }
                for recipient in recipients { result[recipient, default: []].append(messageID) }
            }
            return result
        }
    }
}
