// Copyright (c) the Gatehouse authors
import Admin
import Foundation
import GatehouseTestSupport
import PayOSSandbox
import GatehouseApp
import HTTPTypes
import Storage
import StorageTestSupport
import Tenancy
import Testing
import Vault
import GatehouseCore

extension AdminSuites {
    /// The `/admin` dashboard over HTTP: sign-in, session cookie, CSRF on every form, pages in both languages.
    @Suite struct DashboardTests {
        /// A browser's state: the session cookie and the page's CSRF token.
        struct Browser {
            var cookie: String
            var csrf: String
            var headers: HTTPFields { [.cookie: "gh_admin=\(cookie)"] }
        }

        static func hidden(_ name: String, in html: String) -> String? {
            guard let range = html.range(of: #"name="\#(name)" value=""#) else { return nil }
            return String(html[range.upperBound...].prefix { $0 != "\"" })
        }

        static func cookieValue(_ name: String, in setCookies: [String]) -> String? {
            for header in setCookies where header.hasPrefix("\(name)=") {
                return String(header.dropFirst(name.count + 1).prefix { $0 != ";" })
            }
            return nil
        }

        static func signIn(_ h: AdminHarness, token: String? = nil) async throws -> Browser {
            let form = try await h.request(.get, "/admin/sign-in")
            let csrf = try #require(hidden("csrf", in: form.body))
            let pre = try #require(cookieValue("gh_admin_signin", in: form.setCookies))
            let body = "csrf=\(csrf)&token=\((token ?? h.adminToken.secret).addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)"
            let signedIn = try await h.request(
                .post, "/admin/sign-in", headers: [.contentType: "application/x-www-form-urlencoded", .cookie: "gh_admin_signin=\(pre)"], body: body)
            try #require(signedIn.status == .seeOther, "sign-in: \(signedIn.status)")
            let sessionHeader = try #require(signedIn.setCookies.first { $0.hasPrefix("gh_admin=") })
            #expect(sessionHeader.contains("HttpOnly"))
            #expect(sessionHeader.contains("SameSite=Strict"))
            #expect(!sessionHeader.contains("Secure"))  // the harness's public URL is http
            let cookie = try #require(cookieValue("gh_admin", in: signedIn.setCookies))
            let owners = try await h.request(.get, "/admin/dashboard/owners", headers: [.cookie: "gh_admin=\(cookie)"])
            return Browser(cookie: cookie, csrf: try #require(hidden("csrf", in: owners.body)))
        }

        @discardableResult
        static func post(_ h: AdminHarness, _ path: String, _ browser: Browser, _ fields: String = "", csrf: String? = nil) async throws -> HTTPResult {
            var headers = browser.headers
            headers[.contentType] = "application/x-www-form-urlencoded"
            return try await h.request(.post, path, headers: headers, body: "csrf=\(csrf ?? browser.csrf)" + (fields.isEmpty ? "" : "&" + fields))
        }

        @Test(arguments: TestDatabases.backends)
        func signingInOpensAHashedSessionAndSigningOutEndsIt(backend: TestBackend) async throws {
            try await AdminHarness.run(backend) { h in
                #expect(try await h.request(.get, "/admin").location == "/admin/sign-in")
                #expect(try await h.request(.get, "/admin/dashboard/owners").location == "/admin/sign-in")
                let browser = try await Self.signIn(h)
                // Stored hashed: the cookie's secret is nowhere in the table.
                let rows = try await h.components.database.query("SELECT prefix, session_hash, csrf_token FROM admin_session", logger: h.logger)
                #expect(rows.count == 1)
                let stored: [UInt8] = try rows[0].decode("session_hash")
                #expect(stored == h.components.hasher.hash(browser.cookie, purpose: "admin-session"))
                #expect(try await h.request(.get, "/admin", headers: browser.headers).location == "/admin/dashboard")
                let page = try await h.request(.get, "/admin/dashboard/owners", headers: browser.headers)
                #expect(page.status == .ok)
                #expect(page.body.contains("Nhà trọ Hoa Sen"))
                let csp = try #require(page.headers[HTTPField.Name("Content-Security-Policy")!])
                #expect(csp.contains("default-src 'none'") && csp.contains("form-action 'self'") && !csp.contains("script-src"))

                // Sign-out needs the CSRF token too.
                #expect(try await Self.post(h, "/admin/sign-out", browser, csrf: "forged").status == .forbidden)
                let out = try await Self.post(h, "/admin/sign-out", browser)
                #expect(out.location == "/admin/sign-in")
                #expect(try await h.request(.get, "/admin/dashboard/owners", headers: browser.headers).location == "/admin/sign-in")
                #expect(try await h.auditRows(action: "admin.session.sign_in").first?.actor == "admin:\(h.adminToken.prefix)")
            }
        }

        @Test(arguments: TestDatabases.backends)
        func wrongTokensOwnerKeysForgedFormsAndRevokedTokensGetNoSession(backend: TestBackend) async throws {
            try await AdminHarness.run(backend) { h in
                for wrong in ["nope", h.ownerA.apiKey, "gha_\(h.adminToken.prefix)_" + String(repeating: "b", count: 52)] {
                    let form = try await h.request(.get, "/admin/sign-in")
                    let csrf = try #require(Self.hidden("csrf", in: form.body))
                    let pre = try #require(Self.cookieValue("gh_admin_signin", in: form.setCookies))
                    let refused = try await h.request(
                        .post, "/admin/sign-in", headers: [.contentType: "application/x-www-form-urlencoded", .cookie: "gh_admin_signin=\(pre)"],
                        body: "csrf=\(csrf)&token=\(wrong)")
                    #expect(refused.status == .unauthorized)
                    #expect(refused.setCookies.allSatisfy { !$0.hasPrefix("gh_admin=") })
                }
                // A sign-in post without the pre-session token (cross-site) is refused even with the right admin token.
                let forged = try await h.request(
                    .post, "/admin/sign-in", headers: [.contentType: "application/x-www-form-urlencoded"], body: "csrf=x&token=\(h.adminToken.secret)")
                #expect(forged.status == .forbidden)

                let browser = try await Self.signIn(h)
                // A form without the session's CSRF token changes nothing.
                let a = h.ownerA.id.rawValue
                #expect(try await Self.post(h, "/admin/dashboard/owners/\(a)/suspend", browser, csrf: "").status == .forbidden)
                #expect(try await Self.post(h, "/admin/dashboard/owners/\(a)/suspend", browser, csrf: String(browser.csrf.dropLast()) + (browser.csrf.hasSuffix("x") ? "y" : "x")).status == .forbidden)
                #expect(try await h.components.owners.get(h.ownerA.id, logger: h.logger)?.status == .active)
                // Revoking the admin token ends its sessions.
                try await h.components.adminTokens.revoke(prefix: h.adminToken.prefix, logger: h.logger)
                #expect(try await h.request(.get, "/admin/dashboard/owners", headers: browser.headers).location == "/admin/sign-in")
            }
        }

        @Test func wrongTokensOnTheSignInFormSpendTheAddresssAuthenticationBudget() async throws {
            try await AdminHarness.run(.sqlite, environment: ["GATEHOUSE_AUTH_FAILURE_BURST": "2", "GATEHOUSE_AUTH_FAILURES_PER_MINUTE": "1"]) { (h: AdminHarness) async throws -> Void in
                func attempt(_ token: String) async throws -> HTTPResponse.Status {
                    let form = try await h.request(.get, "/admin/sign-in")
                    let csrf = try #require(Self.hidden("csrf", in: form.body))
                    let pre = try #require(Self.cookieValue("gh_admin_signin", in: form.setCookies))
                    return try await h.request(
                        .post, "/admin/sign-in", headers: [.contentType: "application/x-www-form-urlencoded", .cookie: "gh_admin_signin=\(pre)"],
                        body: "csrf=\(csrf)&token=\(token)"
                    ).status
                }
                #expect(try await attempt("nope-1") == .unauthorized)
                #expect(try await attempt("nope-2") == .unauthorized)
                // Spent: even the right token waits, on the form and on the admin API from the same address.
                #expect(try await attempt(h.adminToken.secret) == .tooManyRequests)
                #expect(try await h.request(.get, "/admin/owners", headers: [.authorization: "Bearer \(h.adminToken.secret)"]).status == .tooManyRequests)
                #expect(h.components.observability.exposition().contains(#"gatehouse_auth_failures_total{kind="admin"} 2"#))
            }
        }

        /// A paid or unpaid payment of `owner`, created `ago` ms before now (rows as the payment service writes them).
        static func insertPayment(
            _ h: AdminHarness, owner: OwnerID, orderCode: Int64, ago: Int64, status: String, paidAfter: Int64?
        ) async throws {
            let db = h.components.database
            let createdAt = h.components.clock.now() - ago
            let renter = try #require(
                try await db.execute(
                    "INSERT INTO renter (owner_id, name, email, created_at) VALUES (\(owner), 'R', 'r@example.vn', 0)", logger: h.logger
                ).lastInsertID)
            let booking = try #require(
                try await db.execute(
                    """
                    INSERT INTO booking (owner_id, renter_id, room_title, start_time, end_time, amount, created_at, updated_at)
                    VALUES (\(owner), \(renter), 'Room', 0, 1, 500000, 0, 0)
                    """, logger: h.logger
                ).lastInsertID)
            try await db.execute(
                """
                INSERT INTO payment (payment_code, order_code, amount, status, settled_by, renter_token_hash, expires_at, created_at,
                    updated_at, paid_at, booking_id, owner_id, renter_id)
                VALUES (\("PAY-\(orderCode)"), \(orderCode), 500000, \(status), \(paidAfter == nil ? nil : "webhook"),
                    \([UInt8](repeating: 1, count: 32)), 0, \(createdAt), \(createdAt), \(paidAfter.map { createdAt + $0 }), \(booking),
                    \(owner), \(renter))
                """, logger: h.logger)
        }

