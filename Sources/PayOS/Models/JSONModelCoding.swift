// Copyright (c) the Gatehouse authors

/// A model whose wire form is its synthesised `Codable` form, read and written through ``JSONValue`` by
/// ``JSONModelDecoder`` and ``JSONModelEncoder``: the properties, in declaration order, are the JSON keys.
///
/// One declaration per model then serves both directions, and the strict rules live in one place: integers
/// must be JSON integers, `null` and absence are the same for optional keys, required keys may not be `null`.
public protocol PayOSCodableModel: PayOSJSONModel, Codable {}

/// A ``PayOSCodableModel`` with a documented key set: encoding writes every key (`null` for an unset optional), the
/// only form every SDK reads alike; decoding type-checks the known keys and ignores any other, as the Node and Go
/// SDKs do, because payOS adds fields to live payloads (it added `currency`) and a refusal would stop payments.
/// Signatures never depend on this model: they are computed over the `data` object as received, all keys included.
public protocol PayOSStrictModel: PayOSCodableModel {
    /// The documented key set.
    static var keys: Set<String> { get }
}

extension PayOSCodableModel {
    public init(json: JSONObject) throws(PayOSSchemaError) {
        self = try JSONModelDecoder.decode(Self.self, from: .object(json), at: [])
    }

    public func toJSON() -> JSONObject {
        JSONModelEncoder.encode(self).objectValue ?? JSONObject()
    }
}

// MARK: Decoding

/// Reads a `Decodable` model from a ``JSONValue``, throwing ``PayOSSchemaError`` with the offending key's path.
struct JSONModelDecoder: Decoder {
    let value: JSONValue
    let codingPath: [any CodingKey]
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    /// Decodes `type` from `value`; keys the model does not declare are ignored.
    static func decode<T: Decodable>(_ type: T.Type, from value: JSONValue, at path: [any CodingKey]) throws(PayOSSchemaError) -> T {
        if let scalar = try scalar(type, from: value, at: path) { return scalar }
        do {
            return try T(from: JSONModelDecoder(value: value, codingPath: path))
        } catch let error as PayOSSchemaError {
            throw error
        } catch DecodingError.dataCorrupted(let context) {
            // A `String` raw value outside the enum (e.g. an unknown payment link status).
            throw PayOSSchemaError(.invalidValue, path: context.codingPath.jsonPath)
        } catch {
            throw PayOSSchemaError(.wrongType, path: path.jsonPath)
        }
    }

    /// A nested model must be an object: an array element that is not one is ``PayOSSchemaError/Code/notAnObject``
    /// (the element is the model), an object member ``PayOSSchemaError/Code/wrongType`` (the key has a type).
    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        guard case .object(let object) = value else {
            throw PayOSSchemaError(codingPath.last?.intValue == nil ? .wrongType : .notAnObject, path: codingPath.jsonPath)
        }
        return KeyedDecodingContainer(KeyedContainer(object: object, codingPath: codingPath))
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        guard case .array(let elements) = value else { throw PayOSSchemaError(.wrongType, path: codingPath.jsonPath) }
        return UnkeyedContainer(elements: elements, codingPath: codingPath)
    }

    func singleValueContainer() throws -> any SingleValueDecodingContainer { self }

    private struct KeyedContainer<Key: CodingKey>: KeyedDecodingContainerProtocol {
        let object: JSONObject
        let codingPath: [any CodingKey]
        var allKeys: [Key] { object.keys.compactMap(Key.init(stringValue:)) }

        func contains(_ key: Key) -> Bool { object.contains(key.stringValue) }

        /// `null` and absence are the same.
        func decodeNil(forKey key: Key) throws -> Bool { object[key.stringValue]?.isNull ?? true }

        /// Serves every type, the primitive requirements included; a required key may not be absent or `null`.
        func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T {
            guard let value = object[key.stringValue], !value.isNull else {
                throw PayOSSchemaError(.missingKey, path: (codingPath + [key]).jsonPath)
            }
            return try JSONModelDecoder.decode(type, from: value, at: codingPath + [key])
        }

        /// Serves every optional type; `nil` when absent or `null`.
        func decodeIfPresent<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T? {
            try decodeNil(forKey: key) ? nil : decode(type, forKey: key)
        }

        func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type, forKey key: Key) throws -> KeyedDecodingContainer<NestedKey> {
            try JSONModelDecoder(value: object[key.stringValue] ?? .null, codingPath: codingPath + [key]).container(keyedBy: type)
        }

        func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer {
            try JSONModelDecoder(value: object[key.stringValue] ?? .null, codingPath: codingPath + [key]).unkeyedContainer()
        }

        func superDecoder() throws -> any Decoder { JSONModelDecoder(value: .object(object), codingPath: codingPath) }

        func superDecoder(forKey key: Key) throws -> any Decoder {
            JSONModelDecoder(value: object[key.stringValue] ?? .null, codingPath: codingPath + [key])
        }
    }

    private struct UnkeyedContainer: UnkeyedDecodingContainer {
        let elements: [JSONValue]
        let codingPath: [any CodingKey]
        var currentIndex = 0
        var count: Int? { elements.count }
        var isAtEnd: Bool { currentIndex >= elements.count }

        init(elements: [JSONValue], codingPath: [any CodingKey]) {
            self.elements = elements
            self.codingPath = codingPath
        }

        private mutating func next() throws -> JSONModelDecoder {
            let path = codingPath + [JSONKey(index: currentIndex)]
            guard !isAtEnd else { throw PayOSSchemaError(.missingKey, path: path.jsonPath) }
            defer { currentIndex += 1 }
            return JSONModelDecoder(value: elements[currentIndex], codingPath: path)
        }

        mutating func decodeNil() throws -> Bool {
            guard !isAtEnd, elements[currentIndex].isNull else { return false }
            currentIndex += 1
            return true
        }

        /// Serves every type, the primitive requirements included.
        mutating func decode<T: Decodable>(_ type: T.Type) throws -> T {
            let element = try next()
            return try JSONModelDecoder.decode(type, from: element.value, at: element.codingPath)
        }

        mutating func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type) throws -> KeyedDecodingContainer<NestedKey> {
            try next().container(keyedBy: type)
        }

        mutating func nestedUnkeyedContainer() throws -> any UnkeyedDecodingContainer { try next().unkeyedContainer() }

        mutating func superDecoder() throws -> any Decoder { try next() }
    }
}

