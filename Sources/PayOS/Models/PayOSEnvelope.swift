// Copyright (c) the Gatehouse authors

/// The envelope of every JSON answer: `{code, desc, data, signature}` (spec 1.1).
///
/// `code` is a string, `"00"` on success; business errors come back with HTTP 200, another code and
/// `data: null` (or, for confirm-webhook failures, a string). `signature` signs `data` (spec 4.2).
/// Unknown envelope keys are ignored, as every SDK reads the four keys by name.
public struct PayOSEnvelope: PayOSJSONModel {
    /// The success code.
    public static let successCode = "00"

    public var code: String
    public var desc: String
    /// `nil` when `data` is absent; `.null` when it is JSON `null`.
    public var data: JSONValue?
    public var signature: String?

    public init(code: String, desc: String, data: JSONValue? = .null, signature: String? = nil) {
        self.code = code
        self.desc = desc
        self.data = data
        self.signature = signature
    }

    /// A success envelope around `data`, signed with the body signature under `checksumKey`.
    public static func signedSuccess(_ data: JSONObject, checksumKey: String, desc: String = "success") -> PayOSEnvelope {
        PayOSEnvelope(code: successCode, desc: desc, data: .object(data), signature: PayOSSignature.body(data, checksumKey: checksumKey))
    }

    public var isSuccess: Bool { code == Self.successCode }

    public init(json: JSONObject) throws(PayOSSchemaError) {
        let r = JSONObjectReader(object: json)
        self.code = try r.string("code")
        self.desc = try r.optionalString("desc") ?? ""
        self.data = json["data"]
        self.signature = try r.optionalString("signature")
    }

    /// `code`, `desc`, `data` (`null` when unset) and `signature` only when set.
    public func toJSON() -> JSONObject {
        var json: JSONObject = ["code": .string(code), "desc": .string(desc), "data": data ?? .null]
        if let signature { json["signature"] = .string(signature) }
        return json
    }
}
