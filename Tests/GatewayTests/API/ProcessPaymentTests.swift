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
import GatehouseHTTP
import Payments

extension GatewayAPITests {
    /// `POST /payment/process_payment`: a payment link made at the owner's own payOS account, stored once.
    @Suite struct ProcessPaymentTests {
        @Test(arguments: TestDatabases.backends)
        func createdPaymentAnswersTheSeedShapeAndTheLinkExistsAtTheOwnersPayOS(backend: TestBackend) async throws {
            try await GatewayHarness.run(backend) { gw in
                let bookingID = try await gw.createBooking(gw.ownerA, amount: 350_000)
                let response = try await gw.post(
                    "/payment/process_payment", #"{"booking_id": \#(bookingID), "amount": 350000, "description": "Đặt phòng Hoa Sen"}"#,
                    headers: gw.ownerA.bearer)
                #expect(response.status == .created)
                let json = try #require(response.json)
                for key in ["success", "payment_id", "redirect_url", "payment_url", "checkout_url", "order_code", "expires_at"] {
                    #expect(json.objectValue?.contains(key) == true, "missing \(key)")
                }
                #expect(json["success"] == true)
                #expect(json["status"] == "pending")
                let created = try CreatedLink(response)
                #expect(created.redirectURL == "/payment/status/\(created.paymentID)?t=\(created.token)")
                #expect(created.paymentURL == GatewayHarness.publicURL + created.redirectURL)
                #expect(created.token.count == 32)

                // The link is at owner A's payOS account (channel A), with the booking's amount and our redirects.
                let link = try await gw.link(created, of: gw.ownerA)
                #expect(link.amount == 350_000)
                #expect(link.orderCode == created.orderCode)
                #expect(link.returnUrl == GatewayHarness.publicURL + "/payment/return")
                #expect(link.cancelUrl == GatewayHarness.publicURL + "/payment/cancel")
                #expect(link.description == "Dat phong Hoa Sen")
                #expect(created.checkoutURL == gw.sandboxURL + "/web/" + link.id)
                let expiredAt = try #require(link.expiredAt)
                #expect(created.expiresAt == APITime.format(expiredAt * 1000))
                let lifetime = expiredAt - Int64(Date().timeIntervalSince1970)
                #expect((880...900).contains(lifetime), "link lifetime \(lifetime) s, expected the configured 900 s")
                #expect(gw.payOS.creates.map(\.clientID) == [GatewayHarness.channelA.clientId])
                // Owner B's payOS account does not know this order.
                await #expect(throws: (any Error).self) { try await gw.link(created, of: gw.ownerB) }

                let stored = try #require(try await gw.storedPayment(created, of: gw.ownerA))
                #expect(stored.status == .pending)
                #expect(stored.amount == 350_000)
                #expect(stored.qrCode == link.qrCode)
                #expect(stored.paymentLinkID == link.id)
            }
        }

