// Copyright (c) the Gatehouse authors
import Admin
import Foundation
import GatehouseTestSupport
import PayOSSandbox
import GatehouseApp
import HTTPTypes
import PayOS
import Storage
import StorageTestSupport
import Tenancy
import Testing
import Vault
import GatehouseCore
import Notifications

extension AdminSuites {
    /// The `/admin` JSON API: each endpoint's happy path, its refusals, and the audit row every change leaves.
    @Suite struct AdminAPITests {
        /// Every admin route, with a body where it takes one (ids point at owner B: a real resource of another owner).
        static func everyRoute(_ h: AdminHarness) -> [(HTTPRequest.Method, String, String?)] {
            let b = h.ownerB.id.rawValue
            return [
                (.get, "/admin/owners", nil), (.post, "/admin/owners", #"{"name":"X","email":"x@example.vn"}"#),
                (.get, "/admin/owners/\(b)", nil), (.post, "/admin/owners/\(b)/suspend", nil), (.post, "/admin/owners/\(b)/reactivate", nil),
                (.post, "/admin/owners/\(b)/rotate-api-keys", nil), (.post, "/admin/owners/\(b)/expire-previous-checksum-key", nil),
                (.get, "/admin/vault", nil), (.post, "/admin/vault/rotate-master-key", nil), (.post, "/admin/vault/retire-kek", #"{"version":1}"#),
                (.get, "/admin/owners/\(b)/rate-limit", nil), (.put, "/admin/owners/\(b)/rate-limit", #"{"requests_per_second":1,"burst":1}"#),
                (.get, "/admin/metrics", nil), (.get, "/admin/metrics?owner=\(b)&bucket=day", nil),
                (.get, "/admin/audit", nil), (.get, "/admin/notifications/dead", nil), (.post, "/admin/notifications/1/resend", nil),
                (.get, "/admin/refunds", nil), (.post, "/admin/refunds/1/resolve", nil),
            ]
        }

        @Test(arguments: TestDatabases.backends)
        func everyRouteRefusesNoTokenAWrongTokenARevokedTokenAndOwnerKeys(backend: TestBackend) async throws {
            try await AdminHarness.run(backend, environment: TestGatehouse.sweepingWrongCredentials) { h in
                let revoked = try await h.components.adminTokens.create(name: "revoked", logger: h.logger)
                #expect(try await h.components.adminTokens.revoke(prefix: revoked.prefix, logger: h.logger))
                let forged = "gha_\(h.adminToken.prefix)_" + String(repeating: "a", count: 52)
                let refused: [(String, HTTPFields)] = [
                    ("no token", [:]),
                    ("not bearer", [.authorization: "Basic \(h.adminToken.secret)"]),
                    ("right prefix, wrong secret", [.authorization: "Bearer \(forged)"]),
                    ("revoked token", [.authorization: "Bearer \(revoked.secret)"]),
                    ("owner A's API key", h.ownerA.bearer),
                    ("owner B's API key on its own resources", h.ownerB.bearer),
                ]
                let auditBefore = try await AuditLog().records(limit: 10_000, database: h.components.database, logger: h.logger).count
                for (method, path, body) in Self.everyRoute(h) {
                    for (what, headers) in refused {
                        let response = try await h.request(method, path, headers: headers, body: body)
                        #expect(response.status == .unauthorized, "\(what): \(method) \(path)")
                        #expect(response.errorCode == "UNAUTHORIZED", "\(what): \(method) \(path)")
                    }
                }
                // Nothing refused changed anything: no owner suspended, no audit row written.
                #expect(try await h.components.owners.get(h.ownerB.id, logger: h.logger)?.status == .active)
                #expect(try await AuditLog().records(limit: 10_000, database: h.components.database, logger: h.logger).count == auditBefore)
                // And the genuine token works on the same routes.
                #expect(try await h.get("/admin/owners").status == .ok)
            }
        }

        @Test(arguments: TestDatabases.backends)
        func creatingAnOwnerReturnsItsFirstKeyOnceAndAuditsWhoDidIt(backend: TestBackend) async throws {
            try await AdminHarness.run(backend) { h in
                let created = try await h.post("/admin/owners", #"{"name":"  Nhà nghỉ Sông Hàn ","email":"songhan@example.vn"}"#)
                #expect(created.status == .created)
                let key = try #require(created.json?["api_key"]?.stringValue)
                let id = try #require(created.json?["owner"]?["id"]?.int64Value)
                #expect(created.json?["owner"]?["name"] == "Nhà nghỉ Sông Hàn")
                #expect(created.json?["owner"]?["status"] == "active")
                #expect(created.json?["owner"]?["onboarding_state"] == "pending")
                // The key works on the owner API…
                let keys = try await h.request(.get, "/api/owner/api-keys", headers: [.authorization: "Bearer \(key)"])
                #expect(keys.status == .ok)
                // …is not an admin token…
                #expect(try await h.get("/admin/owners", headers: [.authorization: "Bearer \(key)"]).status == .unauthorized)
                // …and is never shown again.
                let shown = try await h.get("/admin/owners/\(id)")
                #expect(shown.status == .ok)
                #expect(!shown.body.contains(key))
                let row = try #require(try await h.auditRows(action: AdminOwnerService.AuditAction.create).first)
                #expect(row.actor == "admin:\(h.adminToken.prefix)")
                #expect(row.ownerID == id)
                #expect(row.requestID == created.requestID)

                for bad in [#"{"name":"","email":"a@example.vn"}"#, #"{"name":"A","email":"not-an-email"}"#, #"{"name":"A"}"#, "not json"] {
                    let refused = try await h.post("/admin/owners", bad)
                    #expect(refused.status == .badRequest, "\(bad)")
                    #expect(refused.errorCode == "VALIDATION_ERROR", "\(bad)")
                }
                #expect(try await h.components.owners.list(logger: h.logger).count == 3)
            }
        }

        @Test(arguments: TestDatabases.backends)
        func ownersAreListedWithStatusOnboardingAndOnlyACredentialHint(backend: TestBackend) async throws {
            try await AdminHarness.run(backend) { h in
                let list = try await h.get("/admin/owners")
                #expect(list.status == .ok)
                let owners = try #require(list.json?["owners"]?.arrayValue)
                #expect(owners.count == 2)
                let a = try #require(owners.first { $0["id"]?.int64Value == h.ownerA.id.rawValue })
                let b = try #require(owners.first { $0["id"]?.int64Value == h.ownerB.id.rawValue })
                #expect(a["onboarding_state"] == "active")
                #expect(a["credentials"]?["client_id_hint"] == .string("…" + AdminHarness.channel.clientId.suffix(4)))
                #expect(a["credentials"]?["version"] == 1)
                #expect(b["onboarding_state"] == "pending")
                #expect(b["credentials"] == .null || b["credentials"] == nil)
                #expect(!list.body.contains(AdminHarness.channel.clientId))

                let one = try await h.get("/admin/owners/\(h.ownerA.id.rawValue)")
                #expect(one.json?["email"] == "owner-a@example.vn")
                for missing in ["/admin/owners/999999", "/admin/owners/abc", "/admin/owners/-1"] {
                    let response = try await h.get(missing)
                    #expect(response.status == .notFound, "\(missing)")
                    #expect(response.errorCode == "NOT_FOUND", "\(missing)")
                }
            }
        }

        @Test(arguments: TestDatabases.backends)
        func aSuspendedOwnersAPICallsAreRefusedUntilReactivated(backend: TestBackend) async throws {
            try await AdminHarness.run(backend) { h in
                let a = h.ownerA
                #expect(try await h.request(.get, "/api/owner/api-keys", headers: a.bearer).status == .ok)
                // The owner's payOS keys are in this instance's cache (a verification fills it).
                let cache = try #require(h.components.keyAccess.cache)
                _ = try await h.components.keyAccess.withWebhookVerificationKeys(owner: a.id, audit: AuditContext(actor: "test"), logger: h.logger) { $0.count }
                #expect(cache.contains(owner: a.id.rawValue))
                let suspended = try await h.post("/admin/owners/\(a.id.rawValue)/suspend")
                #expect(suspended.status == .ok)
                // …and dropped by the suspension, here at once and on other instances through the invalidation row.
                #expect(!cache.contains(owner: a.id.rawValue))
                let invalidations = try await h.components.database.query(
                    "SELECT COUNT(*) AS n FROM vault_key_invalidation WHERE owner_id = \(a.id.rawValue) AND reason = 'owner.status'", logger: h.logger)
                #expect(try invalidations.first?.decode("n", as: Int64.self) == 1)
                #expect(suspended.json?["status"] == "suspended")
                let refused = try await h.request(.get, "/api/owner/api-keys", headers: a.bearer)
                #expect(refused.status == .forbidden)
                #expect(refused.errorCode == "OWNER_SUSPENDED")
                // The other owner is untouched.
                #expect(try await h.request(.get, "/api/owner/api-keys", headers: h.ownerB.bearer).status == .ok)
                // Suspending again changes nothing and writes no second row.
                #expect(try await h.post("/admin/owners/\(a.id.rawValue)/suspend").json?["status"] == "suspended")
                #expect(try await h.auditRows(action: AdminOwnerService.AuditAction.suspend).count == 1)

                let reactivated = try await h.post("/admin/owners/\(a.id.rawValue)/reactivate")
                #expect(reactivated.json?["status"] == "active")
                #expect(try await h.request(.get, "/api/owner/api-keys", headers: a.bearer).status == .ok)
                let row = try #require(try await h.auditRows(action: AdminOwnerService.AuditAction.reactivate).first)
                #expect(row.ownerID == a.id.rawValue)
                #expect(row.actor == "admin:\(h.adminToken.prefix)")
                #expect(row.requestID == reactivated.requestID)
                #expect(try await h.post("/admin/owners/424242/suspend").status == .notFound)
            }
        }

        @Test(arguments: TestDatabases.backends)
        func rotatingAnOwnersKeysKeepsTheOldOnesUntilTheExpiryTheAdminSets(backend: TestBackend) async throws {
            try await AdminHarness.run(backend) { h in
                let a = h.ownerA
                // Default: the old key keeps working (for 24 h), the new one works at once.
                let before = h.components.clock.now()
                let rotated = try await h.post("/admin/owners/\(a.id.rawValue)/rotate-api-keys")
                #expect(rotated.status == .ok)
                let newKey = try #require(rotated.json?["api_key"]?.stringValue)
                let expiresAt = try #require(rotated.json?["old_keys_expire_at"]?.stringValue.flatMap(APITimeParse.parse))
                #expect(abs(expiresAt - (before + 86_400_000)) < 60_000)
                #expect(try await h.request(.get, "/api/owner/api-keys", headers: a.bearer).status == .ok)
                #expect(try await h.request(.get, "/api/owner/api-keys", headers: [.authorization: "Bearer \(newKey)"]).status == .ok)

                // 0 = now: every key issued before this call stops working immediately.
                let now = try await h.post("/admin/owners/\(a.id.rawValue)/rotate-api-keys", #"{"old_keys_valid_for_seconds":0}"#)
                let newest = try #require(now.json?["api_key"]?.stringValue)
                for old in [a.apiKey, newKey] {
                    #expect(try await h.request(.get, "/api/owner/api-keys", headers: [.authorization: "Bearer \(old)"]).status == .unauthorized)
                }
                #expect(try await h.request(.get, "/api/owner/api-keys", headers: [.authorization: "Bearer \(newest)"]).status == .ok)
                // Owner B's key is not affected by A's rotation.
                #expect(try await h.request(.get, "/api/owner/api-keys", headers: h.ownerB.bearer).status == .ok)
                let rows = try await h.auditRows(action: AdminOwnerService.AuditAction.rotateAPIKeys)
                #expect(rows.count == 2)
                #expect(rows.allSatisfy { $0.ownerID == a.id.rawValue && $0.actor == "admin:\(h.adminToken.prefix)" })

                for bad in [#"{"old_keys_valid_for_seconds":-1}"#, #"{"old_keys_valid_for_seconds":"soon"}"#, #"{"old_keys_valid_for_seconds":99999999}"#] {
                    #expect(try await h.post("/admin/owners/\(a.id.rawValue)/rotate-api-keys", bad).errorCode == "VALIDATION_ERROR", "\(bad)")
                }
                #expect(try await h.post("/admin/owners/999999/rotate-api-keys").status == .notFound)
            }
        }

        @Test(arguments: TestDatabases.backends)
        func theRateLimitAndMetricsRoutesAreMountedBehindAdminAuth(backend: TestBackend) async throws {
            try await AdminHarness.run(backend) { h in
                let a = h.ownerA.id.rawValue
                let put = try await h.request(
                    .put, "/admin/owners/\(a)/rate-limit", headers: h.admin, body: #"{"requests_per_second":5,"burst":9}"#)
                #expect(put.status == .ok)
                #expect(put.json?["requests_per_second"] == 5)
                let got = try await h.get("/admin/owners/\(a)/rate-limit")
                #expect(got.json?["burst"] == 9)
                #expect(got.json?["is_default"] == false)
                let row = try #require(try await h.auditRows(action: AdminOperations.AuditAction.setRateLimit).first)
                #expect(row.actor == "admin:\(h.adminToken.prefix)")
                #expect(row.requestID == put.requestID)
                #expect(try await h.get("/admin/owners/\(h.ownerB.id.rawValue)/rate-limit").json?["is_default"] == true)
                let metrics = try await h.get("/admin/metrics?owner=\(a)&bucket=day")
                #expect(metrics.status == .ok)
                #expect(metrics.isJSON)
                #expect(try await h.get("/admin/metrics?bucket=week").errorCode == "VALIDATION_ERROR")
            }
        }

        @Test(arguments: TestDatabases.backends)
        func theVaultReportsPerVersionCountsRotatesAndRetiresOnlyUnusedVersions(backend: TestBackend) async throws {
            let ring = [3, 2, 1].map { MasterKeyRing.generateEntry(version: $0) }.joined(separator: ",")
            try await AdminHarness.run(backend, environment: ["GATEHOUSE_MASTER_KEYS": ring]) { h in
                let status = try await h.get("/admin/vault")
                #expect(status.status == .ok)
                #expect(status.json?["active_kek_version"] == 3)
                let underThree = try #require(status.json?["keys_by_kek_version"]?["3"]?.int64Value)
                #expect(underThree >= 2)  // owner A's data key and the token pepper at least
                #expect(status.json?["keys_to_rewrap"] == 0)

                let toTwo = try await h.post("/admin/vault/rotate-master-key", #"{"to":2,"batch_size":1}"#)
                #expect(toTwo.status == .ok)
                #expect(toTwo.json?["finished"] == true)
                #expect(toTwo.json?["rewrapped"]?.int64Value == underThree)
                #expect(toTwo.json?["vault"]?["keys_by_kek_version"]?["2"]?.int64Value == underThree)
                #expect(toTwo.json?["vault"]?["keys_to_rewrap"]?.int64Value == underThree)

                let back = try await h.post("/admin/vault/rotate-master-key")
                #expect(back.json?["target_kek_version"] == 3)
                #expect(back.json?["vault"]?["keys_to_rewrap"] == 0)

                let retired = try await h.post("/admin/vault/retire-kek", #"{"version":1}"#)
                #expect(retired.status == .ok)
                #expect(retired.json?["vault"]?["ring_versions"] == [3, 2])
                let active = try await h.post("/admin/vault/retire-kek", #"{"version":3}"#)
                #expect(active.status == .conflict)
                #expect(active.errorCode == "KEK_IN_USE")
                #expect(try await h.post("/admin/vault/retire-kek", #"{"version":9}"#).errorCode == "UNKNOWN_KEK_VERSION")
                #expect(try await h.post("/admin/vault/retire-kek", #"{}"#).errorCode == "VALIDATION_ERROR")
                #expect(try await h.post("/admin/vault/rotate-master-key", #"{"to":7}"#).errorCode == "UNKNOWN_KEK_VERSION")
                #expect(try await h.post("/admin/vault/rotate-master-key", #"{"batch_size":0}"#).errorCode == "VALIDATION_ERROR")

                let actor = "admin:\(h.adminToken.prefix)"
                #expect(try await h.auditRows(action: AdminOperations.AuditAction.rotateMasterKey).filter { $0.actor == actor }.count == 2)
                #expect(try await h.auditRows(action: AdminOperations.AuditAction.retireKEK).first?.requestID == retired.requestID)
                // The vault's own rows carry the admin too.
                #expect(try await h.auditRows(action: Vault.AuditAction.rewrap).allSatisfy { $0.actor == actor })
            }
        }

        @Test(arguments: TestDatabases.backends)
        func forceExpiringThePreviousChecksumKeyDestroysItAtOnce(backend: TestBackend) async throws {
            try await AdminHarness.run(backend) { h in
                let a = h.ownerA
                // A credential rotation leaves the previous checksum key usable for the grace window.
                let channel = AdminHarness.channel
                _ = try await h.components.credentials.store(
                    owner: a.id, clientID: channel.clientId, apiKey: channel.apiKey, checksumKey: channel.checksumKey,
                    audit: AuditContext(actor: "test:setup"), logger: h.logger)
                let before = try await h.get("/admin/owners/\(a.id.rawValue)")
                #expect(before.json?["credentials"]?["previous_checksum_key_usable_until"]?.stringValue != nil)

                let expired = try await h.post("/admin/owners/\(a.id.rawValue)/expire-previous-checksum-key")
                #expect(expired.status == .ok)
                #expect(expired.json?["destroyed"] == 1)
                let after = try await h.get("/admin/owners/\(a.id.rawValue)")
                #expect(after.json?["credentials"]?["previous_checksum_key_usable_until"] == nil || after.json?["credentials"]?["previous_checksum_key_usable_until"] == .null)
                #expect(try await h.post("/admin/owners/\(a.id.rawValue)/expire-previous-checksum-key").json?["destroyed"] == 0)
                #expect(try await h.post("/admin/owners/999999/expire-previous-checksum-key").status == .notFound)
                let row = try #require(try await h.auditRows(action: AdminOperations.AuditAction.expirePreviousChecksumKey).last)
                #expect(row.ownerID == a.id.rawValue)
                #expect(row.requestID == expired.requestID)
            }
        }

        @Test(arguments: TestDatabases.backends)
        func theAuditTrailFiltersByOwnerActionAndTimeNewestFirstInPages(backend: TestBackend) async throws {
            try await AdminHarness.run(backend) { h in
                let a = h.ownerA.id.rawValue
                for _ in 0..<3 {
                    try await h.post("/admin/owners/\(a)/suspend")
                    try await h.post("/admin/owners/\(a)/reactivate")
                }
                try await h.post("/admin/owners/\(h.ownerB.id.rawValue)/suspend")

                let mine = try await h.get("/admin/audit?owner=\(a)&limit=4")
                let page1 = try #require(mine.json?["records"]?.arrayValue)
                #expect(page1.count == 4)
                let ids = page1.compactMap { $0["id"]?.int64Value }
                #expect(ids == ids.sorted(by: >))
                #expect(page1.allSatisfy { $0["owner_id"]?.int64Value == a })
                #expect(page1.first?["action"] == "admin.owner.reactivate")
                let cursor = try #require(mine.json?["next_before"]?.int64Value)
                let rest = try #require(try await h.get("/admin/audit?owner=\(a)&limit=4&before=\(cursor)").json)
                let page2 = try #require(rest["records"]?.arrayValue)
                #expect(page2.allSatisfy { ($0["id"]?.int64Value ?? .max) < cursor })
                #expect(page2.filter { $0["action"]?.stringValue?.hasPrefix("admin.owner.") == true }.count == 2)

                let suspends = try #require(try await h.get("/admin/audit?action=admin.owner.suspend").json?["records"]?.arrayValue)
                #expect(suspends.count == 4)
                let future = try #require(try await h.get("/admin/audit?from=2100-01-01T00:00:00Z").json?["records"]?.arrayValue)
                #expect(future.isEmpty)
                let past = try #require(try await h.get("/admin/audit?to=2000-01-01T00:00:00Z").json?["records"]?.arrayValue)
                #expect(past.isEmpty)
                let all = try #require(try await h.get("/admin/audit?from=2000-01-01T00:00:00Z&to=2100-01-01T00:00:00Z&limit=500").json?["records"]?.arrayValue)
                #expect(all.count >= 7)

                for bad in ["limit=0", "limit=501", "limit=x", "owner=abc", "from=yesterday", "from=2030-01-01T00:00:00Z&to=2020-01-01T00:00:00Z", "before=-3"] {
                    let refused = try await h.get("/admin/audit?\(bad)")
                    #expect(refused.status == .badRequest, "\(bad)")
                    #expect(refused.errorCode == "VALIDATION_ERROR", "\(bad)")
                }
                // The chain still verifies after all of it.
                #expect(try await AuditLog().verify(database: h.components.database, logger: h.logger).isIntact)
            }
        }

        @Test(arguments: TestDatabases.backends)
        func deadEmailsAreListedAndCanBeResentOnce(backend: TestBackend) async throws {
            try await AdminHarness.run(backend) { h in
                let database = h.components.database
                let outbox = h.components.notifications.outbox
                let email = OutboxEmail(
                    ownerID: h.ownerA.id, kind: "payment_success_owner", recipient: "owner-a@example.vn", subject: "Đã thanh toán",
                    body: "…", dedupeKey: "admin-test-dead-1")
                try await database.withTransaction(logger: h.logger) { connection in _ = try await outbox.enqueue(email, on: connection) }
                let id = try #require(try await outbox.entries(logger: h.logger).first?.id)
                // The worker gave up on it (as after its last failed attempt).
                try await database.execute(
                    "UPDATE outbox SET status = 'dead', attempts = 8, last_error = 'MailerError(connectionFailed)' WHERE id = \(id)", logger: h.logger)

                let dead = try await h.get("/admin/notifications/dead")
                let entries = try #require(dead.json?["notifications"]?.arrayValue)
                #expect(entries.count == 1)
                #expect(entries.first?["id"]?.int64Value == id)
                #expect(entries.first?["last_error"] == "MailerError(connectionFailed)")
                #expect(entries.first?["body"] == nil)

                let resent = try await h.post("/admin/notifications/\(id)/resend")
                #expect(resent.status == .ok)
                #expect(try await outbox.entry(id: id, logger: h.logger)?.status != .dead)
                #expect(try await h.get("/admin/notifications/dead").json?["notifications"]?.arrayValue?.isEmpty == true)
                let again = try await h.post("/admin/notifications/\(id)/resend")
                #expect(again.status == .conflict)
                #expect(again.errorCode == "CONFLICT")
                #expect(try await h.post("/admin/notifications/999999/resend").status == .notFound)
                let row = try #require(try await h.auditRows(action: AdminOperations.AuditAction.resendNotification).first)
                #expect(row.ownerID == h.ownerA.id.rawValue)
                #expect(row.requestID == resent.requestID)
            }
        }
    }
}

/// ISO-8601 parsing for assertions (the gateway's own `APITime` is what produced the text).
enum APITimeParse {
    static func parse(_ text: String) -> Int64? {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.date(from: text).map { Int64($0.timeIntervalSince1970 * 1000) }
    }
}
