// Copyright (c) the Gatehouse authors

/// The signed `data` of `GET /v2/payment-requests/{id}` and of a cancel (spec 2.2): exactly 10 keys.
///
/// Decoding refuses unknown keys (Python 1.x does); ``toJSON()`` writes all 10, `null` for unset optionals.
public struct PaymentLink: PayOSJSONModel {
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
    public var transactions: [PaymentLinkTransaction]
    public var cancellationReason: String?
    /// ISO-8601 with offset, or `nil`.
    public var canceledAt: String?

    public init(
        id: String,
        orderCode: Int64,
        amount: Int64,
        amountPaid: Int64,
        amountRemaining: Int64,
        status: PaymentLinkStatus,
        createdAt: String,
        transactions: [PaymentLinkTransaction] = [],
        cancellationReason: String? = nil,
        canceledAt: String? = nil
    ) {
        self.id = id
        self.orderCode = orderCode
        self.amount = amount
        self.amountPaid = amountPaid
        self.amountRemaining = amountRemaining
        self.status = status
        self.createdAt = createdAt
        self.transactions = transactions
        self.cancellationReason = cancellationReason
        self.canceledAt = canceledAt
    }

    public init(json: JSONObject) throws(PayOSSchemaError) {
        let r = JSONObjectReader(json, path: "")
        try r.requireOnly(Self.keys)
        self.id = try r.string("id")
        self.orderCode = try r.int("orderCode")
        self.amount = try r.int("amount")
        self.amountPaid = try r.int("amountPaid")
        self.amountRemaining = try r.int("amountRemaining")
        self.status = try r.status("status")
        self.createdAt = try r.string("createdAt")
        self.transactions = try r.models(try r.array("transactions"), key: "transactions", as: PaymentLinkTransaction.self)
        self.cancellationReason = try r.optionalString("cancellationReason")
        self.canceledAt = try r.optionalString("canceledAt")
    }

    public func toJSON() -> JSONObject {
        [
            "id": .string(id),
            "orderCode": .int(orderCode),
            "amount": .int(amount),
            "amountPaid": .int(amountPaid),
            "amountRemaining": .int(amountRemaining),
            "status": .string(status.rawValue),
            "createdAt": .string(createdAt),
            "transactions": .array(transactions.map { .object($0.toJSON()) }),
            "cancellationReason": .orNull(cancellationReason),
            "canceledAt": .orNull(canceledAt),
        ]
    }
}

/// A bank transfer received for a payment link (element of ``PaymentLink/transactions``): exactly 11 keys.
public struct PaymentLinkTransaction: PayOSJSONModel {
    /// The documented key set.
    public static let keys: Set<String> = [
        "reference", "amount", "accountNumber", "description", "transactionDateTime", "virtualAccountName",
        "virtualAccountNumber", "counterAccountBankId", "counterAccountBankName", "counterAccountName",
        "counterAccountNumber",
    ]

    /// Bank reference, e.g. `FT25169123456789`.
    public var reference: String
    public var amount: Int64
    public var accountNumber: String
    public var description: String
    /// ISO-8601 with offset here (the webhook uses `YYYY-MM-DD HH:mm:ss` instead).
    public var transactionDateTime: String
    public var virtualAccountName: String?
    public var virtualAccountNumber: String?
    public var counterAccountBankId: String?
    public var counterAccountBankName: String?
    public var counterAccountName: String?
    public var counterAccountNumber: String?

    public init(
        reference: String,
        amount: Int64,
        accountNumber: String,
        description: String,
        transactionDateTime: String,
        virtualAccountName: String? = nil,
        virtualAccountNumber: String? = nil,
        counterAccountBankId: String? = nil,
        counterAccountBankName: String? = nil,
        counterAccountName: String? = nil,
        counterAccountNumber: String? = nil
    ) {
        self.reference = reference
        self.amount = amount
        self.accountNumber = accountNumber
        self.description = description
        self.transactionDateTime = transactionDateTime
        self.virtualAccountName = virtualAccountName
        self.virtualAccountNumber = virtualAccountNumber
        self.counterAccountBankId = counterAccountBankId
        self.counterAccountBankName = counterAccountBankName
        self.counterAccountName = counterAccountName
        self.counterAccountNumber = counterAccountNumber
    }

    public init(json: JSONObject) throws(PayOSSchemaError) {
        let r = JSONObjectReader(json, path: "")
        try r.requireOnly(Self.keys)
        self.reference = try r.string("reference")
        self.amount = try r.int("amount")
        self.accountNumber = try r.string("accountNumber")
        self.description = try r.string("description")
        self.transactionDateTime = try r.string("transactionDateTime")
        self.virtualAccountName = try r.optionalString("virtualAccountName")
        self.virtualAccountNumber = try r.optionalString("virtualAccountNumber")
        self.counterAccountBankId = try r.optionalString("counterAccountBankId")
        self.counterAccountBankName = try r.optionalString("counterAccountBankName")
        self.counterAccountName = try r.optionalString("counterAccountName")
        self.counterAccountNumber = try r.optionalString("counterAccountNumber")
    }

    /// All 11 keys, in the order payOS's own signed vectors list them (sorted), `null` for unset optionals.
    public func toJSON() -> JSONObject {
        [
            "accountNumber": .string(accountNumber),
            "amount": .int(amount),
            "counterAccountBankId": .orNull(counterAccountBankId),
            "counterAccountBankName": .orNull(counterAccountBankName),
            "counterAccountName": .orNull(counterAccountName),
            "counterAccountNumber": .orNull(counterAccountNumber),
            "description": .string(description),
            "reference": .string(reference),
            "transactionDateTime": .string(transactionDateTime),
            "virtualAccountName": .orNull(virtualAccountName),
            "virtualAccountNumber": .orNull(virtualAccountNumber),
        ]
    }
}
