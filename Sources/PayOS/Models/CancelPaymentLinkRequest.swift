// Copyright (c) the Gatehouse authors

/// Body of `POST /v2/payment-requests/{id}/cancel` (spec 2.3).
///
/// Python 1.x adds a body signature over `{cancellationReason}`; Node sends none, or no body at all. A server
/// must therefore neither require nor check it: decoding keeps it in ``signature`` for inspection only.
public struct CancelPaymentLinkRequest: PayOSJSONModel {
    public var cancellationReason: String?
    /// The optional body signature some SDKs add; informational.
    public var signature: String?

    public init(cancellationReason: String? = nil, signature: String? = nil) {
        self.cancellationReason = cancellationReason
        self.signature = signature
    }

    /// Decodes a cancel body; unknown keys are ignored (the server must be lenient here).
    public init(json: JSONObject) throws(PayOSSchemaError) {
        let r = JSONObjectReader(json, path: "")
        self.cancellationReason = try r.optionalString("cancellationReason")
        self.signature = try r.optionalString("signature")
    }

    /// Decodes a possibly empty request body: no bytes (or only whitespace) is the same as `{}`.
    public init(body: some Collection<UInt8>) throws(PayOSSchemaError) {
        if body.allSatisfy({ [0x20, 0x09, 0x0A, 0x0D].contains($0) }) {
            self.init()
            return
        }
        guard let value = try? JSONValue(parsing: body) else { throw PayOSSchemaError(.notAnObject, path: "$") }
        try self.init(json: value)
    }

    /// `{"cancellationReason": …}` when a reason is set, else `{}`; the signature is written only when set.
    public func toJSON() -> JSONObject {
        var json = JSONObject()
        if let cancellationReason { json["cancellationReason"] = .string(cancellationReason) }
        if let signature { json["signature"] = .string(signature) }
        return json
    }
}

/// Body of `POST /confirm-webhook`: `{"webhookUrl": …}`.
public struct ConfirmWebhookRequest: PayOSJSONModel {
    public var webhookUrl: String

    public init(webhookUrl: String) { self.webhookUrl = webhookUrl }

    public init(json: JSONObject) throws(PayOSSchemaError) {
        let r = JSONObjectReader(json, path: "")
        self.webhookUrl = try r.string("webhookUrl")
    }

    public func toJSON() -> JSONObject { ["webhookUrl": .string(webhookUrl)] }
}

/// The `data` of a successful `POST /confirm-webhook`: exactly five string keys (Python 1.x requires them).
/// Not signed: no SDK checks a signature on this response.
public struct ConfirmWebhookResponse: PayOSJSONModel {
    /// The documented key set.
    public static let keys: Set<String> = ["webhookUrl", "accountName", "accountNumber", "name", "shortName"]

    public var webhookUrl: String
    public var accountName: String
    public var accountNumber: String
    /// Apparently the bank's name.
    public var name: String
    /// Apparently the bank's short name, e.g. `Vietcombank`.
    public var shortName: String

    public init(webhookUrl: String, accountName: String, accountNumber: String, name: String, shortName: String) {
        self.webhookUrl = webhookUrl
        self.accountName = accountName
        self.accountNumber = accountNumber
        self.name = name
        self.shortName = shortName
    }

    public init(json: JSONObject) throws(PayOSSchemaError) {
        let r = JSONObjectReader(json, path: "")
        try r.requireOnly(Self.keys)
        self.webhookUrl = try r.string("webhookUrl")
        self.accountName = try r.string("accountName")
        self.accountNumber = try r.string("accountNumber")
        self.name = try r.string("name")
        self.shortName = try r.string("shortName")
    }

    public func toJSON() -> JSONObject {
        [
            "webhookUrl": .string(webhookUrl),
            "accountName": .string(accountName),
            "accountNumber": .string(accountNumber),
            "name": .string(name),
            "shortName": .string(shortName),
        ]
    }
}
