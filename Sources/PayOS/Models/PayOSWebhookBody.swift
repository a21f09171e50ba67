// Copyright (c) the Gatehouse authors
import GatehouseCore

/// The body payOS POSTs to a merchant's webhook URL (spec 5.1): top-level `code`, `desc`, `success`,
/// `data` and `signature`. Only `data` is signed.
///
/// Decoding follows the Python 1.x SDK: `code`, `desc`, `data` and `signature` are required, `success` is
/// optional, and any other top-level key is refused.
public struct PayOSWebhookBody: PayOSStrictModel {
    /// The documented top-level key set.
    public static let keys: Set<String> = ["code", "desc", "success", "data", "signature"]

    public var code: String
    public var desc: String
    public var success: Bool?
    public var data: PayOSWebhookData
    public var signature: String

    public init(code: String = "00", desc: String = "success", success: Bool? = true, data: PayOSWebhookData, signature: String) {
        self.code = code
        self.desc = desc
        self.success = success
        self.data = data
        self.signature = signature
    }

    /// A body around `data` signed with `checksumKey`, as payOS sends it.
    public static func signed(_ data: PayOSWebhookData, checksumKey: String) -> PayOSWebhookBody {
        PayOSWebhookBody(data: data, signature: data.signature(checksumKey: checksumKey))
    }

    /// `code`, `desc`, `success` (omitted when `nil`, unlike the strict models' `null`), `data` with all 16 keys, `signature`.
    public func toJSON() -> JSONObject {
        var json: JSONObject = ["code": .string(code), "desc": .string(desc)]
        if let success { json["success"] = .bool(success) }
        json["data"] = .object(data.toJSON())
        json["signature"] = .string(signature)
        return json
    }
}

/// The signed `data` of a webhook: exactly 16 keys (spec 5.1).
///
/// The Python 1.x SDK parses `data` into this fixed model and signs the model, so an absent optional key is
/// signed as `key=`; decoding therefore treats absent, `null` and (for signing) `""` alike, and ``toJSON()``
/// always writes all 16 keys, the only form every SDK verifies identically.
public struct PayOSWebhookData: PayOSStrictModel {
    /// The documented key set.
    public static let keys: Set<String> = [
        "orderCode", "amount", "description", "accountNumber", "reference", "transactionDateTime", "currency",
        "paymentLinkId", "code", "desc", "counterAccountBankId", "counterAccountBankName", "counterAccountName",
        "counterAccountNumber", "virtualAccountName", "virtualAccountNumber",
    ]

    // Declared (so written) in the order real payOS payloads use.
    public var accountNumber: String
    public var amount: Int64
    /// The bank-transfer content as received.
    public var description: String
    /// Bank reference; with ``paymentLinkId`` the natural idempotency key (the scheme has no nonce).
    public var reference: String
    /// `YYYY-MM-DD HH:mm:ss`, Vietnam local time, no zone.
    public var transactionDateTime: String
    public var virtualAccountNumber: String?
    public var counterAccountBankId: String?
    public var counterAccountBankName: String?
    public var counterAccountName: String?
    public var counterAccountNumber: String?
    public var virtualAccountName: String?
    public var currency: String = "VND"
    public var orderCode: Int64
    public var paymentLinkId: String
    public var code: String = "00"
    public var desc: String = "success"

    /// The sample payOS POSTs to a URL given to `/confirm-webhook` (the docs' sample, with `currency`; spec 5.4):
    /// order code 123, an order no merchant has. A simulator sends it signed with the channel's checksum key.
    public static let confirmationSample = PayOSWebhookData(
        accountNumber: "12345678",
        amount: 3000,
        description: "VQRIO123",
        reference: "TF230204212323",
        transactionDateTime: "2023-02-04 18:25:00",
        virtualAccountNumber: "",
        counterAccountBankId: "",
        counterAccountBankName: "",
        counterAccountName: "",
        counterAccountNumber: "",
        virtualAccountName: "",
        currency: "VND",
        orderCode: 123,
        paymentLinkId: "124c33293c43417ab7879e14c8d9eb18",
        code: "00",
        desc: "Thành công"
    )

    /// Whether this is payOS's confirmation probe rather than a payment: recognised, as payOS's own Sapo plug-in
    /// does, by account number `12345678` with reference `TF230204212323`. Only meaningful after the signature
    /// verified; a merchant endpoint must answer it with 2xx without touching any order.
    public var isConfirmationProbe: Bool { accountNumber == "12345678" && reference == "TF230204212323" }

    /// The body signature over all 16 keys (what Python 1.x computes and payOS sends).
    public func signature(checksumKey: String) -> String {
        PayOSSignature.body(toJSON(), checksumKey: checksumKey)
    }
}
