// Copyright (c) the Gatehouse authors
import Testing

@testable import PayOS

@Suite struct SignatureVectorTests {
    let key = "1a54716c8f0efb2744fb28b6e38b25da7f67a925d98bc1c18bd8faaecadd7675"

    @Test func createRequestSignatureMatchesVectorC1() {
        let signature = PayOSSignature.createRequest(
            amount: 50000, cancelUrl: "https://shop.example.vn/payment/cancel", description: "Thanh toan don 123",
            orderCode: 123456789, returnUrl: "https://shop.example.vn/payment/return", checksumKey: key)
        #expect(signature == "dc4214177f8842c408fefa39185c0ec6c4501a70f4dd302f653d9d0cb19f256f")
    }

    @Test func webhookBodySignatureMatchesVectorW1() throws {
        let body = try JSONValue(parsing: #"{"accountNumber": "VQRQAFRJT1234", "amount": 50000, "description": "CSX3K9QZ7B Thanh toan don 123", "reference": "FT25169123456789", "transactionDateTime": "2025-06-18 14:32:05", "virtualAccountNumber": "", "counterAccountBankId": "970436", "counterAccountBankName": "", "counterAccountName": "NGUYEN VAN A", "counterAccountNumber": "0071000123456", "virtualAccountName": "", "currency": "VND", "orderCode": 123456789, "paymentLinkId": "3f2a9c1e5b7d4e8fa0b1c2d3e4f5a6b7", "code": "00", "desc": "success"}"#)
        let data = try #require(body.objectValue)
        #expect(PayOSSignature.body(data, checksumKey: key) == "e6317e3f1838a2068bb31738ed895333ae7da3ad182481abb506a3e8a45e4b56")
    }
}
