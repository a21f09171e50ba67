// Copyright (c) the Gatehouse authors
import Foundation
import GatehouseApp
import GatehouseCore
import GatehouseTestSupport
import HTTPTypes
import LogTestSupport
import PayOS
import PayOSSandbox
import StorageTestSupport
import Tenancy
import Testing
import Vault

extension GatewayAPITests {
    /// The console's rotation form succeeding end to end: payOS (the sandbox) reaches the initiator's public URL (the
    /// receiver instance), so the onboarding proof runs in full — candidate keys checked at payOS, the webhook URL
    /// confirmed, the probe signed with the new checksum key verified — and the new set becomes the active one, with
    /// the previous checksum key verifying during its grace window.
    @Suite struct OwnerConsoleRotationTests {
        typealias C = OnboardingCluster

        @Test(arguments: TestDatabases.backends)
        func theConsoleRotatesCredentialsThroughTheOnboardingProof(backend: TestBackend) async throws {
            try await OnboardingCluster.run(backend) { cluster in
                let (owner, bearer) = try await cluster.makeOwner("console-xoay")
                let first = try await cluster.request(.put, "/api/owner/payos-credentials", headers: bearer, body: C.body(C.channelA))
                try #require(first.json?["version"] == 1, "\(first.body)")
                let apiKey = try #require(bearer[.authorization]?.dropFirst("Bearer ".count)).description

                // Sign in to the console on the initiator, as a browser would.
                let port = cluster.initiatorPort
                let form = try await HTTPResult.fetch(port: port, .get, "/owner/sign-in")
                let signInToken = try #require(ConsoleClient.hidden("csrf", in: form.body))
                let pre = try #require(ConsoleClient.cookieValue("gh_owner_signin", in: form.setCookies))
                let signedIn = try await HTTPResult.fetch(
                    port: port, .post, "/owner/sign-in",
                    headers: [.contentType: "application/x-www-form-urlencoded", .cookie: "gh_owner_signin=\(pre)"],
                    body: "csrf=\(signInToken)&api_key=\(apiKey.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)")
                try #require(signedIn.status == .seeOther, "sign-in: \(signedIn.status)")
                let session = try #require(ConsoleClient.cookieValue("gh_owner", in: signedIn.setCookies))
                let page = try await HTTPResult.fetch(port: port, .get, "/owner/credentials?lang=en", headers: [.cookie: "gh_owner=\(session)"])
                let csrf = try #require(ConsoleClient.hidden("csrf", in: page.body))

                // The owner rotated at payOS; the console's form submits the new set.
                let rotated = SandboxChannel(
                    clientId: C.channelA.clientId, apiKey: C.channelA.apiKey + "-v2", checksumKey: C.channelA.checksumKey + "-v2",
                    accountName: C.channelA.accountName)
                try await cluster.sandbox.addChannel(rotated, replace: true)
                let fields = ["client_id": rotated.clientId, "api_key": rotated.apiKey, "checksum_key": rotated.checksumKey]
                    .map { "\($0.key)=\($0.value.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)" }.joined(separator: "&")
                let posted = try await HTTPResult.fetch(
                    port: port, .post, "/owner/credentials?lang=en",
                    headers: [.contentType: "application/x-www-form-urlencoded", .cookie: "gh_owner=\(session)"], body: "csrf=\(csrf)&" + fields)
                #expect(posted.status == .seeOther && posted.location == "/owner/credentials?done=rotated", "\(posted.status) \(posted.body)")

                // The new set is active (version 2) and the previous checksum key is in its grace window.
                let info = try #require(try await cluster.initiator.credentials.info(owner: owner.id, logger: cluster.logger))
                #expect(info.activeVersion == 2)
                #expect(info.previousChecksumKey != nil)
                let after = try await HTTPResult.fetch(port: port, .get, "/owner/credentials?lang=en", headers: [.cookie: "gh_owner=\(session)"])
                #expect(after.body.contains("v2"))
                #expect(!after.body.contains(rotated.apiKey) && !after.body.contains(rotated.checksumKey))
                let stored = try await AuditLog().records(action: Vault.AuditAction.store, database: cluster.initiator.database, logger: cluster.logger)
                #expect(stored.filter { $0.ownerID == owner.id.rawValue }.map(\.actor).last == "owner:\(owner.id.rawValue)", "\(stored.map(\.actor))")

                // Both checksum keys verify a webhook during the grace window.
                let path = "/webhook/payos/\(cluster.initiator.credentials.webhookKeys.key(for: owner))"
                for key in [C.channelA.checksumKey, rotated.checksumKey] {
                    let body = PayOSWebhookBody.signed(PayOSWebhookData.confirmationSample, checksumKey: key).jsonText
                    #expect(try await cluster.request(.post, path, port: cluster.receiverPort, body: body).status == .ok)
                }
                #expect(!cluster.logs.text.contains(rotated.apiKey) && !cluster.logs.text.contains(rotated.checksumKey))
            }
        }
    }
}
