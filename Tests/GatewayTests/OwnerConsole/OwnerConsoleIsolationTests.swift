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
    /// The console shows and changes the signed-in owner's data only: owner B's session walks every console route,
    /// GET and POST, aimed at owner A's payments, keys and credentials, and sees or changes nothing of A's.
    @Suite struct OwnerConsoleIsolationTests {
        @Test(arguments: TestDatabases.backends)
        func anotherOwnersSessionSeesAndChangesNothingOfTheOwners(backend: TestBackend) async throws {
            try await GatewayHarness.run(backend) { h in
                let a = h.ownerA.id, day = OwnerConsoleTests.dayStart, now = h.components.clock.now()
                let fixture = try await ConsoleFixtures.insert(
                    h, .init(owner: a, orderCode: 777_001, createdAt: day, renterName: "Người thuê của A", roomTitle: "Phòng của A"))
                try await ConsoleFixtures.insert(h, .init(owner: a, orderCode: 777_002, createdAt: now - 3_600_000, renterName: "Người thuê của A"))
                try await h.components.database.execute(
                    """
                    INSERT INTO webhook_inbox (owner_id, order_code, reference, amount, body, received_at, processed_at, outcome)
                    VALUES (\(a), 777002, 'REF-A', 500000, '{}', \(now - 60_000), \(now - 60_000), 'settled')
                    """, logger: h.logger)
                let aPrefix = try #require(PrefixedToken.prefix(of: h.ownerA.apiKey, scheme: "gh"))
                let aSession = try await ConsoleClient.signIn(h, key: h.ownerA.apiKey)
                let b = try await ConsoleClient.signIn(h, key: h.ownerB.apiKey)
                // Everything that identifies A's data on a page or in a file.
                let secretsOfA = [
                    "Người thuê của A", "Phòng của A", "<td>777001</td>", "<td>777002</td>", ",777001,", "PAY-777", aPrefix, h.ownerA.owner.name,
                    h.components.credentials.webhookURL(for: h.ownerA.owner), "…" + String(GatewayHarness.channelA.clientId.suffix(4)),
                    APITime.format(now - 60_000),
                ]
                func expectNothingOfA(_ result: HTTPResult, _ what: String) {
                    for text in secretsOfA { #expect(!result.body.contains(text), "\(what) shows A's \(text)") }
                }

                let gets = [
                    "/owner", "/owner/overview", "/owner/overview?bucket=day", "/owner/payments", "/owner/payments?code=777001",
                    "/owner/payments?code=\(fixture.booking)", "/owner/payments?from=2026-11-30&to=2026-11-30",
                    "/owner/payments?after=\(day + 1).\(fixture.id + 1)", "/owner/payments/export.csv?from=2026-11-29&to=2026-12-01",
                    "/owner/api-keys", "/owner/credentials",
                ]
                for path in gets {
                    let result = try await b.get(h, path)
                    #expect([200, 303].contains(result.status.code), "\(path): \(result.status)")
                    expectNothingOfA(result, path)
                }
                let csv = try await b.get(h, "/owner/payments/export.csv?from=2026-11-29&to=2026-12-01")
                #expect(csv.body.components(separatedBy: "\r\n").filter { !$0.isEmpty }.count == 1)  // the header only

                // Forms: revoke A's key by its prefix, create a key, rotate credentials, sign out.
                let revoke = try await b.post(h, "/owner/api-keys/\(aPrefix)/revoke")
                #expect(revoke.location == "/owner/api-keys?done=keyNotFound")
                let created = try await b.post(h, "/owner/api-keys", "name=B")
                expectNothingOfA(created, "create key")
                let rotate = try await b.post(h, "/owner/credentials", "client_id=a+b&api_key=x&checksum_key=y")
                #expect(rotate.status == .badRequest)
                expectNothingOfA(rotate, "rotate")
                #expect(try await b.post(h, "/owner/sign-out").location == "/owner/sign-in")

                // Nothing of A's changed: its keys, credentials, payments and session.
                let keysOfA = try await h.components.apiKeys.list(owner: a, logger: h.logger)
                #expect(keysOfA.count == 1 && keysOfA[0].revokedAt == nil)
                #expect(try await h.get("/api/owner/api-keys", headers: h.ownerA.bearer).status == .ok)
                #expect(try await h.components.credentials.info(owner: a, logger: h.logger)?.activeVersion == 1)
                #expect(try await h.components.apiKeys.list(owner: h.ownerB.id, logger: h.logger).count == 2)
                let overview = try await aSession.get(h, "/owner/payments")
                #expect(overview.status == .ok && overview.body.contains("Người thuê của A"))
                // The audit rows B's session wrote are about B only.
                let rowsOfA = try await AuditLog().records(ownerID: a.rawValue, database: h.components.database, logger: h.logger)
                #expect(!rowsOfA.contains { $0.actor == "owner:\(h.ownerB.id.rawValue)" })
                let rowsOfB = try await AuditLog().records(ownerID: h.ownerB.id.rawValue, database: h.components.database, logger: h.logger)
                #expect(rowsOfB.contains { $0.action == OwnerConsoleController.AuditAction.createKey })
            }
        }
    }
}
