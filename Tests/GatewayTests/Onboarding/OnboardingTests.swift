// Copyright (c) the Gatehouse authors
import Foundation
import GatehouseApp
import GatehouseTestSupport
import Gateway
import HTTPTypes
import LogTestSupport
import PayOS
import Payments
import PayOSSandbox
import Storage
import StorageTestSupport
import Tenancy
import Testing
import Vault

extension GatewayAPITests {
    /// `PUT /api/owner/payos-credentials` proves the set with payOS (confirm-webhook and its signed probe, answered by
    /// another instance) before storing anything, against the sandbox.
    @Suite struct OnboardingTests {
        typealias C = OnboardingCluster

        /// Nothing of the owner's candidate set is stored, and the proof's rows are gone.
        static func expectNothingStored(_ cluster: OnboardingCluster, owner: Owner, sourceLocation: SourceLocation = #_sourceLocation) async throws {
            #expect(try await cluster.count("SELECT COUNT(*) AS n FROM vault_credential WHERE owner_id = \(owner.id)") == 0, sourceLocation: sourceLocation)
            #expect(try await cluster.count("SELECT COUNT(*) AS n FROM payment_config WHERE owner_id = \(owner.id)") == 0, sourceLocation: sourceLocation)
            #expect(try await cluster.initiator.owners.get(owner.id, logger: cluster.logger)?.onboardingState == .pending, sourceLocation: sourceLocation)
            #expect(try await cluster.count("SELECT COUNT(*) AS n FROM onboarding_attempt") == 0, sourceLocation: sourceLocation)
            #expect(try await cluster.count("SELECT COUNT(*) AS n FROM onboarding_probe") == 0, sourceLocation: sourceLocation)
        }

        /// No key of either channel in the text.
        static func expectNoSecrets(_ text: String, _ what: String, sourceLocation: SourceLocation = #_sourceLocation) {
            for secret in [C.channelA.apiKey, C.channelA.checksumKey, C.channelB.apiKey, C.channelB.checksumKey, "wrong-api-key", "wrong-checksum-key"] {
                #expect(!text.contains(secret), "\(what) contains a key", sourceLocation: sourceLocation)
            }
        }

        // MARK: Tests

        /// payOS adds a field to its answers and to the probe (signed with the rest): the proof still succeeds.
        @Test(arguments: TestDatabases.backends)
        func theProofSucceedsWhenPayOSAddsFieldsToItsAnswersAndTheProbe(backend: TestBackend) async throws {
            try await OnboardingCluster.run(backend) { cluster in
                var channel = C.channelB
                channel.extraFields = ["feeAmount": 0, "payerNote": .null, "labels": ["a"]]
                try await cluster.sandbox.addChannel(channel, replace: true)
                let (owner, bearer) = try await cluster.makeOwner("them-truong")
                let stored = try await cluster.request(.put, "/api/owner/payos-credentials", headers: bearer, body: C.body(channel))
                #expect(stored.status == .ok, "\(stored.body)")
                #expect(stored.json?["webhook_registered"] == true)
                #expect(try await cluster.initiator.owners.get(owner.id, logger: cluster.logger)?.onboardingState == .active)
                #expect(try await cluster.count("SELECT COUNT(*) AS n FROM webhook_rejection") == 0)
            }
        }

