// Copyright (c) the Gatehouse authors
public import Sodium

/// Body of `POST /v2/payment-requests` (spec 2.1).
///
/// Decoding (for a server or simulator) accepts `null` and absence alike for every optional key, ignores keys
/// it does not know (the real server's behaviour with extras is unknown; no SDK sends any), and keeps the
/// wire `signature` so it can be checked with ``hasValidSignature(checksumKey:)``. Decoding checks JSON types
/// only; ``validate()`` checks the business rules (ranges, lengths) that payOS answers with code `20`.
public struct CreatePaymentLinkRequest: PayOSCodableModel {
    /// Largest order code every SDK accepts: JavaScript's `Number.MAX_SAFE_INTEGER` (2^53 − 1).
    public static let maximumOrderCode: Int64 = 9_007_199_254_740_991
    /// payOS refuses longer descriptions with code `20` ("Mô tả tối đa 25 kí tự"); counted in UTF-16 code
    /// units, as the (Node.js) backend counts. Bank accounts not linked through payOS allow only 9.
    public static let maximumDescriptionLength = 25
    /// The limit when the receiving bank account is not linked through payOS (code `20`, "Mô tả tối đa 9 kí tự").
    public static let maximumUnlinkedAccountDescriptionLength = 9
    /// Tax percentages the SDK types allow for items and invoices.
    public static let allowedTaxPercentages: Set<Int64> = [-2, -1, 0, 5, 10]

    /// Merchant order number, unique per payment channel, 1…2^53 − 1.
    public var orderCode: Int64
    /// Amount in VND, > 0.
    public var amount: Int64
    public var description: String
    public var cancelUrl: String
    public var returnUrl: String
    /// The create-request signature (spec 4.1) as sent on the wire; set by ``signed(checksumKey:)``.
    public var signature: String?
    // The wire body has the required keys and the signature, then only the optional keys that are set
    // (as the Node and Go SDKs send).
    public var items: [PaymentLinkItem]?
    public var buyerName: String?
    public var buyerCompanyName: String?
    public var buyerTaxCode: String?
    public var buyerEmail: String?
    public var buyerPhone: String?
    public var buyerAddress: String?
    public var invoice: PaymentLinkInvoiceRequest?
    /// Link expiry, Unix time in seconds.
    public var expiredAt: Int64?

    public init(
        orderCode: Int64,
        amount: Int64,
        description: String,
        cancelUrl: String,
        returnUrl: String,
        items: [PaymentLinkItem]? = nil,
        buyerName: String? = nil,
        buyerCompanyName: String? = nil,
        buyerTaxCode: String? = nil,
        buyerEmail: String? = nil,
        buyerPhone: String? = nil,
        buyerAddress: String? = nil,
        invoice: PaymentLinkInvoiceRequest? = nil,
        expiredAt: Int64? = nil,
        signature: String? = nil
    ) {
        self.orderCode = orderCode
        self.amount = amount
        self.description = description
        self.cancelUrl = cancelUrl
        self.returnUrl = returnUrl
        self.items = items
        self.buyerName = buyerName
        self.buyerCompanyName = buyerCompanyName
        self.buyerTaxCode = buyerTaxCode
        self.buyerEmail = buyerEmail
        self.buyerPhone = buyerPhone
        self.buyerAddress = buyerAddress
        self.invoice = invoice
        self.expiredAt = expiredAt
        self.signature = signature
    }

    /// The create-request signature of this request's five signed fields.
    public func expectedSignature(checksumKey: String) -> String {
        PayOSSignature.createRequest(
            amount: amount,
            cancelUrl: cancelUrl,
            description: description,
            orderCode: orderCode,
            returnUrl: returnUrl,
            checksumKey: checksumKey
        )
    }

    /// The create-request signature of this request's five signed fields, keyed with a guarded checksum key.
    public func expectedSignature(checksumKey: some GuardedBytes) -> String {
        PayOSSignature.createRequest(
            amount: amount, cancelUrl: cancelUrl, description: description, orderCode: orderCode, returnUrl: returnUrl,
            checksumKey: checksumKey)
    }