        @Test(arguments: TestDatabases.backends)
        func theOwnerPageChartsItsOwnPaymentsOnly(backend: TestBackend) async throws {
            try await AdminHarness.run(backend) { h in
                let hour: Int64 = 3_600_000
                // Owner A: two hours ago 1 of 2 paid (in 4 s); one hour ago 1 of 1 paid (in 8 s). Owner B: one unpaid.
                try await Self.insertPayment(h, owner: h.ownerA.id, orderCode: 1, ago: 2 * hour + 60_000, status: "success", paidAfter: 4_000)
                try await Self.insertPayment(h, owner: h.ownerA.id, orderCode: 2, ago: 2 * hour + 60_000, status: "expired", paidAfter: nil)
                try await Self.insertPayment(h, owner: h.ownerA.id, orderCode: 3, ago: hour + 60_000, status: "success", paidAfter: 8_000)
                try await Self.insertPayment(h, owner: h.ownerB.id, orderCode: 4, ago: hour + 60_000, status: "pending", paidAfter: nil)
                let browser = try await Self.signIn(h)
                let a = try await h.request(.get, "/admin/dashboard/owners/\(h.ownerA.id.rawValue)?lang=en", headers: browser.headers)
                #expect(a.status == .ok)
                // Success rate: a line through two points (50 %, 100 %); processing time: two bars (4 s, 8 s).
                #expect(a.body.components(separatedBy: "class=\"dot\"").count - 1 == 2)
                #expect(a.body.contains("<title>50%</title>") && a.body.contains("<title>100%</title>"))
                #expect(a.body.components(separatedBy: "class=\"bar\"").count - 1 == 2)
                #expect(a.body.contains("<title>4.0 s</title>") && a.body.contains("<title>8.0 s</title>"))
                let b = try await h.request(.get, "/admin/dashboard/owners/\(h.ownerB.id.rawValue)?lang=en", headers: browser.headers)
                // Owner B's one unpaid payment: a 0 % point and no processing bar.
                #expect(b.body.contains("<title>0%</title>"))
                #expect(!b.body.contains("class=\"bar\""))
            }
        }

