// Copyright (c) the Gatehouse authors
import Foundation
import GatehouseApp
import GatehouseTestSupport
import Gateway
import HTTPTypes
import PayOS
import PayOSSandbox
import Storage
import StorageTestSupport
import Tenancy
import Testing
import Payments

extension GatewayAPITests {
    /// When payOS cannot make the link — unreachable, failing, refusing the owner's keys — the owner gets a stable code
    /// (never a bare 500) and nothing is stored that looks payable.
    @Suite struct PayOSFailureTests {
        /// Asserts the answer and that no payment row exists for the owner.
        static func expectRefusedWithNothingStored(
            _ response: HTTPResult, status: HTTPResponse.Status, code: String, tenant: TestTenant, gw: GatewayHarness,
            sourceLocation: SourceLocation = #_sourceLocation
        ) async throws {
            #expect(response.status == status, "\(response.body)", sourceLocation: sourceLocation)
            #expect(response.errorCode == code, "\(response.body)", sourceLocation: sourceLocation)
            #expect(response.isJSON, sourceLocation: sourceLocation)
            let stored = try await gw.components.payments.list(owner: tenant.id, logger: gw.logger)
            #expect(stored.isEmpty, "a payment was stored although payOS made no link", sourceLocation: sourceLocation)
        }

        @Test(arguments: TestDatabases.backends)
        func ownerWithoutPayOSCredentialsGets409OwnerNotOnboarded(backend: TestBackend) async throws {
            try await GatewayHarness.run(backend) { gw in
                let newcomer = try await gw.makeOwner(name: "Homestay Mới", email: "new@example.vn", credentials: nil)
                let bookingID = try await gw.createBooking(newcomer)
                let response = try await gw.post("/payment/process_payment", #"{"booking_id": \#(bookingID)}"#, headers: newcomer.bearer)
                try await Self.expectRefusedWithNothingStored(response, status: .conflict, code: "OWNER_NOT_ONBOARDED", tenant: newcomer, gw: gw)
                #expect(gw.payOS.calls.isEmpty)
            }
        }

        @Test(arguments: TestDatabases.backends)
        func payOSAnswering500IsA503ConnectionErrorAndTheKeyCanBeRetried(backend: TestBackend) async throws {
            try await GatewayHarness.run(backend) { gw in
                try await gw.sandbox.setFaults(SandboxFaults(errorRate: 1), clientId: GatewayHarness.channelA.clientId)
                let bookingID = try await gw.createBooking(gw.ownerA)
                var headers = gw.ownerA.bearer
                headers[HTTPField.Name("Idempotency-Key")!] = "retry-me"
                let response = try await gw.post("/payment/process_payment", #"{"booking_id": \#(bookingID)}"#, headers: headers)
                try await Self.expectRefusedWithNothingStored(
                    response, status: .serviceUnavailable, code: "PAYOS_CONNECTION_ERROR", tenant: gw.ownerA, gw: gw)
                // The client retried (the SDKs' three attempts), and every attempt was refused.
                #expect(gw.payOS.creates.count == 3)

                // payOS recovers: the same Idempotency-Key is free again and makes the one payment.
                try await gw.sandbox.setFaults(.off, clientId: GatewayHarness.channelA.clientId)
                let retried = try await gw.post("/payment/process_payment", #"{"booking_id": \#(bookingID)}"#, headers: headers)
                #expect(retried.status == .created)
                #expect(try await gw.components.payments.list(owner: gw.ownerA.id, logger: gw.logger).count == 1)
            }
        }

        @Test(arguments: TestDatabases.backends)
        func payOSRateLimitingIsA503ConnectionError(backend: TestBackend) async throws {
            try await GatewayHarness.run(backend) { gw in
                try await gw.sandbox.setFaults(SandboxFaults(rateLimitRate: 1, retryAfterSeconds: 0), clientId: GatewayHarness.channelA.clientId)
                let bookingID = try await gw.createBooking(gw.ownerA)
                let response = try await gw.post("/payment/process_payment", #"{"booking_id": \#(bookingID)}"#, headers: gw.ownerA.bearer)
                try await Self.expectRefusedWithNothingStored(
                    response, status: .serviceUnavailable, code: "PAYOS_CONNECTION_ERROR", tenant: gw.ownerA, gw: gw)
            }
        }

        /// payOS asks for 30 s, within the client's 60 s ceiling but past the request's payOS budget: the owner is
        /// answered at once instead of after nginx has given up.
        @Test(arguments: TestDatabases.backends)
        func aRateLimitWaitPastTheRequestsBudgetIsA503AtOnce(backend: TestBackend) async throws {
            try await GatewayHarness.run(backend) { gw in
                try await gw.sandbox.setFaults(SandboxFaults(rateLimitRate: 1, retryAfterSeconds: 30), clientId: GatewayHarness.channelA.clientId)
                let bookingID = try await gw.createBooking(gw.ownerA)
                let start = ContinuousClock.now
                let response = try await gw.post("/payment/process_payment", #"{"booking_id": \#(bookingID)}"#, headers: gw.ownerA.bearer)
                try await Self.expectRefusedWithNothingStored(
                    response, status: .serviceUnavailable, code: "PAYOS_CONNECTION_ERROR", tenant: gw.ownerA, gw: gw)
                #expect(gw.payOS.creates.count == 1)
                #expect(ContinuousClock.now - start < .seconds(20))
            }
        }

        @Test(arguments: TestDatabases.backends)
        func stoppedPayOSIsA503ConnectionErrorWithNothingStored(backend: TestBackend) async throws {
            try await GatewayHarness.run(backend) { gw in
                let bookingID = try await gw.createBooking(gw.ownerA)
                await gw.payOS.stop()
                let response = try await gw.post("/payment/process_payment", #"{"booking_id": \#(bookingID)}"#, headers: gw.ownerA.bearer)
                try await Self.expectRefusedWithNothingStored(
                    response, status: .serviceUnavailable, code: "PAYOS_CONNECTION_ERROR", tenant: gw.ownerA, gw: gw)
            }
        }

        @Test(arguments: TestDatabases.backends)
        func credentialsPayOSDoesNotKnowAreA502PayOSUnauthorized(backend: TestBackend) async throws {
            try await GatewayHarness.run(backend) { gw in
                let stranger = try await gw.makeOwner(
                    name: "Khách sạn Lạ", email: "stranger@example.vn",
                    credentials: SandboxChannel(clientId: "unknown-client", apiKey: "unknown-api-key", checksumKey: "unknown-checksum"))
                let bookingID = try await gw.createBooking(stranger)
                let response = try await gw.post("/payment/process_payment", #"{"booking_id": \#(bookingID)}"#, headers: stranger.bearer)
                try await Self.expectRefusedWithNothingStored(response, status: .badGateway, code: "PAYOS_UNAUTHORIZED", tenant: stranger, gw: gw)
            }
        }

        @Test(arguments: TestDatabases.backends)
        func aWrongChecksumKeyIsRefusedByPayOSWithItsBusinessCode(backend: TestBackend) async throws {
            try await GatewayHarness.run(backend) { gw in
                var wrongKey = GatewayHarness.channelA
                wrongKey.checksumKey = "not-the-checksum-key-of-channel-a"
                let owner = try await gw.makeOwner(name: "Nhà trọ Sai Khóa", email: "wrong-key@example.vn", credentials: wrongKey)
                let bookingID = try await gw.createBooking(owner)
                let response = try await gw.post("/payment/process_payment", #"{"booking_id": \#(bookingID)}"#, headers: owner.bearer)
                // payOS's code 201: the create request's signature is invalid.
                try await Self.expectRefusedWithNothingStored(response, status: .badGateway, code: "PAYOS_201", tenant: owner, gw: gw)
            }
        }

        @Test(arguments: TestDatabases.backends)
        func anAnswerWhoseSignatureDoesNotVerifyIsA502AndIsNotTrusted(backend: TestBackend) async throws {
            try await GatewayHarness.run(backend) { gw in
                try await gw.sandbox.setFaults(SandboxFaults(invalidSignatureRate: 1), clientId: GatewayHarness.channelA.clientId)
                let bookingID = try await gw.createBooking(gw.ownerA)
                let response = try await gw.post("/payment/process_payment", #"{"booking_id": \#(bookingID)}"#, headers: gw.ownerA.bearer)
                try await Self.expectRefusedWithNothingStored(
                    response, status: .badGateway, code: "PAYOS_INVALID_SIGNATURE", tenant: gw.ownerA, gw: gw)
            }
        }
    }
}