extension JSONModelDecoder: SingleValueDecodingContainer {
    func decodeNil() -> Bool { value.isNull }

    /// Serves the primitive requirements (a `String`-backed enum decodes its raw value here).
    func decode<T: Decodable>(_ type: T.Type) throws -> T {
        guard let scalar = try Self.scalar(type, from: value, at: codingPath) else {
            throw PayOSSchemaError(.wrongType, path: codingPath.jsonPath)
        }
        return scalar
    }

    /// The JSON types a property may have, each read from exactly one JSON type: an integer must be a JSON integer
    /// (a string `"123"` or a `123.0` is refused, or the signature text would depend on the sender's formatting).
    /// `nil` for any other type.
    private static func scalar<T>(_ type: T.Type, from value: JSONValue, at path: [any CodingKey]) throws(PayOSSchemaError) -> T? {
        let typed: Any?
        switch type {
        case is String.Type: typed = value.stringValue
        case is Int64.Type: typed = value.int64Value
        case is Bool.Type: typed = value.boolValue
        default: return nil
        }
        guard let typed = typed as? T else { throw PayOSSchemaError(.wrongType, path: path.jsonPath) }
        return typed
    }
}

// MARK: Encoding

/// Writes an `Encodable` model as a ``JSONValue``: keys in the order the model encodes them; an unset optional
/// is left out, or written as `null` inside a ``PayOSStrictModel``.
final class JSONModelEncoder: Encoder {
    /// What has been written so far.
    private enum Content {
        case empty
        case value(JSONValue)
        case object([(key: String, value: JSONModelEncoder)])
        case array([JSONModelEncoder])
    }

    private var content = Content.empty
    let codingPath: [any CodingKey]
    /// Whether an unset optional becomes `null` rather than no key.
    let writesNulls: Bool
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    private init(codingPath: [any CodingKey], writesNulls: Bool) {
        self.codingPath = codingPath
        self.writesNulls = writesNulls
    }

    /// The JSON form of `value`. The models' synthesised `encode(to:)` only forwards to these containers, which
    /// never throw, so neither can this.
    static func encode(_ value: some Encodable, at path: [any CodingKey] = []) -> JSONValue {
        if let scalar = scalar(value) { return scalar }
        let encoder = JSONModelEncoder(codingPath: path, writesNulls: value is any PayOSStrictModel)
        try! value.encode(to: encoder)
        return encoder.json
    }

    private var json: JSONValue {
        switch content {
        case .empty: .object(JSONObject())
        case .value(let value): value
        case .object(let members): .object(JSONObject(members.map { ($0.key, $0.value.json) }))
        case .array(let elements): .array(elements.map(\.json))
        }
    }

    /// A child encoder for the member `key`, or the next array element when `key` is `nil`.
    private func child(_ key: (any CodingKey)?) -> JSONModelEncoder {
        let path = codingPath + [key ?? JSONKey(index: elementCount)]
        let child = JSONModelEncoder(codingPath: path, writesNulls: writesNulls)
        switch (content, key) {
        case (.object(let members), let key?): content = .object(members + [(key.stringValue, child)])
        case (.empty, let key?): content = .object([(key.stringValue, child)])
        case (.array(let elements), nil): content = .array(elements + [child])
        default: content = .array([child])
        }
        return child
    }

