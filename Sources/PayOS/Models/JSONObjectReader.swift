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

/// Typed, path-aware access to one JSON object while decoding a model.
///
/// `null` and absence are the same for optional keys (Python 1.x sends `null`, Node omits the key), and
/// required keys may not be `null`. Integers must be JSON integers: a string `"123"` or a `123.0` is refused,
/// because accepting it would make the signature text depend on how the sender happened to format it.
struct JSONObjectReader {
    let object: JSONObject
    let path: String

    init(_ object: JSONObject, path: String) {
        self.object = object
        self.path = path
    }

    init(_ value: JSONValue, path: String) throws(PayOSSchemaError) {
        guard case .object(let object) = value else { throw PayOSSchemaError(.notAnObject, path: path) }
        self.init(object, path: path)
    }

    func path(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    /// Refuses any key outside `allowed`, naming the first one found.
    func requireOnly(_ allowed: Set<String>) throws(PayOSSchemaError) {
        for key in object.keys where !allowed.contains(key) {
            throw PayOSSchemaError(.unexpectedKey, path: path(key))
        }
    }

    /// The value of an optional key, `nil` when absent or `null`.
    func optionalValue(_ key: String) -> JSONValue? {
        guard let value = object[key], !value.isNull else { return nil }
        return value
    }

    func requiredValue(_ key: String) throws(PayOSSchemaError) -> JSONValue {
        guard let value = optionalValue(key) else { throw PayOSSchemaError(.missingKey, path: path(key)) }
        return value
    }

    /// The value of a required key as the type `typed` extracts (`nil` from it means the wrong JSON type).
    private func required<Value>(_ key: String, _ typed: (JSONValue) -> Value?) throws(PayOSSchemaError) -> Value {
        guard let value = typed(try requiredValue(key)) else { throw PayOSSchemaError(.wrongType, path: path(key)) }
        return value
    }

    /// The value of an optional key as the type `typed` extracts; `nil` when absent or `null`.
    private func optional<Value>(_ key: String, _ typed: (JSONValue) -> Value?) throws(PayOSSchemaError) -> Value? {
        guard let value = optionalValue(key) else { return nil }
        guard let typedValue = typed(value) else { throw PayOSSchemaError(.wrongType, path: path(key)) }
        return typedValue
    }

    func string(_ key: String) throws(PayOSSchemaError) -> String { try required(key, \.stringValue) }
    func optionalString(_ key: String) throws(PayOSSchemaError) -> String? { try optional(key, \.stringValue) }
    func int(_ key: String) throws(PayOSSchemaError) -> Int64 { try required(key, \.int64Value) }
    func optionalInt(_ key: String) throws(PayOSSchemaError) -> Int64? { try optional(key, \.int64Value) }
    func optionalBool(_ key: String) throws(PayOSSchemaError) -> Bool? { try optional(key, \.boolValue) }
    func array(_ key: String) throws(PayOSSchemaError) -> [JSONValue] { try required(key, \.arrayValue) }
    func optionalArray(_ key: String) throws(PayOSSchemaError) -> [JSONValue]? { try optional(key, \.arrayValue) }
    func optionalObject(_ key: String) throws(PayOSSchemaError) -> JSONObject? { try optional(key, \.objectValue) }

    /// Decodes each element of an array of objects as `Model`, with `key[i]` paths in errors.
    func models<Model: PayOSJSONModel>(_ elements: [JSONValue], key: String, as: Model.Type) throws(PayOSSchemaError) -> [Model] {
        var models: [Model] = []
        models.reserveCapacity(elements.count)
        for (index, element) in elements.enumerated() {
            let elementPath = "\(path(key))[\(index)]"
            guard case .object(let object) = element else { throw PayOSSchemaError(.notAnObject, path: elementPath) }
            do {
                models.append(try Model(json: object))
            } catch {
                throw PayOSSchemaError(error.code, path: "\(elementPath).\(error.path)")
            }
        }
        return models
    }

    /// Decodes a nested object as `Model`, prefixing error paths with the key.
    func model<Model: PayOSJSONModel>(_ object: JSONObject, key: String, as: Model.Type) throws(PayOSSchemaError) -> Model {
        do {
            return try Model(json: object)
        } catch {
            throw PayOSSchemaError(error.code, path: "\(path(key)).\(error.path)")
        }
    }
}

extension JSONValue {
    /// `.string(s)` or `.null` for an optional string.
    static func orNull(_ value: String?) -> JSONValue { value.map(JSONValue.string) ?? .null }
    /// `.int(i)` or `.null` for an optional integer.
    static func orNull(_ value: Int64?) -> JSONValue { value.map(JSONValue.int) ?? .null }
    /// `.bool(b)` or `.null` for an optional boolean.
    static func orNull(_ value: Bool?) -> JSONValue { value.map(JSONValue.bool) ?? .null }
}
