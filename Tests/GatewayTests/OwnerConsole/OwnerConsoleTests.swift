// Copyright (c) the Gatehouse authors
import Foundation
import GatehouseApp
import GatehouseCore
import GatehouseHTTP
import GatehouseTestSupport
import Gateway
import HTTPTypes
import PayOSSandbox
import Storage
import StorageTestSupport
import Tenancy
import Testing
import Vault

extension GatewayAPITests {
    /// The owner console (`/owner`) over HTTP: sign-in with an owner API key, the session's cookie and its end, CSRF on
    /// every form, API keys, the payments list and the CSV export.
    @Suite struct OwnerConsoleTests {
        static let form: HTTPFields = [.contentType: "application/x-www-form-urlencoded"]

        func audit(_ h: GatewayHarness, _ action: String) async throws -> [AuditRecord] {
            try await AuditLog().records(action: action, database: h.components.database, logger: h.logger)
        }

        @Test(arguments: TestDatabases.backends)
        func signingInOpensAHashedStrictSessionAndSigningOutEndsIt(backend: TestBackend) async throws {
            try await GatewayHarness.run(backend) { h in
                #expect(try await h.get("/owner").location == "/owner/sign-in")
                #expect(try await h.get("/owner/overview").location == "/owner/sign-in")
                let signedIn = try await ConsoleClient.attemptSignIn(h, key: h.ownerA.apiKey)
                let header = try #require(signedIn.setCookies.first { $0.hasPrefix("gh_owner=") })
                for attribute in ["HttpOnly", "SameSite=Strict", "Path=/owner", "Max-Age=28800"] { #expect(header.contains(attribute), "\(header)") }
                #expect(!header.contains("Secure"))  // the harness's public URL is http
                let client = try await ConsoleClient.signIn(h, key: h.ownerA.apiKey)
                // Stored hashed: the cookie's secret is nowhere in the table.
                let rows = try await h.components.database.query("SELECT session_hash FROM owner_session", logger: h.logger)
                #expect(rows.count == 2)
                let hashes = try rows.map { try $0.decode("session_hash", as: [UInt8].self) }
                #expect(hashes.contains(h.components.hasher.hash(client.cookie, purpose: "owner-session")))

                let overview = try await client.get(h, "/owner/overview?lang=en")
                #expect(overview.status == .ok && overview.isHTML)
                let csp = try #require(overview.headers[HTTPField.Name("Content-Security-Policy")!])
                #expect(csp.contains("default-src 'none'") && csp.contains("form-action 'self'") && !csp.contains("script-src"))
                #expect(!overview.body.contains("<script"))
                #expect(overview.body.contains(h.components.credentials.webhookURL(for: h.ownerA.owner)))
                #expect(overview.body.contains("…" + String(GatewayHarness.channelA.clientId.suffix(4))))
                #expect(overview.body.contains("Connected") && overview.body.contains("<svg"))
                #expect(try await client.get(h, "/owner/overview?lang=vi&bucket=day").body.contains("Tỷ lệ thành công"))
                #expect(try await client.get(h, "/owner").location == "/owner/overview")

                #expect(try await client.post(h, "/owner/sign-out", csrf: "forged").status == .forbidden)
                let out = try await client.post(h, "/owner/sign-out")
                #expect(out.location == "/owner/sign-in")
                #expect(try await client.get(h, "/owner/overview").location == "/owner/sign-in")
                let signIns = try await audit(h, OwnerConsoleController.AuditAction.signIn)
                #expect(signIns.count == 2 && signIns.allSatisfy { $0.actor == "owner:\(h.ownerA.id.rawValue)" && $0.ownerID == h.ownerA.id.rawValue })
                #expect(try await audit(h, OwnerConsoleController.AuditAction.signOut).count == 1)
            }
        }

        @Test(arguments: TestDatabases.backends)
        func wrongKeysForgedFormsExpiredSessionsAndRevokedKeysGetNoSession(backend: TestBackend) async throws {
            try await GatewayHarness.run(backend) { h in
                let adminToken = try await h.components.adminTokens.create(name: "tests", logger: h.logger)
                for wrong in ["nope", adminToken.secret, "gh_" + String(h.ownerA.apiKey.dropFirst(3).prefix(12)) + "_" + String(repeating: "b", count: 52)] {
                    let refused = try await ConsoleClient.attemptSignIn(h, key: wrong)
                    #expect(refused.status == .unauthorized && refused.isHTML)
                    #expect(refused.setCookies.allSatisfy { !$0.hasPrefix("gh_owner=") })
                }
                // Without the pre-session token (a cross-site post) the right key is refused too.
                let forged = try await h.post("/owner/sign-in", "csrf=x&api_key=\(h.ownerA.apiKey)", headers: Self.form)
                #expect(forged.status == .forbidden)
                #expect(forged.setCookies.allSatisfy { !$0.hasPrefix("gh_owner=") })

                // An expired session is no session.
                let expiring = try await ConsoleClient.signIn(h, key: h.ownerA.apiKey)
                try await h.components.database.execute(
                    "UPDATE owner_session SET expires_at = \(h.components.clock.now() - 1)", logger: h.logger)
                #expect(try await expiring.get(h, "/owner/payments").location == "/owner/sign-in")

                // Revoking the key that opened a session (here through the owner API, with another key) ends it.
                let second = try await h.components.apiKeys.issue(owner: h.ownerA.id, name: "second", logger: h.logger)
                let client = try await ConsoleClient.signIn(h, key: second.secret)
                #expect(try await client.get(h, "/owner/api-keys").status == .ok)
                #expect(try await h.request(.delete, "/api/owner/api-keys/\(second.prefix)", headers: h.ownerA.bearer).status == .ok)
                #expect(try await client.get(h, "/owner/api-keys").location == "/owner/sign-in")

                // A suspended owner gets no session, and loses the one it has.
                let live = try await ConsoleClient.signIn(h, key: h.ownerA.apiKey)
                _ = try await h.components.owners.setStatus(h.ownerA.id, .suspended, logger: h.logger)
                #expect(try await live.get(h, "/owner/overview").location == "/owner/sign-in")
                #expect(try await ConsoleClient.attemptSignIn(h, key: h.ownerA.apiKey).status == .forbidden)
            }
        }

        @Test func wrongKeysOnTheSignInFormSpendTheAddresssAuthenticationBudget() async throws {
            try await GatewayHarness.run(.sqlite, environment: ["GATEHOUSE_AUTH_FAILURE_BURST": "2", "GATEHOUSE_AUTH_FAILURES_PER_MINUTE": "1"]) { (h: GatewayHarness) async throws -> Void in
                #expect(try await ConsoleClient.attemptSignIn(h, key: "nope-1").status == .unauthorized)
                #expect(try await ConsoleClient.attemptSignIn(h, key: "nope-2").status == .unauthorized)
                // Spent: the right key waits too, on the form and on the owner API from the same address.
                #expect(try await ConsoleClient.attemptSignIn(h, key: h.ownerA.apiKey).status == .tooManyRequests)
                #expect(try await h.get("/api/owner/api-keys", headers: h.ownerA.bearer).status == .tooManyRequests)
                #expect(h.components.observability.exposition().contains(#"gatehouse_auth_failures_total{kind="owner"} 2"#))
            }
        }

        @Test(arguments: TestDatabases.backends)
        func everyFormWithoutTheSessionsTokenIsRefusedAndChangesNothing(backend: TestBackend) async throws {
            try await GatewayHarness.run(backend) { h in
                let client = try await ConsoleClient.signIn(h, key: h.ownerA.apiKey)
                let prefix = try #require(PrefixedToken.prefix(of: h.ownerA.apiKey, scheme: "gh"))
                let posts = [
                    ("/owner/sign-out", ""), ("/owner/api-keys", "name=x"), ("/owner/api-keys/\(prefix)/revoke", ""),
                    ("/owner/credentials", "client_id=a&api_key=b&checksum_key=c"),
                ]
                let tampered = String(client.csrf.dropLast()) + (client.csrf.hasSuffix("x") ? "y" : "x")
                for (path, fields) in posts {
                    for csrf in ["", tampered] {
                        let refused = try await client.post(h, path, fields, csrf: csrf)
                        #expect(refused.status == .forbidden && refused.isHTML, "\(path)")
                    }
                }
                #expect(try await h.components.apiKeys.list(owner: h.ownerA.id, logger: h.logger).map(\.revokedAt) == [nil])
                #expect(try await client.get(h, "/owner/overview").status == .ok)
                #expect(try await h.components.credentials.info(owner: h.ownerA.id, logger: h.logger)?.activeVersion == 1)
            }
        }

        @Test(arguments: TestDatabases.backends)
        func aNewKeyIsShownOnceAndRevokingItWorks(backend: TestBackend) async throws {
            try await GatewayHarness.run(backend) { h in
                let client = try await ConsoleClient.signIn(h, key: h.ownerA.apiKey)
                let created = try await client.post(h, "/owner/api-keys", "name=M%C3%A1y+t%C3%ADnh+qu%E1%BA%A7y")
                #expect(created.status == .ok && created.headers[.cacheControl] == "no-store")
                let secret = try #require(ConsoleClient.attribute(after: #"class="secret" value=""#, in: created.body))
                let prefix = try #require(PrefixedToken.prefix(of: secret, scheme: "gh"))
                #expect(try await h.get("/api/owner/api-keys", headers: [.authorization: "Bearer \(secret)"]).status == .ok)
                // Never shown again: the list shows its prefix and name only.
                let list = try await client.get(h, "/owner/api-keys")
                #expect(list.body.contains(prefix) && list.body.contains("Máy tính quầy") && !list.body.contains(secret))
                #expect(try await audit(h, OwnerConsoleController.AuditAction.createKey).first?.actor == "owner:\(h.ownerA.id.rawValue)")

                #expect(try await client.post(h, "/owner/api-keys/\(prefix)/revoke").location == "/owner/api-keys?done=keyRevoked")
                #expect(try await h.get("/api/owner/api-keys", headers: [.authorization: "Bearer \(secret)"]).status == .unauthorized)
                #expect(try await audit(h, OwnerConsoleController.AuditAction.revokeKey).count == 1)
                // Revoking the session's own key signs it out.
                let own = try #require(PrefixedToken.prefix(of: h.ownerA.apiKey, scheme: "gh"))
                #expect(try await client.post(h, "/owner/api-keys/\(own)/revoke").location == "/owner/sign-in")
                #expect(try await client.get(h, "/owner/api-keys").location == "/owner/sign-in")
            }
        }

        /// 2026-11-30 in Vietnam is [2026-11-29T17:00Z, 2026-11-30T17:00Z).
        static let dayStart: Int64 = 1_795_971_600_000

        @Test(arguments: TestDatabases.backends)
        func theCSVExportHasTheOwnersPaymentsOfThoseVietnamDaysSpreadsheetSafe(backend: TestBackend) async throws {
            try await GatewayHarness.run(backend) { h in
                let a = h.ownerA.id, day = Self.dayStart
                try await ConsoleFixtures.insert(h, .init(owner: a, orderCode: 1, createdAt: day - 1))  // 2026-11-29 in Vietnam
                try await ConsoleFixtures.insert(h, .init(owner: a, orderCode: 2, createdAt: day, amount: 1_250_000, renterName: "Trần Thị Bích"))
                try await ConsoleFixtures.insert(
                    h, .init(owner: a, orderCode: 3, createdAt: day + 86_400_000 - 1, status: "expired", renterName: "=HYPERLINK(\"x\")", description: "-1+1"))
                try await ConsoleFixtures.insert(h, .init(owner: h.ownerB.id, orderCode: 4, createdAt: day + 1000, renterName: "Bình Minh"))
                let client = try await ConsoleClient.signIn(h, key: h.ownerA.apiKey)
                let csv = try await client.get(h, "/owner/payments/export.csv?from=2026-11-30&to=2026-11-30")
                #expect(csv.status == .ok && csv.headers[.contentType] == "text/csv; charset=utf-8")
                #expect(csv.headers[.contentDisposition]?.contains("gatehouse-payments-2026-11-30-to-2026-11-30.csv") == true)
                #expect(csv.body.hasPrefix("\u{FEFF}payment_id,payment_code,order_code,owner_id"))
                let lines = csv.body.components(separatedBy: "\r\n").filter { !$0.isEmpty }
                #expect(lines.count == 3)  // header + orders 2 and 3 (order 1 is the day before; order 4 is owner B's)
                #expect(lines[1].contains(",2,") && lines[1].contains("Trần Thị Bích") && lines[1].contains(",1250000,1250000,success,"))
                #expect(lines[2].contains(#""'=HYPERLINK(""x"")""#) && lines[2].contains(",'-1+1,"))
                #expect(!csv.body.contains("Bình Minh") && !csv.body.contains("PAY-4"))
                let row = try #require(try await audit(h, OwnerConsoleController.AuditAction.exportPayments).first)
                #expect(row.actor == "owner:\(a.rawValue)" && row.ownerID == a.rawValue)
                for bad in ["from=2026-11-30", "from=2026-11-30&to=2026-11-29", "from=30/11/2026&to=2026-11-30", "from=2025-01-01&to=2026-11-30"] {
                    #expect(try await client.get(h, "/owner/payments/export.csv?\(bad)").status == .badRequest, "\(bad)")
                }
            }
        }

        @Test(arguments: TestDatabases.backends)
        func thePaymentsPageFiltersAndPagesNewestFirst(backend: TestBackend) async throws {
            try await GatewayHarness.run(backend) { h in
                let a = h.ownerA.id, day = Self.dayStart
                for order in Int64(1)...55 {
                    try await ConsoleFixtures.insert(h, .init(owner: a, orderCode: order, createdAt: day + order * 60_000, status: order % 5 == 0 ? "expired" : "success"))
                }
                let refund = try await ConsoleFixtures.insert(
                    h, .init(owner: a, orderCode: 99, createdAt: day - 86_400_000, status: "cancelled", amount: 300_000, refundReason: "paid_after_cancel"))
                let client = try await ConsoleClient.signIn(h, key: h.ownerA.apiKey)
                let first = try await client.get(h, "/owner/payments?lang=en")
                #expect(first.status == .ok)
                #expect(first.body.components(separatedBy: "class=\"payment\"").count - 1 == 50)
                #expect(first.body.contains("500,000 ₫"))
                let next = try #require(ConsoleClient.link(id: "next-page", in: first.body))
                let second = try await client.get(h, next.replacingOccurrences(of: "&amp;", with: "&") + "&lang=en")
                #expect(second.body.components(separatedBy: "class=\"payment\"").count - 1 == 6)
                #expect(second.body.contains("300,000 ₫") && !second.body.contains(#"id="next-page""#))  // the refund due, oldest
                let expired = try await client.get(h, "/owner/payments?status=expired&from=2026-11-30&to=2026-11-30")
                #expect(expired.body.components(separatedBy: "class=\"payment\"").count - 1 == 11)
                let byBooking = try await client.get(h, "/owner/payments?code=\(refund.booking)")
                #expect(byBooking.body.components(separatedBy: "class=\"payment\"").count - 1 == 1)
                #expect(try await client.get(h, "/owner/payments?code=99").body.components(separatedBy: "class=\"payment\"").count - 1 == 1)
                for bad in ["status=paid", "from=yesterday", "code=abc", "after=x"] {
                    #expect(try await client.get(h, "/owner/payments?\(bad)").status == .badRequest, "\(bad)")
                }
            }
        }

        @Test(arguments: TestDatabases.backends)
        func theOverviewShowsTheLastVerifiedWebhookAndChartsTheOwnersOwnPayments(backend: TestBackend) async throws {
            try await GatewayHarness.run(backend) { h in
                let now = h.components.clock.now(), hour: Int64 = 3_600_000
                try await ConsoleFixtures.insert(h, .init(owner: h.ownerA.id, orderCode: 1, createdAt: now - 2 * hour))
                try await ConsoleFixtures.insert(h, .init(owner: h.ownerA.id, orderCode: 2, createdAt: now - 2 * hour, status: "expired"))
                try await ConsoleFixtures.insert(h, .init(owner: h.ownerB.id, orderCode: 3, createdAt: now - hour, status: "expired"))
                let received = now - 90_000
                try await h.components.database.execute(
                    """
                    INSERT INTO webhook_inbox (owner_id, order_code, reference, amount, body, received_at, processed_at, outcome)
                    VALUES (\(h.ownerA.id), 1, 'REF1', 500000, '{}', \(received), \(received), 'settled')
                    """, logger: h.logger)
                let client = try await ConsoleClient.signIn(h, key: h.ownerA.apiKey)
                let page = try await client.get(h, "/owner/overview?lang=en")
                #expect(page.body.contains(#"<time datetime="\#(APITime.format(received))""#))
                // One bucket with payments: 50 % (1 of 2), two payments; owner B's hour has none of A's.
                #expect(page.body.components(separatedBy: "class=\"dot\"").count - 1 == 1)
                #expect(page.body.contains("<title>50%</title>") && page.body.contains("<title>2</title>"))
                #expect(page.body.contains("50.00%"))
                // The volume is the VND received (the paid payment's 500,000), not the expired one's amount.
                #expect(page.body.contains("Money received (VND) 500,000 ₫"))
                let b = try await ConsoleClient.signIn(h, key: h.ownerB.apiKey).get(h, "/owner/overview?lang=en")
                #expect(b.body.contains("<title>0%</title>") && !b.body.contains(#"<time datetime="\#(APITime.format(received))""#))
                #expect(b.body.contains("Money received (VND) 0 ₫"))
            }
        }

        /// The form runs onboarding's own proof (`OnboardingService.submit`): here payOS (the sandbox) cannot reach the
        /// harness's public URL, so the proof fails at the webhook part, which the page names, audited as onboarding
        /// audits it, with nothing stored and no secret echoed back.
        @Test func rotationRunsTheOnboardingProofAndNeverEchoesTheSecrets() async throws {
            try await GatewayHarness.run(.sqlite) { h in
                let client = try await ConsoleClient.signIn(h, key: h.ownerA.apiKey)
                let channel = GatewayHarness.channelA
                let refused = try await client.post(
                    h, "/owner/credentials?lang=en", "client_id=\(channel.clientId)&api_key=\(channel.apiKey)&checksum_key=candidate-checksum-0000")
                #expect(refused.status == .unprocessableContent && refused.isHTML)
                #expect(refused.body.contains("could not reach your webhook address"))
                #expect(!refused.body.contains("candidate-checksum-0000") && !refused.body.contains(channel.apiKey))
                let failed = try await AuditLog().records(action: "credentials.proof_failed", database: h.components.database, logger: h.logger)
                #expect(failed.count == 1 && failed[0].actor == "owner:\(h.ownerA.id.rawValue)")
                #expect(try await h.components.credentials.info(owner: h.ownerA.id, logger: h.logger)?.activeVersion == 1)
                let malformed = try await client.post(h, "/owner/credentials?lang=en", "client_id=a+b&api_key=x&checksum_key=y")
                #expect(malformed.status == .badRequest && malformed.body.contains("without spaces"))
                let page = try await client.get(h, "/owner/credentials?lang=en")
                #expect(page.body.contains("v1") && !page.body.contains(channel.apiKey))
            }
        }
    }
}
