// Copyright (c) the Gatehouse authors
@testable import PayOS
import GatehouseCore

/// The payloads behind the project vectors of `spec.md` 9.2, as typed models.
enum ProtocolSamples {
    static let linkId = "3f2a9c1e5b7d4e8fa0b1c2d3e4f5a6b7"

    static let createRequestC1 = CreatePaymentLinkRequest(
        orderCode: 123456789,
        amount: 50000,
        description: "Thanh toan don 123",
        cancelUrl: "https://shop.example.vn/payment/cancel",
        returnUrl: "https://shop.example.vn/payment/return"
    )

    static let createRequestC2 = CreatePaymentLinkRequest(
        orderCode: 1_750_233_600_123,
        amount: 2000,
        description: "Thanh toán đơn hàng",
        cancelUrl: "http://localhost:3000/cancel?ref=a&b=1",
        returnUrl: "http://localhost:3000/success?ref=a&b=1"
    )

    static let createResponseR1 = CreatePaymentLinkResponse(
        bin: "970422",
        accountNumber: "VQRQAFRJT1234",
        accountName: "CONG TY TNHH CUA HANG ABC",
        amount: 50000,
        description: "Thanh toan don 123",
        orderCode: 123456789,
        currency: "VND",
        paymentLinkId: linkId,
        status: .pending,
        expiredAt: 1_750_233_600,
        checkoutUrl: "https://pay.payos.vn/web/\(linkId)",
        qrCode:
            "00020101021238570010A000000727012700069704220113VQRQAFRJT12340208QRIBFTTA53037045405500005802VN62330829CSX3K9QZ7B Thanh toan don 123630440AF"
    )

    static let paidLinkG1 = PaymentLink(
        id: linkId,
        orderCode: 123456789,
        amount: 50000,
        amountPaid: 50000,
        amountRemaining: 0,
        status: .paid,
        createdAt: "2025-06-18T14:30:00+07:00",
        transactions: [
            PaymentLinkTransaction(
                accountNumber: "VQRQAFRJT1234",
                amount: 50000,
                counterAccountBankId: "970436",
                counterAccountName: "NGUYEN VAN A",
                counterAccountNumber: "0071000123456",
                description: "CSX3K9QZ7B Thanh toan don 123",
                reference: "FT25169123456789",
                transactionDateTime: "2025-06-18T14:32:05+07:00"
            )
        ]
    )

    static let cancelledLinkG2 = PaymentLink(
        id: linkId,
        orderCode: 123456789,
        amount: 50000,
        amountPaid: 0,
        amountRemaining: 50000,
        status: .cancelled,
        createdAt: "2025-06-18T14:30:00+07:00",
        transactions: [],
        cancellationReason: "Khach huy",
        canceledAt: "2025-06-18T14:40:00+07:00"
    )

    static let pendingLink = PaymentLink(
        id: linkId,
        orderCode: 123456789,
        amount: 50000,
        amountPaid: 0,
        amountRemaining: 50000,
        status: .pending,
        createdAt: "2025-06-18T14:30:00+07:00"
    )

    static let webhookW1 = PayOSWebhookData(
        accountNumber: "VQRQAFRJT1234",
        amount: 50000,
        description: "CSX3K9QZ7B Thanh toan don 123",
        reference: "FT25169123456789",
        transactionDateTime: "2025-06-18 14:32:05",
        virtualAccountNumber: "",
        counterAccountBankId: "970436",
        counterAccountBankName: "",
        counterAccountName: "NGUYEN VAN A",
        counterAccountNumber: "0071000123456",
        virtualAccountName: "",
        currency: "VND",
        orderCode: 123456789,
        paymentLinkId: linkId,
        code: "00",
        desc: "success"
    )
}
