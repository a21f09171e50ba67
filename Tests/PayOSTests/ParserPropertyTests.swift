// Copyright (c) the Gatehouse authors
import Foundation
import PropertyBased
import Testing

@testable import PayOS

/// Text pieces that stress the JSON reader and the signed text: JSON's special characters, Vietnamese, 4-byte and
/// joined emoji, combining marks, right-to-left text, control characters, and the strings payOS signs as empty.
let stressPieces = [
    "a", "Z", "0", " ", "\"", "\\", "/", "&", "=", "%", "?", "Thành công", "ễ", "😀", "👍🏽", "👨‍👩‍👧", "e\u{301}", "שלום", "مرحبا",
    "\u{0}", "\u{1F}", "\t", "\n", "\u{7F}", "\u{FEFF}", "\u{2028}", "\u{10FFFF}", "null", "undefined",
]

/// Stranger text: 0 to 12 of ``stressPieces``.
let stressText = Gen.element(of: stressPieces).compactMap { $0 }.array(of: 0...12).map { $0.joined() }

/// A JSON value of up to three levels built from `seeds`, with every kind the reader produces except doubles (whose
/// text form is not unique).
func jsonValue(_ seeds: [UInt64], strings: [String], depth: Int = 0) -> JSONValue {
    var seeds = seeds[...]
    var strings = strings[...]
    func next() -> UInt64 { seeds.popFirst() ?? 0 }
    func string() -> String { strings.popFirst() ?? "" }
    func build(_ depth: Int) -> JSONValue {
        let seed = next()
        switch depth >= 3 ? seed % 4 : seed % 6 {
        case 0: return .null
        case 1: return .bool(seed & 8 != 0)
        case 2: return .int(Int64(bitPattern: next()))
        case 3: return .string(string())
        case 4: return .array((0..<Int(seed % 4)).map { _ in build(depth + 1) })
        default:
            var object = JSONObject()
            for _ in 0..<Int(seed % 5) { object[string()] = build(depth + 1) }
            return .object(object)
        }
    }
    return build(depth)
}

@Suite struct PayOSJSONReaderProperties {
    @Test func compactTextParsesBackToTheSameValue() async {
        await propertyCheck(input: Gen<UInt64>.value().array(of: 1...40), stressText.array(of: 0...20)) { seeds, strings in
            let value = jsonValue(seeds, strings: strings)
            let text = value.compactBytes
            let parsed = try JSONValue(parsing: text)
            #expect(parsed == value, "\(value.compactText)")
        }
    }

    @Test func anyBytesParseOrFailWithoutTrapAndTheirCompactTextIsAFixedPoint() async {
        await propertyCheck(count: 300, input: Gen<UInt8>.value(in: 0...255).array(of: 0...64)) { bytes in
            guard let value = try? JSONValue(parsing: bytes) else { return }
            let text = value.compactBytes
            let again = try JSONValue(parsing: text)
            #expect(again.compactBytes == text)
        }
    }

    @Test func theBodySignatureOfAnObjectSurvivesARoundTrip() async {
        await propertyCheck(input: Gen<UInt64>.value().array(of: 1...40), stressText.array(of: 0...20), stressText) { seeds, strings, key in
            guard case .object(let object) = jsonValue([5] + seeds, strings: strings) else { return }
            let signature = PayOSSignature.body(object, checksumKey: key)
            let reparsed = try JSONValue(parsing: JSONValue.object(object).compactBytes)
            #expect(PayOSSignature.verifyBody(try #require(reparsed.objectValue), signature: signature, checksumKey: key))
            #expect(!PayOSSignature.verifyBody(object, signature: signature, checksumKey: key + "x"))
        }
    }
}

/// A webhook `data` with stranger text in every string field.
let webhookData = zip(stressText.array(of: 12), Gen<Int64>.value(), Gen<Int64>.value(), Gen<UInt8>.value()).map { texts, amount, orderCode, nils in
    PayOSWebhookData(
        accountNumber: texts[0], amount: amount, description: texts[1], reference: texts[2], transactionDateTime: texts[3],
        virtualAccountNumber: nils & 1 == 0 ? texts[4] : nil, counterAccountBankId: nils & 2 == 0 ? texts[5] : nil,
        counterAccountBankName: nils & 4 == 0 ? texts[6] : nil, counterAccountName: nils & 8 == 0 ? texts[7] : nil,
        counterAccountNumber: nils & 16 == 0 ? texts[8] : nil, virtualAccountName: nils & 32 == 0 ? texts[9] : nil,
        currency: "VND", orderCode: orderCode, paymentLinkId: texts[10], code: "00", desc: texts[11]
    )
}