        /// payOS takes at most 9 characters of description for an account not linked through payOS: the default
        /// description fits (derived from the orderCode, so a transfer names its order), and a longer one the owner
        /// gives is refused 400 with nothing stored.
        @Test(arguments: TestDatabases.backends)
        func descriptionsFitAnAccountNotLinkedThroughPayOS(backend: TestBackend) async throws {
            try await GatewayHarness.run(backend) { gw in
                var channel = GatewayHarness.channelA
                channel.linkedAccount = false
                try await gw.sandbox.addChannel(channel, replace: true)

                let created = try await gw.bookAndCreatePayment(gw.ownerA)
                let link = try await gw.link(created, of: gw.ownerA)
                #expect(link.description.count <= 9)
                #expect(link.description == "D" + String(created.orderCode, radix: 36, uppercase: true))

                let bookingID = try await gw.createBooking(gw.ownerA)
                let refused = try await gw.post(
                    "/payment/process_payment", #"{"booking_id": \#(bookingID), "description": "Đặt phòng Hoa Sen"}"#, headers: gw.ownerA.bearer)
                #expect(refused.status == .badRequest)
                #expect(refused.errorCode == "VALIDATION_ERROR")
                #expect(refused.json?["error"]?.stringValue?.contains("9 characters") == true)
                let stored = try await gw.components.database.query(
                    "SELECT COUNT(*) AS n FROM payment WHERE booking_id = \(bookingID)", logger: gw.logger)
                #expect(try stored.first?.decode("n", as: Int64.self) == 0)
                // Nine characters are taken.
                let nine = try await gw.post(
                    "/payment/process_payment", #"{"booking_id": \#(bookingID), "description": "Phòng 101"}"#, headers: gw.ownerA.bearer)
                #expect(nine.status == .created, "\(nine.body)")
            }
        }

        @Test(arguments: TestDatabases.backends)
        func eachOwnersPaymentGoesThroughItsOwnPayOSAccount(backend: TestBackend) async throws {
            try await GatewayHarness.run(backend) { gw in
                let a = try await gw.bookAndCreatePayment(gw.ownerA)
                let b = try await gw.bookAndCreatePayment(gw.ownerB)
                #expect(gw.payOS.creates.map(\.clientID) == [GatewayHarness.channelA.clientId, GatewayHarness.channelB.clientId])
                let linkA = try await gw.link(a, of: gw.ownerA)
                let linkB = try await gw.link(b, of: gw.ownerB)
                #expect(linkA.accountNumber == GatewayHarness.channelA.accountNumber)
                #expect(linkB.accountNumber == GatewayHarness.channelB.accountNumber)
                #expect(linkB.bin == "970436")
            }
        }

        @Test(arguments: TestDatabases.backends)
        func amountDifferentFromTheBookingsIsA400AndNothingIsCreated(backend: TestBackend) async throws {
            try await GatewayHarness.run(backend) { gw in
                let bookingID = try await gw.createBooking(gw.ownerA, amount: 500_000)
                for amount in ["499999", "500001", "0", "-1"] {
                    let response = try await gw.post(
                        "/payment/process_payment", #"{"booking_id": \#(bookingID), "amount": \#(amount)}"#, headers: gw.ownerA.bearer)
                    #expect(response.status == .badRequest, "amount \(amount)")
                    #expect(response.errorCode == "VALIDATION_ERROR", "amount \(amount)")
                    #expect(response.json?["error"]?.stringValue?.contains("amount") == true, "amount \(amount)")
                }
                let fractional = try await gw.post(
                    "/payment/process_payment", #"{"booking_id": \#(bookingID), "amount": 500000.5}"#, headers: gw.ownerA.bearer)
                #expect(fractional.status == .badRequest)
                #expect(fractional.errorCode == "VALIDATION_ERROR")
                #expect(fractional.json?["error"]?.stringValue?.contains("amount") == true)
                let missing = try await gw.post("/payment/process_payment", #"{"amount": 500000}"#, headers: gw.ownerA.bearer)
                #expect(missing.status == .badRequest)
                #expect(missing.json?["error"]?.stringValue?.contains("booking_id") == true)
                #expect(gw.payOS.creates.isEmpty)
                #expect(try await gw.components.payments.list(owner: gw.ownerA.id, logger: gw.logger).isEmpty)
            }
        }

        @Test(arguments: TestDatabases.backends)
        func unknownBookingOrAnotherOwnersBookingIs404(backend: TestBackend) async throws {
            try await GatewayHarness.run(backend) { gw in
                let bookingOfB = try await gw.createBooking(gw.ownerB)
                for bookingID in [bookingOfB, 987_654] {
                    let response = try await gw.post("/payment/process_payment", #"{"booking_id": \#(bookingID)}"#, headers: gw.ownerA.bearer)
                    #expect(response.status == .notFound)
                    #expect(response.errorCode == "NOT_FOUND")
                }
                #expect(gw.payOS.creates.isEmpty)
            }
        }

        @Test(arguments: TestDatabases.backends)
        func sameIdempotencyKeyAndBodyReplaysTheSamePaymentWithoutASecondLink(backend: TestBackend) async throws {
            try await GatewayHarness.run(backend) { gw in
                let bookingID = try await gw.createBooking(gw.ownerA)
                let first = try await gw.createPayment(gw.ownerA, bookingID: bookingID, idempotencyKey: "order-42-attempt")
                #expect(first.response.headers[HTTPField.Name("Idempotent-Replayed")!] == nil)

                var headers = gw.ownerA.bearer
                headers[HTTPField.Name("Idempotency-Key")!] = "order-42-attempt"
                let replay = try await gw.post("/payment/process_payment", #"{"booking_id": \#(bookingID)}"#, headers: headers)
                #expect(replay.status == .ok)
                #expect(replay.headers[HTTPField.Name("Idempotent-Replayed")!] == "true")
                let replayed = try CreatedLink(replay)
                #expect(replayed.paymentID == first.paymentID)
                #expect(replayed.orderCode == first.orderCode)
                #expect(replayed.redirectURL == first.redirectURL)
                #expect(replayed.token == first.token)

                let different = try await gw.post(
                    "/payment/process_payment", #"{"booking_id": \#(bookingID), "description": "Khac"}"#, headers: headers)
                #expect(different.status == .conflict)
                #expect(different.errorCode == "CONFLICT")

                #expect(gw.payOS.creates.count == 1)
                #expect(try await gw.components.payments.list(owner: gw.ownerA.id, logger: gw.logger).count == 1)

                // The same key means nothing to another owner: it is owner B's own first use.
                let bookingOfB = try await gw.createBooking(gw.ownerB)
                let other = try await gw.post(
                    "/payment/process_payment", #"{"booking_id": \#(bookingOfB)}"#,
                    headers: gw.ownerB.bearer.merging([HTTPField.Name("Idempotency-Key")!: "order-42-attempt"]))
                #expect(other.status == .created)
            }
        }

        @Test(arguments: TestDatabases.backends)
        func bookingAlreadyPaidIsA409(backend: TestBackend) async throws {
            try await GatewayHarness.run(backend) { gw in
                let bookingID = try await gw.createBooking(gw.ownerA)
                let created = try await gw.createPayment(gw.ownerA, bookingID: bookingID)
                let returned = try await gw.payAndReturn(created, of: gw.ownerA)
                #expect(returned.location == "/payment/success/\(created.paymentID)")

                let again = try await gw.post("/payment/process_payment", #"{"booking_id": \#(bookingID)}"#, headers: gw.ownerA.bearer)
                #expect(again.status == .conflict)
                #expect(again.errorCode == "CONFLICT")
                #expect(gw.payOS.creates.count == 1)
            }
        }

        @Test(arguments: TestDatabases.backends)
        func aSecondRequestForABookingWithALiveLinkGetsThatLinkWith200(backend: TestBackend) async throws {
            try await GatewayHarness.run(backend) { gw in
                let bookingID = try await gw.createBooking(gw.ownerA)
                let first = try await gw.post("/payment/process_payment", #"{"booking_id": \#(bookingID)}"#, headers: gw.ownerA.bearer)
                let second = try await gw.post("/payment/process_payment", #"{"booking_id": \#(bookingID)}"#, headers: gw.ownerA.bearer)
                #expect(first.status == .created && second.status == .ok)
                for field in ["payment_id", "payment_url", "redirect_url", "order_code", "checkout_url", "expires_at", "status"] {
                    #expect(second.json?[field] == first.json?[field], "\(field)")
                }
                #expect(second.headers[HTTPField.Name("Idempotent-Replayed")!] == nil)
                #expect(gw.payOS.creates.count == 1)
            }
        }

        @Test(arguments: TestDatabases.backends)
        func tenConcurrentRequestsForOneBookingCreateOneLink(backend: TestBackend) async throws {
            try await GatewayHarness.run(backend) { gw in
                let bookingID = try await gw.createBooking(gw.ownerA)
                let answers = try await withThrowingTaskGroup(of: HTTPResult.self) { group in
                    for _ in 0..<10 {
                        group.addTask {
                            try await gw.post("/payment/process_payment", #"{"booking_id": \#(bookingID)}"#, headers: gw.ownerA.bearer)
                        }
                    }
                    return try await group.reduce(into: []) { $0.append($1) }
                }
                #expect(answers.filter { $0.status == .created }.count == 1)
                #expect(answers.filter { $0.status == .ok }.count == 9)
                #expect(Set(answers.compactMap { $0.json?["payment_id"]?.int64Value }).count == 1)
                #expect(Set(answers.compactMap { $0.json?["payment_url"]?.stringValue }).count == 1)
                #expect(gw.payOS.creates.count == 1)
            }
        }

        @Test(arguments: TestDatabases.backends)
        func aRequestWithAnotherDescriptionCancelsTheLiveLinkAtPayOSBeforeCreatingTheNewOne(backend: TestBackend) async throws {
            try await GatewayHarness.run(backend) { gw in
                let bookingID = try await gw.createBooking(gw.ownerA)
                let first = try await gw.createPayment(gw.ownerA, bookingID: bookingID)
                let second = try await gw.post(
                    "/payment/process_payment", #"{"booking_id": \#(bookingID), "description": "Coc phong 101"}"#, headers: gw.ownerA.bearer)
                #expect(second.status == .created)
                #expect(second.json?["payment_id"]?.int64Value != first.paymentID)
                #expect(try await gw.link(first, of: gw.ownerA).status(at: Int64(Date().timeIntervalSince1970)) == .cancelled)
                let old = try #require(try await gw.storedPayment(first, of: gw.ownerA))
                #expect(old.status == .cancelled && old.settledBy == .superseded)
                // payOS confirmed the cancel before the second link was asked for.
                let calls = gw.payOS.calls.map { "\($0.method) \($0.path)" }
                let cancel = try #require(calls.firstIndex(of: "POST /v2/payment-requests/\(first.orderCode)/cancel"))
                let secondCreate = try #require(calls.lastIndex(of: "POST /v2/payment-requests"))
                #expect(cancel < secondCreate && gw.payOS.creates.count == 2)
            }
        }

        @Test(arguments: TestDatabases.backends)
        func paymentsListShowsOnlyTheOwnersOwnPayments(backend: TestBackend) async throws {
            try await GatewayHarness.run(backend) { gw in
                let a = try await gw.bookAndCreatePayment(gw.ownerA)
                _ = try await gw.bookAndCreatePayment(gw.ownerB)
                let list = try await gw.get("/api/payments", headers: gw.ownerA.bearer)
                #expect(list.status == .ok)
                let ids = list.json?["payments"]?.arrayValue?.compactMap { $0["id"]?.int64Value }
                #expect(ids == [a.paymentID])
                let filtered = try await gw.get("/api/payments?status=success", headers: gw.ownerA.bearer)
                #expect(filtered.json?["payments"]?.arrayValue?.isEmpty == true)
                let bad = try await gw.get("/api/payments?status=paid", headers: gw.ownerA.bearer)
                #expect(bad.status == .badRequest)
                #expect(bad.errorCode == "VALIDATION_ERROR")
            }
        }
    }
}

extension HTTPFields {
    /// These fields with `other`'s added (replacing same-named ones).
    func merging(_ other: HTTPFields) -> HTTPFields {
        var merged = self
        for field in other { merged[field.name] = field.value }
        return merged
    }
}
