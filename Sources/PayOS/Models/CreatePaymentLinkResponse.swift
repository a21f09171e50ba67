// Copyright (c) the Gatehouse authors
import GatehouseCore

/// The signed `data` of a successful create (spec 2.1): exactly 12 keys.
///
/// Decoding type-checks the 12 keys and ignores keys payOS may add (the signature covers them); ``toJSON()`` always writes all 12 keys
/// (`expiredAt` as `null` when unset), which is what a simulator must emit.
public struct CreatePaymentLinkResponse: PayOSStrictModel {
    /// The documented key set.
    public static let keys: Set<String> = [
        "bin", "accountNumber", "accountName", "amount", "description", "orderCode", "currency", "paymentLinkId",
        "status", "expiredAt", "checkoutUrl", "qrCode",
    ]

    /// NAPAS BIN of the receiving bank, e.g. `970422`.
    public var bin: String
    public var accountNumber: String
    public var accountName: String
    public var amount: Int64
    public var description: String
    public var orderCode: Int64
    public var currency: String
    /// payOS's id for the link (32 lowercase hex characters in every real sample).
    public var paymentLinkId: String
    public var status: PaymentLinkStatus
    /// Unix seconds, or `nil` (`null` on the wire).
    public var expiredAt: Int64?
    /// Hosted checkout page, `https://pay.payos.vn/web/<paymentLinkId>`.
    public var checkoutUrl: String
    /// The VietQR (EMVCo) payload string, not an image.
    public var qrCode: String

    public init(
        bin: String,
        accountNumber: String,
        accountName: String,
        amount: Int64,
        description: String,
        orderCode: Int64,
        currency: String = "VND",
        paymentLinkId: String,
        status: PaymentLinkStatus = .pending,
        expiredAt: Int64? = nil,
        checkoutUrl: String,
        qrCode: String
    ) {
        self.bin = bin
        self.accountNumber = accountNumber
        self.accountName = accountName
        self.amount = amount
        self.description = description
        self.orderCode = orderCode
        self.currency = currency
        self.paymentLinkId = paymentLinkId
        self.status = status
        self.expiredAt = expiredAt
        self.checkoutUrl = checkoutUrl
        self.qrCode = qrCode
    }
}