        @Test(arguments: TestDatabases.backends)
        func correctKeysAreProvenThroughAnotherInstanceThenSealedAndActivated(backend: TestBackend) async throws {
            try await OnboardingCluster.run(backend) { cluster in
                let (owner, bearer) = try await cluster.makeOwner("hoa-sen")
                let stored = try await cluster.request(.put, "/api/owner/payos-credentials", headers: bearer, body: C.body(C.channelB))
                #expect(stored.status == .ok, "\(stored.body)")
                #expect(stored.json?["configured"] == true)
                #expect(stored.json?["webhook_registered"] == true)
                #expect(stored.json?["version"] == 1)
                #expect(stored.json?["client_id_hint"] == .string("…" + C.channelB.clientId.suffix(4)))
                #expect(!stored.body.contains(C.channelB.clientId))

                #expect(try await cluster.initiator.owners.get(owner.id, logger: cluster.logger)?.onboardingState == .active)
                #expect(try await cluster.count("SELECT COUNT(*) AS n FROM payment_config WHERE owner_id = \(owner.id) AND webhook_confirmed_at IS NOT NULL") == 1)
                // The probe reached the receiver (the initiator's public URL), was recorded there, and the proof's rows are gone.
                #expect(try await cluster.count("SELECT COUNT(*) AS n FROM onboarding_attempt") == 0)
                #expect(try await cluster.count("SELECT COUNT(*) AS n FROM onboarding_probe") == 0)
                #expect(try await cluster.count("SELECT COUNT(*) AS n FROM webhook_rejection") == 0)
                #expect(try await cluster.count("SELECT COUNT(*) AS n FROM audit_log WHERE action = 'credentials.proof_failed'") == 0)

                // Only sealed blobs in the database.
                for row in try await cluster.initiator.database.query("SELECT sealed FROM vault_credential", logger: cluster.logger) {
                    Self.expectNoSecrets(String(decoding: try row.decodeIfPresent("sealed", as: [UInt8].self) ?? [], as: UTF8.self), "the vault")
                }
                // The owner sees only the hint and when it was stored — from either instance.
                for port in [cluster.initiatorPort, cluster.receiverPort] {
                    let shown = try await cluster.request(.get, "/api/owner/payos-credentials", port: port, headers: bearer)
                    #expect(shown.json?["client_id_hint"] == stored.json?["client_id_hint"])
                    #expect(shown.json?["rotated_at"]?.stringValue?.isEmpty == false)
                    Self.expectNoSecrets(shown.body, "GET")
                }
                // The stored set works: payOS's own webhooks for this owner now verify on any instance.
                let probe = PayOSWebhookBody.signed(PayOSWebhookData.confirmationSample, checksumKey: C.channelB.checksumKey)
                let delivered = try await cluster.request(
                    .post, "/webhook/payos/\(cluster.initiator.credentials.webhookKeys.key(for: owner))", port: cluster.receiverPort, body: probe.jsonText)
                #expect(delivered.status == .ok)
                Self.expectNoSecrets(stored.body, "PUT")
                Self.expectNoSecrets(cluster.logs.text, "the logs")
            }
        }

        @Test(arguments: TestDatabases.backends)
        func aWrongAPIKeyIsRefusedAsClientIDOrAPIKeyAndNothingIsStored(backend: TestBackend) async throws {
            try await OnboardingCluster.run(backend) { cluster in
                let (owner, bearer) = try await cluster.makeOwner("binh-minh")
                let body = C.body(clientID: C.channelB.clientId, apiKey: "wrong-api-key", checksumKey: C.channelB.checksumKey)
                let refused = try await cluster.request(.put, "/api/owner/payos-credentials", headers: bearer, body: body)
                #expect(refused.status == .unprocessableContent)
                #expect(refused.errorCode == "PAYOS_CREDENTIALS_INVALID")
                #expect(refused.json?["part"] == "client_id_or_api_key")
                try await Self.expectNothingStored(cluster, owner: owner)
                #expect(try await cluster.count("SELECT COUNT(*) AS n FROM audit_log WHERE action = 'credentials.proof_failed' AND owner_id = \(owner.id)") == 1)
                Self.expectNoSecrets(refused.body, "PUT")
                Self.expectNoSecrets(cluster.logs.text, "the logs")
            }
        }

        @Test(arguments: TestDatabases.backends)
        func aWrongChecksumKeyIsRefusedAsChecksumKeyAndNothingIsStored(backend: TestBackend) async throws {
            try await OnboardingCluster.run(backend) { cluster in
                let (owner, bearer) = try await cluster.makeOwner("binh-minh")
                let body = C.body(clientID: C.channelB.clientId, apiKey: C.channelB.apiKey, checksumKey: "wrong-checksum-key")
                let refused = try await cluster.request(.put, "/api/owner/payos-credentials", headers: bearer, body: body)
                #expect(refused.status == .unprocessableContent)
                #expect(refused.errorCode == "PAYOS_CREDENTIALS_INVALID")
                #expect(refused.json?["part"] == "checksum_key")
                try await Self.expectNothingStored(cluster, owner: owner)
                // The probe was an onboarding probe, not an attack: no invalid signature counted.
                #expect(try await cluster.count("SELECT COUNT(*) AS n FROM webhook_rejection") == 0)
                Self.expectNoSecrets(cluster.logs.text, "the logs")
            }
        }

        @Test(arguments: TestDatabases.backends)
        func aWebhookURLPayOSCannotReachIsRefusedAsWebhookURL(backend: TestBackend) async throws {
            // Port 1 on loopback: nothing listens, so payOS's probe fails and payOS reports the URL invalid.
            try await OnboardingCluster.run(backend, initiatorPublicURL: { _ in "http://127.0.0.1:1" }) { cluster in
                let (owner, bearer) = try await cluster.makeOwner("khong-toi")
                let refused = try await cluster.request(.put, "/api/owner/payos-credentials", headers: bearer, body: C.body(C.channelA))
                #expect(refused.errorCode == "PAYOS_CREDENTIALS_INVALID", "\(refused.body)")
                #expect(refused.json?["part"] == "webhook_url")
                try await Self.expectNothingStored(cluster, owner: owner)
            }
        }

