// Copyright (c) the Gatehouse authors

/// Body of `POST /v2/payment-requests/{id}/cancel` (spec 2.3).
///
/// Python 1.x adds a body signature over `{cancellationReason}`; Node sends none, or no body at all. A server
/// must therefore neither require nor check it: decoding keeps it in ``signature`` for inspection only, and ignores
/// unknown keys (the server must be lenient here). ``toJSON()`` writes only the keys that are set (`{}` for none).
public struct CancelPaymentLinkRequest: PayOSCodableModel {
    public var cancellationReason: String?
    /// The optional body signature some SDKs add; informational.
    public var signature: String?

    public init(cancellationReason: String? = nil, signature: String? = nil) {
        self.cancellationReason = cancellationReason
        self.signature = signature
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
}

/// Body of `POST /confirm-webhook`: `{"webhookUrl": …}`.
public struct ConfirmWebhookRequest: PayOSCodableModel {
    public var webhookUrl: String

    public init(webhookUrl: String) { self.webhookUrl = webhookUrl }
}

/// The `data` of a successful `POST /confirm-webhook`: exactly five string keys (Python 1.x requires them).
/// Not signed: no SDK checks a signature on this response.
public struct ConfirmWebhookResponse: PayOSStrictModel {
    /// The documented key set.
    public static let keys: Set<String> = ["webhookUrl", "accountName", "accountNumber", "name", "shortName"]

    public var webhookUrl: String
    public var accountName: String
    public var accountNumber: String
    /// Apparently the bank's name.
    public var name: String
    /// Apparently the bank's short name, e.g. `Vietcombank`.
    public var shortName: String
}