    /// A copy carrying its signature (keyed with a guarded checksum key), ready to send.
    public func signed(checksumKey: some GuardedBytes) -> CreatePaymentLinkRequest {
        var copy = self
        copy.signature = expectedSignature(checksumKey: checksumKey)
        return copy
    }

    /// A copy carrying its signature, ready to send.
    public func signed(checksumKey: String) -> CreatePaymentLinkRequest {
        var copy = self
        copy.signature = expectedSignature(checksumKey: checksumKey)
        return copy
    }

    /// Whether the carried ``signature`` is valid for `checksumKey` (constant-time comparison); `false` when absent.
    public func hasValidSignature(checksumKey: String) -> Bool {
        guard let signature else { return false }
        return PayOSSignature.verifyCreateRequest(
            amount: amount,
            cancelUrl: cancelUrl,
            description: description,
            orderCode: orderCode,
            returnUrl: returnUrl,
            signature: signature,
            checksumKey: checksumKey
        )
    }

    /// Checks the business rules payOS enforces (answering code `20`): order code in 1…2^53 − 1, amount > 0,
    /// description not empty and at most ``maximumDescriptionLength`` UTF-16 units, non-empty URLs,
    /// items with a name, quantity > 0 and price ≥ 0, tax percentages from the allowed set, a positive `expiredAt`.
    public func validate() throws(PayOSSchemaError) {
        guard (1...Self.maximumOrderCode).contains(orderCode) else { throw PayOSSchemaError(.outOfRange, path: "orderCode") }
        guard amount > 0 else { throw PayOSSchemaError(.outOfRange, path: "amount") }
        guard !description.isEmpty, description.utf16.count <= Self.maximumDescriptionLength else {
            throw PayOSSchemaError(.outOfRange, path: "description")
        }
        guard !cancelUrl.isEmpty else { throw PayOSSchemaError(.missingKey, path: "cancelUrl") }
        guard !returnUrl.isEmpty else { throw PayOSSchemaError(.missingKey, path: "returnUrl") }
        for (index, item) in (items ?? []).enumerated() {
            let path = "items[\(index)]"
            guard !item.name.isEmpty else { throw PayOSSchemaError(.missingKey, path: "\(path).name") }
            guard item.quantity > 0 else { throw PayOSSchemaError(.outOfRange, path: "\(path).quantity") }
            guard item.price >= 0 else { throw PayOSSchemaError(.outOfRange, path: "\(path).price") }
            if let tax = item.taxPercentage, !Self.allowedTaxPercentages.contains(tax) {
                throw PayOSSchemaError(.invalidValue, path: "\(path).taxPercentage")
            }
        }
        if let tax = invoice?.taxPercentage, !Self.allowedTaxPercentages.contains(tax) {
            throw PayOSSchemaError(.invalidValue, path: "invoice.taxPercentage")
        }
        if let expiredAt, expiredAt <= 0 { throw PayOSSchemaError(.outOfRange, path: "expiredAt") }
    }
}

/// One line of `items` in a create request.
public struct PaymentLinkItem: PayOSCodableModel {
    public var name: String
    public var quantity: Int64
    /// Unit price in VND.
    public var price: Int64
    public var unit: String?
    /// One of -2, -1, 0, 5, 10 (the SDK's `TaxPercentage`).
    public var taxPercentage: Int64?

    public init(name: String, quantity: Int64, price: Int64, unit: String? = nil, taxPercentage: Int64? = nil) {
        self.name = name
        self.quantity = quantity
        self.price = price
        self.unit = unit
        self.taxPercentage = taxPercentage
    }
}

/// The `invoice` object of a create request (e-invoice options).
public struct PaymentLinkInvoiceRequest: PayOSCodableModel {
    public var buyerNotGetInvoice: Bool?
    public var taxPercentage: Int64?

    public init(buyerNotGetInvoice: Bool? = nil, taxPercentage: Int64? = nil) {
        self.buyerNotGetInvoice = buyerNotGetInvoice
        self.taxPercentage = taxPercentage
    }
}