        @Test(arguments: TestDatabases.backends)
        func payOSUnreachableIsARetryableErrorAndNothingIsStored(backend: TestBackend) async throws {
            // Nothing listens on port 1: payOS cannot be reached at all, so no part of the set can be judged.
            try await OnboardingCluster.run(backend, initiatorPayOSURL: "http://127.0.0.1:1") { cluster in
                let (owner, bearer) = try await cluster.makeOwner("mat-mang")
                let refused = try await cluster.request(.put, "/api/owner/payos-credentials", headers: bearer, body: C.body(C.channelA))
                #expect(refused.status == .serviceUnavailable, "\(refused.body)")
                #expect(refused.errorCode == "PAYOS_CONNECTION_ERROR")
                try await Self.expectNothingStored(cluster, owner: owner)
            }
        }

        @Test(arguments: TestDatabases.backends)
        func aLaterSubmitIsARotationAndThePreviousChecksumKeyKeepsVerifying(backend: TestBackend) async throws {
            try await OnboardingCluster.run(backend) { cluster in
                let (owner, bearer) = try await cluster.makeOwner("xoay-khoa")
                let first = try await cluster.request(.put, "/api/owner/payos-credentials", headers: bearer, body: C.body(C.channelA))
                #expect(first.json?["version"] == 1, "\(first.body)")

                // The owner rotates its keys at payOS, then submits the new set.
                let rotated = SandboxChannel(
                    clientId: C.channelA.clientId, apiKey: C.channelA.apiKey + "-v2", checksumKey: C.channelA.checksumKey + "-v2",
                    accountName: C.channelA.accountName)
                try await cluster.sandbox.addChannel(rotated, replace: true)
                // A candidate with the old checksum key no longer proves: payOS signs with the new one.
                let stale = try await cluster.request(
                    .put, "/api/owner/payos-credentials", headers: bearer,
                    body: C.body(clientID: rotated.clientId, apiKey: rotated.apiKey, checksumKey: C.channelA.checksumKey))
                #expect(stale.json?["part"] == "checksum_key")
                let second = try await cluster.request(.put, "/api/owner/payos-credentials", headers: bearer, body: C.body(rotated))
                #expect(second.status == .ok, "\(second.body)")
                #expect(second.json?["version"] == 2)
                #expect(second.json?["previous_checksum_key_usable_until"]?.stringValue?.isEmpty == false)

                // During the grace window webhooks signed with either key verify; with neither, they are refused and counted.
                let path = "/webhook/payos/\(cluster.initiator.credentials.webhookKeys.key(for: owner))"
                for key in [C.channelA.checksumKey, rotated.checksumKey] {
                    let body = PayOSWebhookBody.signed(PayOSWebhookData.confirmationSample, checksumKey: key).jsonText
                    #expect(try await cluster.request(.post, path, port: cluster.receiverPort, body: body).status == .ok)
                }
                let forged = PayOSWebhookBody.signed(PayOSWebhookData.confirmationSample, checksumKey: "not-the-key").jsonText
                #expect(try await cluster.request(.post, path, port: cluster.receiverPort, body: forged).errorCode == "INVALID_SIGNATURE")
                try await cluster.receiver.webhooks.refusals.flush(logger: cluster.logger)  // refusals are counted in memory until a flush
                #expect(try await cluster.count("SELECT SUM(count) AS n FROM webhook_rejection WHERE owner_id = \(owner.id)") == 1)
                Self.expectNoSecrets(cluster.logs.text + second.body, "the logs")
                #expect(!cluster.logs.text.contains(rotated.apiKey) && !cluster.logs.text.contains(rotated.checksumKey))
            }
        }

        @Test(arguments: TestDatabases.backends)
        func theOnboardingPageIsBilingualWithANoncedScriptAndNoSecrets(backend: TestBackend) async throws {
            try await OnboardingCluster.run(backend) { cluster in
                let vi = try await cluster.request(.get, "/owner/onboarding")
                #expect(vi.status == .ok)
                #expect(vi.isHTML)
                #expect(vi.body.contains("<html lang=\"vi\">"))
                #expect(vi.body.contains("Kết nối tài khoản payOS"))
                let csp = try #require(vi.headers[HTTPField.Name("Content-Security-Policy")!])
                let nonce = try #require(csp.split(separator: "'").first { $0.hasPrefix("nonce-") }).dropFirst("nonce-".count)
                #expect(vi.body.contains("<script nonce=\"\(nonce)\">"))
                #expect(vi.body.contains("/api/owner/payos-credentials"))
                #expect(!vi.body.contains("<script src"))
                let en = try await cluster.request(.get, "/owner/onboarding?lang=en")
                #expect(en.body.contains("<html lang=\"en\">"))
                #expect(en.body.contains("Connect your payOS account"))
                #expect(en.headers[.setCookie]?.hasPrefix("gh_lang=en") == true)
            }
        }
    }
}