@Suite struct PayOSWebhookBodyProperties {
    @Test func aSignedBodyVerifiesUnderItsKeyOnlyAndDecodesToItsData() async {
        await propertyCheck(input: webhookData, stressText.filter { !$0.isEmpty }) { data, key in
            let body = JSONValue.object(PayOSWebhookBody.signed(data, checksumKey: key).toJSON()).compactBytes
            let verified = try PayOSWebhook.verify(body: body, checksumKeys: ["", "other", key])
            #expect(verified.matchedKeyIndex == 2)
            #expect(verified.data == data)
            #expect(throws: PayOSWebhookError(.invalidSignature)) { try PayOSWebhook.verify(body: body, checksumKeys: [key + "x"]) }
        }
    }

    @Test func aChangedAmountNoLongerVerifies() async {
        await propertyCheck(input: webhookData, Gen<Int64>.value(in: 1...1_000_000)) { data, delta in
            var json = PayOSWebhookBody.signed(data, checksumKey: "key").toJSON()
            var changed = data
            changed.amount = data.amount &+ delta
            json["data"] = .object(changed.toJSON())
            #expect(throws: PayOSWebhookError(.invalidSignature)) { try PayOSWebhook.verify(body: JSONValue.object(json).compactBytes, checksumKeys: ["key"]) }
        }
    }
}

@Suite struct PayOSResponseDecoderProperties {
    static let statuses = Gen.element(of: PaymentLinkStatus.allCases).compactMap { $0 }

    static let createResponse = zip(stressText.array(of: 8), Gen<Int64>.value(), Gen<Int64>.value(), statuses, Gen<Int64>.value().array(of: 0...1))
        .map { t, amount, orderCode, status, expiredAt in
            CreatePaymentLinkResponse(
                bin: t[0], accountNumber: t[1], accountName: t[2], amount: amount, description: t[3], orderCode: orderCode, currency: t[4],
                paymentLinkId: t[5], status: status, expiredAt: expiredAt.first, checkoutUrl: t[6], qrCode: t[7]
            )
        }

    @Test func aSignedCreateResponseDecodesToItselfAndOnlyUnderItsKey() async {
        await propertyCheck(input: Self.createResponse, stressText) { model, key in
            let body = JSONValue.object(PayOSEnvelope.signedSuccess(model.toJSON(), checksumKey: key).toJSON()).compactBytes
            let decoded = try PayOSResponseDecoder.decode(PayOSHTTPResponse(status: 200, body: body), as: CreatePaymentLinkResponse.self, signature: .body(checksumKey: key))
            #expect(decoded == model)
            do throws(PayOSError) {
                _ = try PayOSResponseDecoder.decode(PayOSHTTPResponse(status: 200, body: body), as: CreatePaymentLinkResponse.self, signature: .body(checksumKey: key + "x"))
                Issue.record("decoded under another key")
            } catch {
                #expect(error.code == .invalidSignature)
            }
        }
    }

    @Test func aPaymentLinkWithTransactionsDecodesToItself() async {
        let transaction = zip(stressText.array(of: 4), Gen<Int64>.value()).map { t, amount in
            PaymentLinkTransaction(
                accountNumber: t[0], amount: amount, counterAccountBankId: nil, counterAccountBankName: t[1], counterAccountName: nil,
                counterAccountNumber: nil, description: t[2], reference: t[3], transactionDateTime: "2025-06-18T14:30:00+07:00",
                virtualAccountName: nil, virtualAccountNumber: nil
            )
        }
        let link = zip(stressText.array(of: 3), Gen<Int64>.value().array(of: 4), Self.statuses, transaction.array(of: 0...3)).map { t, n, status, transactions in
            PaymentLink(
                id: t[0], orderCode: n[0], amount: n[1], amountPaid: n[2], amountRemaining: n[3], status: status, createdAt: t[1],
                transactions: transactions, cancellationReason: t[2].isEmpty ? nil : t[2], canceledAt: nil
            )
        }
        await propertyCheck(input: link) { model in
            let body = JSONValue.object(PayOSEnvelope.signedSuccess(model.toJSON(), checksumKey: "k").toJSON()).compactBytes
            let decoded = try PayOSResponseDecoder.decode(PayOSHTTPResponse(status: 200, body: body), as: PaymentLink.self, signature: .body(checksumKey: "k"))
            #expect(decoded == model)
        }
    }

    @Test func anyBodyAndStatusDecodeOnlyOn2xxAndNeverTrap() async {
        let statusCodes = Gen.element(of: [200, 204, 400, 401, 403, 408, 429, 500, 503]).compactMap { $0 }
        await propertyCheck(count: 300, input: statusCodes, Gen<UInt8>.value(in: 0...255).array(of: 0...64), stressText) { status, body, retryAfter in
            let response = PayOSHTTPResponse(status: status, headers: [PayOSHTTPHeader("Retry-After", retryAfter)], body: body)
            if (try? PayOSResponseDecoder.decode(response, as: ConfirmWebhookResponse.self, signature: .none)) != nil {
                #expect((200..<300).contains(status))
            }
            if let wait = PayOSResponseDecoder.retryAfter(retryAfter, now: Date()) { #expect(wait >= .zero && wait <= .seconds(86_400 * 365)) }
        }
    }
}
