// Copyright (c) the Gatehouse authors
import GatehouseCore

/// The body payOS POSTs to a merchant's webhook URL (spec 5.1): top-level `code`, `desc`, `success`,
/// `data` and `signature`. Only `data` is signed.
///
/// Decoding reads the body as payOS's SDKs verify it: `code`, `desc`, `data` and `signature` are required and
/// type-checked, `success` is optional, and any other key (top level or in `data`) is ignored here and kept in
/// the raw body the caller stores. `data.orderCode` may be a JSON integer or a string of ASCII digits (payOS's
/// Python SDK accepts both); any other string is a ``PayOSSchemaError/Code/wrongType`` at `data.orderCode`.
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

    public init(json: JSONObject) throws(PayOSSchemaError) {
        var json = json
        if case .object(var data)? = json["data"], case .string(let text)? = data["orderCode"] {
            guard let orderCode = PayOSWebhookData.orderCode(fromDigits: text) else {
                throw PayOSSchemaError(.wrongType, path: "data.orderCode")
            }
            data["orderCode"] = .int(orderCode)
            json["data"] = .object(data)
        }
        self = try JSONModelDecoder.decode(Self.self, from: .object(json), at: [])
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

/// The signed `data` of a webhook: the 16 documented keys (spec 5.1) payOS sends today.
///
/// Decoding treats absent and `null` alike and ignores keys payOS may add; ``toJSON()`` always writes all 16 keys,
/// the only form every SDK verifies identically. Verification never signs this model: it signs `data` as received
/// (see ``PayOSWebhook``), so an added key is covered by the signature without being understood here.
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

    /// `text` as an order code when it is 1…18 ASCII digits (a JSON string `orderCode`), else `nil`.
    static func orderCode(fromDigits text: String) -> Int64? {
        guard (1...18).contains(text.utf8.count), text.utf8.allSatisfy({ (0x30...0x39).contains($0) }) else { return nil }
        return Int64(text)
    }

    /// The body signature over all 16 keys (what Python 1.x computes and payOS sends).
    public func signature(checksumKey: String) -> String {
        PayOSSignature.body(toJSON(), checksumKey: checksumKey)
    }
}
