// Copyright (c) the Gatehouse authors
import Foundation
import GatehouseApp
import Gateway
import HTTPTypes
import PayOS
import PayOSSandbox
import Storage
import StorageTestSupport
import Tenancy
import Testing

extension GatewayAPITests {
    /// `PUT /api/owner/payos-credentials`: sealed in the vault, used for the owner's payments from then on, and never
    /// shown again — only a hint.
    @Suite struct OwnerCredentialsAPITests {
        static func body(_ channel: SandboxChannel, apiKey: String? = nil) -> String {
            JSONValue.object([
                "client_id": .string(channel.clientId), "api_key": .string(apiKey ?? channel.apiKey), "checksum_key": .string(channel.checksumKey),
            ]).compactText
        }

        // MARK: Tests

        @Test(arguments: TestDatabases.backends)
        func storedCredentialsAreSealedUsedAndShownOnlyAsAHint(backend: TestBackend) async throws {
            try await GatewayHarness.run(backend) { gw in
                let owner = try await gw.makeOwner(name: "Nhà trọ Mới", email: "new-owner@example.vn", credentials: nil)
                // Without credentials a payment cannot be made.
                let booking = try await gw.createBooking(owner)
                let early = try await gw.post("/payment/process_payment", #"{"booking_id": \#(booking)}"#, headers: owner.bearer)
                #expect(early.errorCode == "OWNER_NOT_ONBOARDED")

                let channel = GatewayHarness.channelB
                let stored = try await gw.request(.put, "/api/owner/payos-credentials", headers: owner.bearer, body: Self.body(channel))
                #expect(stored.status == .ok)
                #expect(stored.json?["configured"] == true)
                #expect(stored.json?["client_id_hint"] == .string("…" + channel.clientId.suffix(4)))
                for secret in [channel.apiKey, channel.checksumKey, channel.clientId] {
                    #expect(!stored.body.contains(secret))
                }
                // payOS could not reach this test's public URL, so the webhook registration is reported, not hidden.
                #expect(stored.json?["webhook_registered"] == false)

                let shown = try await gw.get("/api/owner/payos-credentials", headers: owner.bearer)
                #expect(shown.json?["client_id_hint"] == stored.json?["client_id_hint"])
                #expect(!shown.body.contains(channel.apiKey) && !shown.body.contains(channel.checksumKey))
                // Only sealed blobs in the database.
                let rows = try await gw.components.database.query("SELECT sealed FROM vault_credential", logger: gw.logger)
                for row in rows {
                    let sealed = String(decoding: try row.decodeIfPresent("sealed", as: [UInt8].self) ?? [], as: UTF8.self)
                    #expect(!sealed.contains(channel.apiKey) && !sealed.contains(channel.checksumKey))
                }

                let created = try await gw.createPayment(owner, bookingID: booking)
                #expect(try await gw.sandbox.paymentLink(String(created.orderCode), clientId: channel.clientId).amount == 500_000)
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
