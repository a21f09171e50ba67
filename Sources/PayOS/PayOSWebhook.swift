// Copyright (c) the Gatehouse authors
public import GatehouseCore
public import Sodium

/// Verifies the webhooks payOS POSTs to a merchant (spec 5.1–5.2), the way payOS's SDKs do
/// (`verifyPaymentWebhookData`): the signature is the body signature of `data` as received — every key sorted,
/// unknown ones included, with payOS's value text (``PayOSSignature/canonicalText(of:)``) — under one of the
/// candidate checksum keys. The known keys must have their documented types (``PayOSWebhookBody``); unknown keys
/// are signed but otherwise ignored, so a field payOS adds cannot stop payments.
///
/// A body missing some of the 16 documented optional keys also verifies when signed with those keys as empty
/// (the Python 1.x model form, spec 4.2 W3): both texts are HMACs under the merchant's key, so accepting either
/// admits nothing a key holder did not sign.
public enum PayOSWebhook {
    /// A webhook whose signature verified.
    public struct Verified: Sendable, Hashable {
        public let body: PayOSWebhookBody
        /// Index into the `checksumKeys` passed to ``PayOSWebhook/verify(body:checksumKeys:)`` of the key
        /// that matched: 0 for the current key, 1 for the previous one during a rotation grace window.
        public let matchedKeyIndex: Int

        /// The signed data.
        public var data: PayOSWebhookData { body.data }
    }

    /// A webhook body parsed and checked against the webhook schema, not yet verified: what a receiver reads to find
    /// the owner (the `orderCode`) before it knows whose keys to verify with, parsed once for both.
    public struct Parsed: Sendable {
        /// The body's documented fields. Not trusted until ``PayOSWebhook/verify(_:keys:)`` says so.
        public let unverified: PayOSWebhookBody
        /// `data` as received: every key, unknown ones included, is covered by the signature.
        let receivedData: JSONObject
    }

    /// Parses a webhook body and checks its shape (nothing about its signature but that it is there).
    /// - Throws: ``PayOSWebhookError`` — `invalidJSON`, `schema`, or `missingSignature` (no `signature`, or `null`).
    public static func parse(body: some Collection<UInt8>) throws(PayOSWebhookError) -> Parsed {
        let value: JSONValue
        do {
            value = try JSONValue(parsing: body)
        } catch {
            throw PayOSWebhookError(.invalidJSON)
        }
        guard case .object(let object) = value else { throw PayOSWebhookError(.schema, schemaError: PayOSSchemaError(.notAnObject, path: "$")) }
        switch object["signature"] {
        case nil, .null?: throw PayOSWebhookError(.missingSignature)
        default: break
        }
        let webhook: PayOSWebhookBody
        do {
            webhook = try PayOSWebhookBody(json: object)
        } catch {
            throw PayOSWebhookError(.schema, schemaError: error)
        }
        // `data` is an object here: the schema check above required one.
        return Parsed(unverified: webhook, receivedData: object["data"]?.objectValue ?? JSONObject())
    }

    /// Parses and verifies a webhook body: ``parse(body:)`` then ``verify(_:keys:)``.
    ///
    /// - Parameters:
    ///   - body: The raw request body.
    ///   - checksumKeys: Candidate checksum keys, the current one first.
    /// - Returns: The verified webhook and which key matched.
    /// - Throws: ``PayOSWebhookError`` — `invalidJSON`, `schema`, `missingSignature`, `invalidSignature`
    ///   or `noChecksumKey`.
    public static func verify(body: some Collection<UInt8>, checksumKeys: [String]) throws(PayOSWebhookError) -> Verified {
        try verify(parse(body: body), keys: checksumKeys.map { SecureBytes(utf8: $0) })
    }

    /// ``verify(body:checksumKeys:)`` with the candidate keys in guarded memory (the owners' cached keys): each
    /// signature is computed from the guarded bytes; no key is copied into ordinary memory.
    public static func verify(body: some Collection<UInt8>, keys checksumKeys: [any GuardedBytes]) throws(PayOSWebhookError) -> Verified {
        try verify(parse(body: body), keys: checksumKeys)
    }

    /// Verifies a parsed webhook's signature.
    ///
    /// Every candidate key is tried, with no early exit, and each comparison is constant-time. Empty keys are
    /// never used (an empty HMAC key is public knowledge). The top-level `code`, `desc` and `success` are not
    /// covered by the signature; callers must act on `data` only.
    ///
    /// - Parameters:
    ///   - parsed: The body, from ``parse(body:)``.
    ///   - checksumKeys: Candidate checksum keys in guarded memory, the current one first.
    /// - Returns: The verified webhook and which key matched.
    /// - Throws: ``PayOSWebhookError`` — `missingSignature` (an empty one), `invalidSignature` or `noChecksumKey`.
    public static func verify(_ parsed: Parsed, keys checksumKeys: [any GuardedBytes]) throws(PayOSWebhookError) -> Verified {
        let webhook = parsed.unverified
        guard !webhook.signature.isEmpty else { throw PayOSWebhookError(.missingSignature) }
        let keys = checksumKeys.filter { $0.count > 0 }
        guard !keys.isEmpty else { throw PayOSWebhookError(.noChecksumKey) }

        let received = parsed.receivedData
        var texts = [received]
        let absent = PayOSWebhookData.keys.filter { received[$0] == nil }
        if !absent.isEmpty {
            var modelForm = received
            for key in absent { modelForm[key] = .null }
            texts.append(modelForm)
        }
        var matched: Int?
        for (index, key) in keys.enumerated() {
            for signed in texts {
                let equal = PayOSSignature.verifyBody(signed, signature: webhook.signature, checksumKey: key)
                if equal, matched == nil { matched = index }
            }
        }
        guard let matched else { throw PayOSWebhookError(.invalidSignature) }
        // Map back to the caller's index (empty keys were skipped).
        let callerIndex = checksumKeys.indices.filter { checksumKeys[$0].count > 0 }[matched]
        return Verified(body: webhook, matchedKeyIndex: callerIndex)
    }
}

/// Why a webhook was refused. `description` is generic; the schema path is in `debugDescription`.
public struct PayOSWebhookError: Error, Hashable, Sendable, CustomStringConvertible, CustomDebugStringConvertible {
    /// Stable reason codes.
    public enum Code: String, ErrorCode {
        /// The body is not JSON (or not UTF-8).
        case invalidJSON
        /// The JSON does not have the webhook shape (missing keys, wrong types).
        case schema
        /// No `signature`, or an empty one.
        case missingSignature
        /// The signature matches none of the candidate keys.
        case invalidSignature
        /// No usable checksum key was given: a configuration error, not the sender's fault.
        case noChecksumKey
    }

    public let code: Code
    /// For ``Code/schema``: what did not match.
    public let schemaError: PayOSSchemaError?

    public init(_ code: Code, schemaError: PayOSSchemaError? = nil) {
        self.code = code
        self.schemaError = schemaError
    }

    public var description: String { "payOS webhook refused (\(code))" }
    public var debugDescription: String {
        if let schemaError { return "PayOSWebhookError(\(code), \(schemaError.debugDescription))" }
        return "PayOSWebhookError(\(code))"
    }
}
