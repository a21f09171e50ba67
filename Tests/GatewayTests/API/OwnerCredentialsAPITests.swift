// Copyright (c) the Gatehouse authors
import Foundation
import GatehouseApp
import GatehouseCore
import GatehouseTestSupport
import Gateway
import HTTPTypes
import PayOS
import PayOSSandbox
import Storage
import StorageTestSupport
import Tenancy
import Testing

extension GatewayAPITests {
    /// `PUT /api/owner/payos-credentials`: proven with payOS first, then sealed in the vault and never shown again — only a hint.
    @Suite struct OwnerCredentialsAPITests {
        static func body(_ channel: SandboxChannel, apiKey: String? = nil) -> String {
            JSONValue.object([
                "client_id": .string(channel.clientId), "api_key": .string(apiKey ?? channel.apiKey), "checksum_key": .string(channel.checksumKey),
            ]).compactText
        }

        // MARK: Tests

        /// The set is proven with payOS before it is stored (Tests/GatewayTests/Onboarding covers the proof end to end, on
        /// two instances): here payOS cannot reach the harness's public URL, so the proof fails and nothing is stored.
        @Test(arguments: TestDatabases.backends)
        func credentialsThatCannotBeProvenAreNotStored(backend: TestBackend) async throws {
            try await GatewayHarness.run(backend) { gw in
                let owner = try await gw.makeOwner(name: "Nhà trọ Mới", email: "new-owner@example.vn", credentials: nil)
                let channel = GatewayHarness.channelB
                let refused = try await gw.request(.put, "/api/owner/payos-credentials", headers: owner.bearer, body: Self.body(channel))
                #expect(refused.status == .unprocessableContent)
                #expect(refused.errorCode == "PAYOS_CREDENTIALS_INVALID")
                #expect(refused.json?["part"] == "webhook_url")
                for secret in [channel.apiKey, channel.checksumKey, channel.clientId] {
                    #expect(!refused.body.contains(secret))
                }
                let shown = try await gw.get("/api/owner/payos-credentials", headers: owner.bearer)
                #expect(shown.json?["configured"] == false)
                let rows = try await gw.components.database.query(
                    "SELECT COUNT(*) AS n FROM vault_credential WHERE owner_id = \(owner.id)", logger: gw.logger)
                #expect(try rows.first?.decode("n", as: Int64.self) == 0)
                // Without credentials a payment cannot be made.
                let booking = try await gw.createBooking(owner)
                let early = try await gw.post("/payment/process_payment", #"{"booking_id": \#(booking)}"#, headers: owner.bearer)
                #expect(early.errorCode == "OWNER_NOT_ONBOARDED")
            }
        }

        /// The proof tells which part payOS refused, so unlimited it would be an oracle for client id / API key pairs:
        /// past the hourly cap the owner gets 429 with `Retry-After` and payOS is not called; other owners are not held.
        @Test(arguments: TestDatabases.backends)
        func proofsPastTheHourlyCapAreRefusedWithoutCallingPayOS(backend: TestBackend) async throws {
            try await GatewayHarness.run(backend, environment: ["GATEHOUSE_ONBOARDING_ATTEMPTS_PER_HOUR": "3"]) { gw in
                let owner = try await gw.makeOwner(name: "Nhà trọ Đoán Khoá", email: "guesser@example.vn", credentials: nil)
                let confirmCalls = { gw.payOS.calls.filter { $0.path == "/confirm-webhook" }.count }
                for n in 1...3 {
                    let guess = SandboxChannel(clientId: GatewayHarness.channelB.clientId, apiKey: "guess-\(n)", checksumKey: "guess-checksum-\(n)")
                    let refused = try await gw.request(.put, "/api/owner/payos-credentials", headers: owner.bearer, body: Self.body(guess))
                    #expect(refused.errorCode == "PAYOS_CREDENTIALS_INVALID")
                    #expect(refused.json?["part"] == "client_id_or_api_key")
                }
                #expect(confirmCalls() == 3)
                let capped = try await gw.request(.put, "/api/owner/payos-credentials", headers: owner.bearer, body: Self.body(GatewayHarness.channelB))
                #expect(capped.status == .tooManyRequests)
                #expect(capped.errorCode == "ONBOARDING_ATTEMPTS_EXCEEDED")
                #expect(capped.json?["part"] == nil)
                let retryAfter = try #require(capped.headers[.retryAfter].flatMap { Int($0) })
                #expect((3_500...3_600).contains(retryAfter))
                #expect(confirmCalls() == 3)
                // Another owner's proofs are not held by this one's.
                let other = try await gw.request(
                    .put, "/api/owner/payos-credentials", headers: gw.ownerB.bearer,
                    body: Self.body(SandboxChannel(clientId: GatewayHarness.channelB.clientId, apiKey: "other-guess", checksumKey: "x")))
                #expect(other.errorCode == "PAYOS_CREDENTIALS_INVALID")
                #expect(confirmCalls() == 4)
                // Every attempt is in the audit trail, recorded before payOS was called.
                let attempts = try await gw.components.database.query(
                    "SELECT COUNT(*) AS n FROM audit_log WHERE owner_id = \(owner.id.rawValue) AND action = 'credentials.proof_attempt'", logger: gw.logger)
                #expect(try attempts.first?.decode("n", as: Int64.self) == 3)
            }
        }

        @Test(arguments: TestDatabases.backends)
        func invalidOrMissingCredentialInputIsRefused(backend: TestBackend) async throws {
            try await GatewayHarness.run(backend) { gw in
                let bad = try await gw.request(
                    .put, "/api/owner/payos-credentials", headers: gw.ownerA.bearer, body: Self.body(GatewayHarness.channelA, apiKey: ""))
                #expect(bad.errorCode == "VALIDATION_ERROR")
                #expect(bad.json?["error"]?.stringValue?.contains("api_key") == true)
                let missing = try await gw.request(.put, "/api/owner/payos-credentials", headers: gw.ownerA.bearer, body: #"{"client_id": "x"}"#)
                #expect(missing.errorCode == "VALIDATION_ERROR")
                let anonymous = try await gw.request(.put, "/api/owner/payos-credentials", body: Self.body(GatewayHarness.channelA))
                #expect(anonymous.status == .unauthorized)
            }
        }
    }
}