    private var elementCount: Int { if case .array(let elements) = content { elements.count } else { 0 } }

    fileprivate func set(_ value: JSONValue) { content = .value(value) }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        if case .empty = content { content = .object([]) }
        return KeyedEncodingContainer(KeyedContainer(encoder: self))
    }

    func unkeyedContainer() -> any UnkeyedEncodingContainer {
        if case .empty = content { content = .array([]) }
        return UnkeyedContainer(encoder: self)
    }

    func singleValueContainer() -> any SingleValueEncodingContainer { SingleValueContainer(encoder: self) }

    private struct KeyedContainer<Key: CodingKey>: KeyedEncodingContainerProtocol {
        let encoder: JSONModelEncoder
        var codingPath: [any CodingKey] { encoder.codingPath }

        mutating func encodeNil(forKey key: Key) { encoder.child(key).set(.null) }

        /// Serves every type, the primitive requirements included.
        mutating func encode<T: Encodable>(_ value: T, forKey key: Key) {
            encoder.child(key).set(JSONModelEncoder.encode(value, at: codingPath + [key]))
        }

        /// An optional: `nil` is no key, or `null` in a strict model. The primitive types need their own overloads
        /// (else the protocol's default, which always leaves `nil` out, would serve them).
        private mutating func encodeOptional<T: Encodable>(_ value: T?, forKey key: Key) {
            if let value {
                encode(value, forKey: key)
            } else if encoder.writesNulls {
                encodeNil(forKey: key)
            }
        }

        mutating func encodeIfPresent<T: Encodable>(_ value: T?, forKey key: Key) { encodeOptional(value, forKey: key) }
        mutating func encodeIfPresent(_ value: String?, forKey key: Key) { encodeOptional(value, forKey: key) }
        mutating func encodeIfPresent(_ value: Int64?, forKey key: Key) { encodeOptional(value, forKey: key) }
        mutating func encodeIfPresent(_ value: Bool?, forKey key: Key) { encodeOptional(value, forKey: key) }

        mutating func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type, forKey key: Key) -> KeyedEncodingContainer<NestedKey> {
            encoder.child(key).container(keyedBy: type)
        }

        mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer { encoder.child(key).unkeyedContainer() }

        mutating func superEncoder() -> any Encoder { encoder }

        mutating func superEncoder(forKey key: Key) -> any Encoder { encoder.child(key) }
    }

    private struct UnkeyedContainer: UnkeyedEncodingContainer {
        let encoder: JSONModelEncoder
        var codingPath: [any CodingKey] { encoder.codingPath }
        var count: Int { encoder.elementCount }

        mutating func encodeNil() { encoder.child(nil).set(.null) }

        /// Serves every type, the primitive requirements included.
        mutating func encode<T: Encodable>(_ value: T) {
            let path = codingPath + [JSONKey(index: count)]
            encoder.child(nil).set(JSONModelEncoder.encode(value, at: path))
        }

        mutating func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type) -> KeyedEncodingContainer<NestedKey> {
            encoder.child(nil).container(keyedBy: type)
        }

        mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer { encoder.child(nil).unkeyedContainer() }

        mutating func superEncoder() -> any Encoder { encoder.child(nil) }
    }

    private struct SingleValueContainer: SingleValueEncodingContainer {
        let encoder: JSONModelEncoder
        var codingPath: [any CodingKey] { encoder.codingPath }

        mutating func encodeNil() { encoder.set(.null) }

        /// Serves the primitive requirements (a `String`-backed enum encodes its raw value here).
        mutating func encode<T: Encodable>(_ value: T) {
            guard let scalar = JSONModelEncoder.scalar(value) else { preconditionFailure("\(T.self) is not a JSON model type") }
            encoder.set(scalar)
        }
    }

    /// The JSON form of a property of a type ``JSONModelDecoder`` reads; `nil` for any other type.
    private static func scalar(_ value: Any) -> JSONValue? {
        switch value {
        case let string as String: .string(string)
        case let int as Int64: .int(int)
        case let bool as Bool: .bool(bool)
        default: nil
        }
    }
}

// MARK: Support

/// A coding-path element for an object member or an array index.
private struct JSONKey: CodingKey {
    let stringValue: String
    let intValue: Int?

    init(_ key: String) {
        stringValue = key
        intValue = nil
    }

    init(index: Int) {
        stringValue = "\(index)"
        intValue = index
    }

    init?(stringValue: String) { self.init(stringValue) }
    init?(intValue: Int) { self.init(index: intValue) }
}

extension [any CodingKey] {
    /// `key`, `data.key` or `items[2].price`; `$` for the document itself.
    var jsonPath: String {
        guard !isEmpty else { return "$" }
        return reduce(into: "") { path, key in
            if let index = key.intValue {
                path += "[\(index)]"
            } else {
                path += path.isEmpty ? key.stringValue : ".\(key.stringValue)"
            }
        }
    }
}
