// Copyright (c) the Gatehouse authors
import Foundation
import Testing

@testable import PayOS

/// `PayOSResponseDecoder` fails closed on every answer payOS (or something pretending to be it) can give.
@Suite struct ResponseDecoderTests {
    let key = Fixtures.projectKey
    let signed = PayOSResponseDecoder.SignatureCheck.body(checksumKey: Fixtures.projectKey)
    /// A fixed "now" for HTTP-date arithmetic: Wed, 18 Jun 2025 07:30:00 GMT.
    let now = Date(timeIntervalSince1970: 1_750_231_800)

    func response(_ status: Int, _ envelope: JSONObject, headers: [PayOSHTTPHeader] = []) -> PayOSHTTPResponse {
        PayOSHTTPResponse(status: status, headers: headers, body: JSONValue.object(envelope).compactBytes)
    }

    func error<Model: PayOSJSONModel>(
        _ response: PayOSHTTPResponse,
        as model: Model.Type,
        signature: PayOSResponseDecoder.SignatureCheck? = nil
    ) -> PayOSError? {
        do {
            _ = try PayOSResponseDecoder.decode(response, as: model, signature: signature ?? signed, now: now)
            return nil
        } catch {
            return error
        }
    }

    // MARK: Success

    @Test func signedCreateAnswerDecodes() throws {
        let envelope = PayOSEnvelope.signedSuccess(ProtocolSamples.createResponseR1.toJSON(), checksumKey: key)
        #expect(envelope.signature == "64bf4975beda3f25030e91b69570acbbe9855bea9a362cd239d22e2e1ec619a6")
        let decoded = try PayOSResponseDecoder.decode(response(200, envelope.toJSON()), as: CreatePaymentLinkResponse.self, signature: signed)
        #expect(decoded == ProtocolSamples.createResponseR1)
    }