        @Test(arguments: TestDatabases.backends)
        func formsSuspendSetTheRateLimitRotateResendAndAreAudited(backend: TestBackend) async throws {
            try await AdminHarness.run(backend) { h in
                let browser = try await Self.signIn(h)
                let a = h.ownerA.id.rawValue
                let suspended = try await Self.post(h, "/admin/dashboard/owners/\(a)/suspend", browser)
                #expect(suspended.status == .seeOther)
                #expect(try await h.components.owners.get(h.ownerA.id, logger: h.logger)?.status == .suspended)
                #expect(try await h.request(.get, "/api/owner/api-keys", headers: h.ownerA.bearer).errorCode == "OWNER_SUSPENDED")
                try await Self.post(h, "/admin/dashboard/owners/\(a)/reactivate", browser)
                #expect(try await h.components.owners.get(h.ownerA.id, logger: h.logger)?.status == .active)

                let store = h.components.rateLimits
                let saved = try await Self.post(h, "/admin/dashboard/owners/\(a)/rate-limit", browser, "requests_per_second=7&burst=21")
                #expect(saved.location == "/admin/dashboard/owners/\(a)?done=saved")
                #expect(try await store.get(owner: h.ownerA.id, logger: h.logger).map { [$0.requestsPerSecond, $0.burst] } == [7, 21])
                #expect(try await store.get(owner: h.ownerB.id, logger: h.logger) == nil)
                // Enforced on this instance at once (no reload wait).
                #expect(h.components.rateLimiter.effectiveLimit(owner: h.ownerA.id).requests.burst == 21)
                #expect(h.components.rateLimiter.effectiveLimit(owner: h.ownerB.id).isDefault)
                for bad in ["requests_per_second=0&burst=5", "requests_per_second=5&burst=", "requests_per_second=abc&burst=5", "burst=5"] {
                    try await Self.post(h, "/admin/dashboard/owners/\(a)/rate-limit", browser, bad)
                }
                #expect(try await store.get(owner: h.ownerA.id, logger: h.logger).map { [$0.requestsPerSecond, $0.burst] } == [7, 21])
                let row = try #require(try await h.auditRows(action: AdminOperations.AuditAction.setRateLimit).first)
                #expect(row.ownerID == a && row.actor == "admin:\(h.adminToken.prefix)")
                #expect(try await h.auditRows(action: AdminOperations.AuditAction.setRateLimit).count == 1)

                let detail = try await h.request(.get, "/admin/dashboard/owners/\(a)?lang=en", headers: browser.headers)
                #expect(detail.body.contains("7/s, burst 21"))
                #expect(detail.body.contains("<svg"))
                #expect(detail.body.contains("Success rate"))
                let vi = try await h.request(.get, "/admin/dashboard/owners/\(a)?lang=vi&bucket=day", headers: browser.headers)
                #expect(vi.body.contains("Tỷ lệ thành công"))

                #expect(try await Self.post(h, "/admin/dashboard/vault/rotate", browser).location == "/admin/dashboard/vault?done=rotated")
                #expect(try await h.auditRows(action: AdminOperations.AuditAction.rotateMasterKey).count == 1)
                for path in ["/admin/dashboard/vault", "/admin/dashboard/notifications", "/admin/dashboard/audit?action=owner.rate_limit.set"] {
                    let page = try await h.request(.get, path, headers: browser.headers)
                    #expect(page.status == .ok, "\(path)")
                }
                let filtered = try await h.request(.get, "/admin/dashboard/audit?action=owner.rate_limit.set", headers: browser.headers)
                #expect(filtered.body.contains(AdminOperations.AuditAction.setRateLimit))
                #expect(!filtered.body.contains("admin.owner.suspend"))
                #expect(try await h.request(.get, "/admin/dashboard/audit?from=yesterday", headers: browser.headers).status == .badRequest)
                let lineBreak = try await h.request(.get, "/admin/dashboard/audit?action=owner%0Acreate", headers: browser.headers)
                #expect(lineBreak.status == .badRequest && lineBreak.isHTML && lineBreak.body.contains("action must be one line"))
            }
        }
    }
}
