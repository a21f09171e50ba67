// Copyright (c) the Gatehouse authors
import PayOS

/// A validated `POST /v2/payment-requests` body (spec 2.1). Only what the sandbox uses is kept; optional
/// e-invoice fields are type-checked and then ignored, as they affect nothing payOS returns.
struct CreatePaymentRequest: Sendable, Hashable {
    var orderCode: Int64
    var amount: Int64
    var description: String
    var cancelUrl: String
    var returnUrl: String
    var signature: String
    var expiredAt: Int64?

    /// JavaScript's largest safe integer: the Go and Java SDKs refuse order codes beyond it (spec 2.1).
    static let maximumOrderCode: Int64 = 9_007_199_254_740_991
    /// The VietQR amount field holds at most 13 characters; payOS publishes no maximum, so this is the sandbox's.
    static let maximumAmount: Int64 = 9_999_999_999_999
    /// payOS's description limit, counted in UTF-16 units like JavaScript's `length` (spec 2.1).
    static let maximumDescriptionLength = 25
    static let allowedTaxPercentages: Set<Int64> = [-2, -1, 0, 5, 10]

    /// Parses and validates a create body. `null` and an absent key are the same thing (Python 1.x sends nulls).
    ///
    /// - Throws: ``PayOSBusinessError/invalidInput`` for a missing or mistyped field or a value out of range,
    ///   ``PayOSBusinessError/descriptionTooLong`` for a description over 25 characters. The signature is
    ///   checked separately (it needs the channel's key).
    init(body: [UInt8]) throws(PayOSBusinessError) {
        guard let json = try? JSONValue(parsing: body), let object = json.objectValue else { throw .invalidInput }
        func value(_ key: String) -> JSONValue? {
            guard let v = object[key], !v.isNull else { return nil }
            return v
        }
        guard let orderCode = value("orderCode")?.int64Value,
            let amount = value("amount")?.int64Value,
            let description = value("description")?.stringValue,
            let cancelUrl = value("cancelUrl")?.stringValue,
            let returnUrl = value("returnUrl")?.stringValue,
            let signature = value("signature")?.stringValue
        else { throw .invalidInput }
        guard (1...Self.maximumOrderCode).contains(orderCode), (1...Self.maximumAmount).contains(amount),
            !description.isEmpty, !cancelUrl.isEmpty, !returnUrl.isEmpty, !signature.isEmpty
        else { throw .invalidInput }
        guard description.utf16.count <= Self.maximumDescriptionLength else { throw .descriptionTooLong }

        var expiredAt: Int64?
        if let raw = value("expiredAt") {
            // Documented as an Int32 Unix timestamp.
            guard let seconds = raw.int64Value, (1...Int64(Int32.max)).contains(seconds) else { throw .invalidInput }
            expiredAt = seconds
        }
        for key in ["buyerName", "buyerCompanyName", "buyerTaxCode", "buyerEmail", "buyerPhone", "buyerAddress"] {
            if let raw = value(key), raw.stringValue == nil { throw .invalidInput }
        }
        if let raw = value("items") {
            guard let items = raw.arrayValue else { throw .invalidInput }
            for item in items {
                guard let item = item.objectValue, Self.isValidItem(item) else { throw .invalidInput }
            }
        }
        if let raw = value("invoice") {
            guard let invoice = raw.objectValue else { throw .invalidInput }
            if let flag = invoice["buyerNotGetInvoice"], !flag.isNull, flag.boolValue == nil { throw .invalidInput }
            if let tax = invoice["taxPercentage"], !tax.isNull {
                guard let percentage = tax.int64Value, Self.allowedTaxPercentages.contains(percentage) else { throw .invalidInput }
            }
        }
        self.orderCode = orderCode
        self.amount = amount
        self.description = description
        self.cancelUrl = cancelUrl
        self.returnUrl = returnUrl
        self.signature = signature
        self.expiredAt = expiredAt
    }

    /// `{name: str, quantity: int, price: int, unit?: str, taxPercentage?: -2|-1|0|5|10}`.
    private static func isValidItem(_ item: JSONObject) -> Bool {
        guard let name = item["name"]?.stringValue, !name.isEmpty,
            let quantity = item["quantity"]?.int64Value, quantity > 0,
            let price = item["price"]?.int64Value, price >= 0
        else { return false }
        if let unit = item["unit"], !unit.isNull, unit.stringValue == nil { return false }
        if let tax = item["taxPercentage"], !tax.isNull {
            guard let percentage = tax.int64Value, allowedTaxPercentages.contains(percentage) else { return false }
        }
        return true
    }
}
