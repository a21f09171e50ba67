// Copyright (c) the Gatehouse authors

/// The signed `data` of `GET /v2/payment-requests/{id}` and of a cancel (spec 2.2): exactly 10 keys.
///
/// Decoding type-checks the 10 keys and ignores keys payOS may add; ``toJSON()`` writes all 10, `null` for unset optionals.
public struct PaymentLink: PayOSStrictModel {
    /// The documented key set.
    public static let keys: Set<String> = [
        "id", "orderCode", "amount", "amountPaid", "amountRemaining", "status", "createdAt", "transactions",
        "cancellationReason", "canceledAt",
    ]

    /// The paymentLinkId.
    public var id: String
    public var orderCode: Int64
    public var amount: Int64
    public var amountPaid: Int64
    public var amountRemaining: Int64
    public var status: PaymentLinkStatus
    /// ISO-8601 with offset, e.g. `2025-06-18T14:30:00+07:00`.
    public var createdAt: String
    public var transactions: [PaymentLinkTransaction] = []
    public var cancellationReason: String?
    /// ISO-8601 with offset, or `nil`.
    public var canceledAt: String?
}

/// A bank transfer received for a payment link (element of ``PaymentLink/transactions``): exactly 11 keys.
public struct PaymentLinkTransaction: PayOSStrictModel {
    /// The documented key set.
    public static let keys: Set<String> = [
        "reference", "amount", "accountNumber", "description", "transactionDateTime", "virtualAccountName",
        "virtualAccountNumber", "counterAccountBankId", "counterAccountBankName", "counterAccountName",
        "counterAccountNumber",
    ]

    // Declared (so written) in the order payOS's own signed vectors list the keys: sorted.
    public var accountNumber: String
    public var amount: Int64
    public var counterAccountBankId: String?
    public var counterAccountBankName: String?
    public var counterAccountName: String?
    public var counterAccountNumber: String?
    public var description: String
    /// Bank reference, e.g. `FT25169123456789`.
    public var reference: String
    /// ISO-8601 with offset here (the webhook uses `YYYY-MM-DD HH:mm:ss` instead).
    public var transactionDateTime: String
    public var virtualAccountName: String?
    public var virtualAccountNumber: String?
}