    /// The signature is checked over `data` exactly as received: key order and whitespace on the wire do not matter.
    @Test func signatureIsCheckedOverDataAsReceived() throws {
        let body = #"""
            { "desc" : "success", "code" : "00",
              "signature": "642ff31814fab60992de253f5e8d867aa43ae3b647ce047e267686c16f182691",
              "data": {"status": "PAID", "orderCode": 123456789, "id": "3f2a9c1e5b7d4e8fa0b1c2d3e4f5a6b7", "amount": 50000,
                "amountPaid": 50000, "amountRemaining": 0, "createdAt": "2025-06-18T14:30:00+07:00",
                "transactions": [{"reference": "FT25169123456789", "amount": 50000, "accountNumber": "VQRQAFRJT1234",
                  "description": "CSX3K9QZ7B Thanh toan don 123", "transactionDateTime": "2025-06-18T14:32:05+07:00",
                  "virtualAccountName": null, "virtualAccountNumber": null, "counterAccountBankId": "970436",
                  "counterAccountBankName": null, "counterAccountName": "NGUYEN VAN A", "counterAccountNumber": "0071000123456"}],
                "cancellationReason": null, "canceledAt": null} }
            """#
        let decoded = try PayOSResponseDecoder.decode(
            PayOSHTTPResponse(status: 200, body: Array(body.utf8)),
            as: PaymentLink.self,
            signature: signed
        )
        #expect(decoded == ProtocolSamples.paidLinkG1)
    }

    @Test func confirmWebhookAnswerIsNotSignatureChecked() throws {
        let data = ConfirmWebhookResponse(
            webhookUrl: "https://merchant.example.vn/payos/webhook",
            accountName: "CONG TY ABC",
            accountNumber: "0071000123456",
            name: "Vietcombank",
            shortName: "Vietcombank"
        )
        let envelope = PayOSEnvelope(code: "00", desc: "success", data: .object(data.toJSON()))
        #expect(try PayOSResponseDecoder.decode(response(200, envelope.toJSON()), as: ConfirmWebhookResponse.self, signature: .none) == data)
    }

    // MARK: Signatures

    @Test func tamperedSignatureIsInvalidSignature() {
        var envelope = PayOSEnvelope.signedSuccess(ProtocolSamples.createResponseR1.toJSON(), checksumKey: key)
        envelope.signature = "64bf4975beda3f25030e91b69570acbbe9855bea9a362cd239d22e2e1ec619a7"
        #expect(error(response(200, envelope.toJSON()), as: CreatePaymentLinkResponse.self)?.code == .invalidSignature)

        var tamperedData = PayOSEnvelope.signedSuccess(ProtocolSamples.createResponseR1.toJSON(), checksumKey: key)
        var data = ProtocolSamples.createResponseR1
        data.amount = 5000
        tamperedData.data = .object(data.toJSON())
        #expect(error(response(200, tamperedData.toJSON()), as: CreatePaymentLinkResponse.self)?.code == .invalidSignature)

        let otherKey = PayOSEnvelope.signedSuccess(ProtocolSamples.createResponseR1.toJSON(), checksumKey: Fixtures.officialKey)
        #expect(error(response(200, otherKey.toJSON()), as: CreatePaymentLinkResponse.self)?.code == .invalidSignature)
    }

    @Test func missingSignatureWithDataIsInvalidSignature() {
        var envelope = PayOSEnvelope.signedSuccess(ProtocolSamples.paidLinkG1.toJSON(), checksumKey: key)
        envelope.signature = nil
        #expect(error(response(200, envelope.toJSON()), as: PaymentLink.self)?.code == .invalidSignature)
        envelope.signature = ""
        #expect(error(response(200, envelope.toJSON()), as: PaymentLink.self)?.code == .invalidSignature)
    }

    /// A key payOS adds is covered by the signature (computed over every key received) and otherwise ignored.
    @Test func signedAnswerWithUnknownKeyIsReadAndTheKeyIsSigned() throws {
        var data = ProtocolSamples.paidLinkG1.toJSON()
        data["refunds"] = []
        data["fee"] = 1100
        let envelope = PayOSEnvelope.signedSuccess(data, checksumKey: key)
        let decoded = try PayOSResponseDecoder.decode(response(200, envelope.toJSON()), as: PaymentLink.self, signature: .body(checksumKey: key))
        #expect(decoded == ProtocolSamples.paidLinkG1)
        // The same signature over the answer without the added key (or with it changed) does not verify.
        var tampered = envelope
        data["fee"] = 0
        tampered.data = .object(data)
        #expect(error(response(200, tampered.toJSON()), as: PaymentLink.self)?.code == .invalidSignature)
    }

    // MARK: Business errors

    @Test func code231IsABusinessError() throws {
        let envelope = PayOSEnvelope(code: "231", desc: "Đơn thanh toán đã tồn tại", data: .null)
        let failure = try #require(error(response(200, envelope.toJSON()), as: CreatePaymentLinkResponse.self))
        #expect(failure.code == .business && failure.businessCode == "231" && failure.isBusiness(PayOSError.BusinessCode.orderCodeExists))
        #expect(failure.businessDescription == "Đơn thanh toán đã tồn tại" && failure.httpStatus == 200)
        #expect(failure.description == "payOS request failed: business code 231")
        #expect(!failure.isTransient)
    }

    @Test func code101WithoutDataIsABusinessError() throws {
        let failure = try #require(error(response(200, ["code": "101", "desc": "Đơn thanh toán không tồn tại"]), as: PaymentLink.self))
        #expect(failure.isBusiness("101"))
    }

    @Test func confirmWebhookFailureWithStringDataIsABusinessError() throws {
        let envelope: JSONObject = ["code": "20", "desc": "Webhook url invalid", "data": "Request failed with status code 404"]
        for status in [200, 400] {
            let failure = try #require(
                error(response(status, envelope), as: ConfirmWebhookResponse.self, signature: PayOSResponseDecoder.SignatureCheck.none)
            )
            #expect(failure.isBusiness("20") && failure.httpStatus == status)
        }
    }

    @Test func successWithoutDataIsInvalidResponse() {
        #expect(error(response(200, ["code": "00", "desc": "success", "data": nil]), as: PaymentLink.self)?.code == .invalidResponse)
        #expect(error(response(200, ["code": "00", "desc": "success"]), as: PaymentLink.self)?.code == .invalidResponse)
        #expect(error(response(200, ["code": "00", "desc": "success", "data": "ok"]), as: PaymentLink.self)?.code == .invalidResponse)
    }

    @Test func nonJSONSuccessIsInvalidResponse() {
        #expect(error(PayOSHTTPResponse(status: 200, body: Array("<html>ngrok</html>".utf8)), as: PaymentLink.self)?.code == .invalidResponse)
        #expect(error(PayOSHTTPResponse(status: 200, body: []), as: PaymentLink.self)?.code == .invalidResponse)
        #expect(error(response(200, ["code": 0, "desc": "success"]), as: PaymentLink.self)?.code == .invalidResponse)
    }

    // MARK: HTTP status

    @Test func http401And403AreUnauthorized() throws {
        let failure = try #require(error(response(401, ["code": "401", "desc": "Unauthorized", "data": nil]), as: PaymentLink.self))
        #expect(failure.code == .unauthorized && failure.httpStatus == 401 && failure.businessCode == "401")
        #expect(error(PayOSHTTPResponse(status: 403, body: Array("Forbidden".utf8)), as: PaymentLink.self)?.code == .unauthorized)
    }

    @Test func http429CarriesRetryAfterInSecondsOrAsDate() throws {
        let seconds = try #require(
            error(response(429, ["code": "429", "desc": "Too many requests"], headers: [PayOSHTTPHeader("Retry-After", "3")]), as: PaymentLink.self)
        )
        #expect(seconds.code == .rateLimited && seconds.retryAfter == .seconds(3) && seconds.isTransient)

        let date = try #require(
            error(PayOSHTTPResponse(status: 429, headers: [PayOSHTTPHeader("retry-after", "Wed, 18 Jun 2025 07:30:07 GMT")]), as: PaymentLink.self)
        )
        #expect(date.retryAfter == .seconds(7))

        let none = try #require(error(PayOSHTTPResponse(status: 429), as: PaymentLink.self))
        #expect(none.code == .rateLimited && none.retryAfter == nil)
    }

    @Test func http429CarriesTheWaitUntilXRateLimitResetWhenNoRetryAfter() throws {
        let reset = Int64(now.timeIntervalSince1970) + 12
        let epoch = try #require(
            error(PayOSHTTPResponse(status: 429, headers: [PayOSHTTPHeader("X-RateLimit-Reset", " \(reset) ")]), as: PaymentLink.self)
        )
        #expect(epoch.code == .rateLimited && epoch.retryAfter == .seconds(12))
        // Retry-After wins when both are sent.
        let both = try #require(
            error(
                PayOSHTTPResponse(status: 429, headers: [PayOSHTTPHeader("x-ratelimit-reset", "\(reset)"), PayOSHTTPHeader("Retry-After", "2")]),
                as: PaymentLink.self
            )
        )
        #expect(both.retryAfter == .seconds(2))
        #expect(PayOSResponseDecoder.rateLimitReset("\(reset - 30)", now: now) == .zero)
        #expect(PayOSResponseDecoder.rateLimitReset("\(reset).5", now: now) == .milliseconds(12_500))
        #expect(PayOSResponseDecoder.rateLimitReset("soon", now: now) == nil)
        #expect(PayOSResponseDecoder.rateLimitReset("-5", now: now) == nil)
    }

    @Test func http5xxIsUnreachable() throws {
        for status in [500, 502, 503, 504] {
            let failure = try #require(error(PayOSHTTPResponse(status: status, body: Array("Internal Server Error".utf8)), as: PaymentLink.self))
            #expect(failure.code == .unreachable && failure.httpStatus == status && failure.isTransient)
        }
        let unavailable = try #require(error(PayOSHTTPResponse(status: 503, headers: [PayOSHTTPHeader("Retry-After", "2")]), as: PaymentLink.self))
        #expect(unavailable.retryAfter == .seconds(2))
    }

    @Test func otherStatusesFailClosed() {
        #expect(error(PayOSHTTPResponse(status: 408), as: PaymentLink.self)?.code == .timeout)
        #expect(error(PayOSHTTPResponse(status: 404, body: Array("Not Found".utf8)), as: PaymentLink.self)?.code == .invalidResponse)
        #expect(
            error(PayOSHTTPResponse(status: 302, headers: [PayOSHTTPHeader("Location", "https://elsewhere.example")]), as: PaymentLink.self)?.code
                == .invalidResponse
        )
        #expect(error(response(400, ["code": "20", "desc": "Thông tin truyền lên không đúng."]), as: PaymentLink.self)?.isBusiness("20") == true)
        // A 4xx that claims success is still a failure.
        let claimsSuccess = PayOSEnvelope.signedSuccess(ProtocolSamples.paidLinkG1.toJSON(), checksumKey: key)
        #expect(error(response(404, claimsSuccess.toJSON()), as: PaymentLink.self)?.code == .invalidResponse)
    }

    // MARK: Retry-After parsing

    @Test func retryAfterParsesSecondsAndIMFDatesOnly() {
        #expect(PayOSResponseDecoder.retryAfter("0", now: now) == .zero)
        #expect(PayOSResponseDecoder.retryAfter(" 120 ", now: now) == .seconds(120))
        #expect(PayOSResponseDecoder.retryAfter("1.5", now: now) == .milliseconds(1500))
        #expect(PayOSResponseDecoder.retryAfter("-1", now: now) == nil)
        #expect(PayOSResponseDecoder.retryAfter("soon", now: now) == nil)
        #expect(PayOSResponseDecoder.retryAfter("Wed, 18 Jun 2025 07:31:00 GMT", now: now) == .seconds(60))
        #expect(PayOSResponseDecoder.retryAfter("Wed, 18 Jun 2025 07:00:00 GMT", now: now) == .zero)
        #expect(PayOSResponseDecoder.retryAfter("Wed, 18 Jun 2025 07:31:00 UTC", now: now) == nil)
        #expect(PayOSResponseDecoder.retryAfter("Wednesday, 18-Jun-25 07:31:00 GMT", now: now) == nil)
        #expect(HTTPDate.parse("Sun, 06 Nov 1994 08:49:37 GMT") == 784_111_777)
        #expect(HTTPDate.parse("Thu, 01 Jan 1970 00:00:00 GMT") == 0)
        #expect(HTTPDate.parse("Tue, 29 Feb 2028 23:59:59 GMT") == 1_835_481_599)
    }
}
