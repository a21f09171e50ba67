// Copyright (c) the Gatehouse authors

/// A model that converts to and from the exact JSON object the payOS protocol puts on the wire.
public protocol PayOSJSONModel: Sendable, Hashable {
    /// Decodes from a JSON object, refusing wrong types and (where the official SDKs are strict) unknown keys.
    init(json: JSONObject) throws(PayOSSchemaError)
    /// The JSON object, with exactly the documented key set.
    func toJSON() -> JSONObject
}

extension PayOSJSONModel {
    /// Decodes from any JSON value; anything but an object is ``PayOSSchemaError/Code/notAnObject``.
    public init(json value: JSONValue) throws(PayOSSchemaError) {
        guard case .object(let object) = value else { throw PayOSSchemaError(.notAnObject, path: "$") }
        try self.init(json: object)
    }
}

/// Typed, path-aware access to one JSON object, for the models whose rules are not the ``PayOSCodableModel`` ones
/// (``PayOSEnvelope``'s `data` may be any JSON value). `null` and absence are the same for optional keys.
struct JSONObjectReader {
    let object: JSONObject

    /// The value of an optional key, `nil` when absent or `null`.
    func optionalValue(_ key: String) -> JSONValue? {
        guard let value = object[key], !value.isNull else { return nil }
        return value
    }

    func string(_ key: String) throws(PayOSSchemaError) -> String {
        guard let value = optionalValue(key) else { throw PayOSSchemaError(.missingKey, path: key) }
        guard let string = value.stringValue else { throw PayOSSchemaError(.wrongType, path: key) }
        return string
    }

    func optionalString(_ key: String) throws(PayOSSchemaError) -> String? {
        guard let value = optionalValue(key) else { return nil }
        guard let string = value.stringValue else { throw PayOSSchemaError(.wrongType, path: key) }
        return string
    }
}
