// Copyright (c) the Gatehouse authors
import Foundation
public import PayOS

/// One way a JSON value breaks a schema: where (a JSON path, `$.payments[0].status`) and what.
public struct SchemaViolation: Sendable, Hashable, CustomStringConvertible {
    public let path: String
    public let message: String

    public var description: String { "\(path): \(message)" }
}

/// A JSON-Schema (2020-12) validator for the subset Gatehouse's OpenAPI document uses, so the suite can hold every
/// response to the document without a package dependency.
///
/// Assertions: `type` (one or an array, `"null"` for nullable), `properties`, `required`, `additionalProperties`
/// (boolean or schema), `items`, `enum`, `const`, `allOf`, `anyOf`, `oneOf`, `$ref` (local JSON pointers into the
/// document, `#/components/schemas/…`), `minimum`, `maximum`, `minLength`, `maxLength` (in code points), `pattern`.
/// Annotations (`description`, `format`, `default`, `title`, `examples`) are ignored, as the specification says.
/// Any other keyword is reported as a violation rather than skipped, so the document cannot start relying on a
/// keyword this validator would silently not check.
public struct JSONSchemaValidator: Sendable {
    /// The document `$ref`s resolve in.
    let document: JSONValue

    static let assertions: Set<String> = [
        "type", "properties", "required", "additionalProperties", "items", "enum", "const", "allOf", "anyOf", "oneOf", "$ref",
        "minimum", "maximum", "minLength", "maxLength", "pattern",
    ]
    static let annotations: Set<String> = ["description", "format", "default", "title", "examples"]

    public init(document: JSONValue) {
        self.document = document
    }

    /// Every violation of `schema` by `value` (empty when it validates).
    public func validate(_ value: JSONValue, against schema: JSONValue, path: String = "$") -> [SchemaViolation] {
        var violations: [SchemaViolation] = []
        check(value, schema, path, depth: 0, into: &violations)
        return violations
    }

    /// The value at a local JSON pointer (`#/components/schemas/Booking`), or `nil`.
    public func resolve(_ reference: String) -> JSONValue? {
        guard reference.hasPrefix("#") else { return nil }
        var node = document
        for token in reference.dropFirst().split(separator: "/", omittingEmptySubsequences: true) {
            let key = token.replacingOccurrences(of: "~1", with: "/").replacingOccurrences(of: "~0", with: "~")
            guard let next = node[key] else { return nil }
            node = next
        }
        return node
    }

    private func check(_ value: JSONValue, _ schema: JSONValue, _ path: String, depth: Int, into out: inout [SchemaViolation]) {
        func fail(_ message: String) { out.append(SchemaViolation(path: path, message: message)) }
        guard depth < 64 else { return fail("schema nesting too deep (a $ref cycle?)") }
        if case .bool(let allowed) = schema {
            if !allowed { fail("no value is allowed here") }
            return
        }
        guard let keywords = schema.objectValue else { return fail("the schema is not an object or a boolean") }
        for key in keywords.keys where !Self.assertions.contains(key) && !Self.annotations.contains(key) {
            fail("the schema uses '\(key)', which this validator does not implement")
        }
        if let reference = keywords["$ref"] {
            guard let target = reference.stringValue.flatMap(resolve) else { return fail("unresolvable $ref \(reference.compactText)") }
            check(value, target, path, depth: depth + 1, into: &out)
        }
        if let type = keywords["type"] {
            let names = type.arrayValue?.compactMap(\.stringValue) ?? type.stringValue.map { [$0] } ?? []
            if !names.contains(where: { Self.has(value, type: $0) }) {
                return fail("expected \(names.joined(separator: " or ")), found \(Self.typeName(value))")
            }
        }
        if let constant = keywords["const"], !Self.equal(value, constant) {
            fail("expected \(constant.compactText), found \(Self.preview(value))")
        }
        if let options = keywords["enum"]?.arrayValue, !options.contains(where: { Self.equal(value, $0) }) {
            fail("\(Self.preview(value)) is not one of \(options.map(\.compactText).joined(separator: ", "))")
        }
        for sub in keywords["allOf"]?.arrayValue ?? [] { check(value, sub, path, depth: depth + 1, into: &out) }
        if let options = keywords["anyOf"]?.arrayValue {
            let results = options.map { validate(value, against: $0, path: path) }
            if !results.contains(where: \.isEmpty) { fail("matches none of anyOf: \(results.flatMap { $0 }.prefix(3).map(\.description))") }
        }
        if let options = keywords["oneOf"]?.arrayValue {
            let matching = options.filter { validate(value, against: $0, path: path).isEmpty }.count
            if matching != 1 { fail("matches \(matching) of oneOf's \(options.count) schemas, not exactly one") }
        }
        switch value {
        case .object(let object):
            let properties = keywords["properties"]?.objectValue ?? JSONObject()
            for name in keywords["required"]?.arrayValue?.compactMap(\.stringValue) ?? [] where !object.contains(name) {
                fail("required property '\(name)' is missing")
            }
            for (name, member) in object {
                let memberPath = "\(path).\(name)"
                if let propertySchema = properties[name] {
                    check(member, propertySchema, memberPath, depth: depth + 1, into: &out)
                } else if let additional = keywords["additionalProperties"] {
                    if case .bool(false) = additional {
                        out.append(SchemaViolation(path: memberPath, message: "property is not in the schema (additionalProperties: false)"))
                    } else {
                        check(member, additional, memberPath, depth: depth + 1, into: &out)
                    }
                }
            }
        case .array(let items):
            if let itemSchema = keywords["items"] {
                for (index, item) in items.enumerated() { check(item, itemSchema, "\(path)[\(index)]", depth: depth + 1, into: &out) }
            }
        case .string(let text):
            let length = text.unicodeScalars.count
            if let minimum = keywords["minLength"]?.int64Value, length < minimum { fail("shorter than \(minimum) characters") }
            if let maximum = keywords["maxLength"]?.int64Value, length > maximum { fail("longer than \(maximum) characters") }
            if let pattern = keywords["pattern"]?.stringValue {
                if let regex = try? NSRegularExpression(pattern: pattern) {
                    let range = NSRange(text.startIndex..., in: text)
                    if regex.firstMatch(in: text, range: range) == nil { fail("\(Self.preview(value)) does not match /\(pattern)/") }
                } else {
                    fail("the schema's pattern /\(pattern)/ does not compile")
                }
            }
        case .int, .double:
            let number = Self.number(value) ?? 0
            if let minimum = keywords["minimum"].flatMap(Self.number), number < minimum { fail("\(Self.preview(value)) is below \(minimum)") }
            if let maximum = keywords["maximum"].flatMap(Self.number), number > maximum { fail("\(Self.preview(value)) is above \(maximum)") }
        case .null, .bool:
            break
        }
    }

    static func has(_ value: JSONValue, type: String) -> Bool {
        switch (type, value) {
        case ("null", .null), ("boolean", .bool), ("string", .string), ("array", .array), ("object", .object), ("number", .int), ("number", .double),
            ("integer", .int):
            true
        case ("integer", .double(let number)): number.rounded() == number
        default: false
        }
    }

    static func typeName(_ value: JSONValue) -> String {
        switch value {
        case .null: "null"
        case .bool: "boolean"
        case .int: "integer"
        case .double: "number"
        case .string: "string"
        case .array: "array"
        case .object: "object"
        }
    }

    static func number(_ value: JSONValue) -> Double? {
        switch value {
        case .int(let integer): Double(integer)
        case .double(let number): number
        default: nil
        }
    }

    /// JSON equality: numbers by value (`1` equals `1.0`), objects regardless of key order.
    static func equal(_ a: JSONValue, _ b: JSONValue) -> Bool {
        if let x = number(a), let y = number(b) { return x == y }
        switch (a, b) {
        case (.object(let x), .object(let y)):
            return x.count == y.count && x.allSatisfy { key, value in y[key].map { equal(value, $0) } ?? false }
        case (.array(let x), .array(let y)):
            return x.count == y.count && zip(x, y).allSatisfy { equal($0, $1) }
        default:
            return a == b
        }
    }

    /// A short rendering of a value for a failure message (values of a test's own fixtures, never production data).
    static func preview(_ value: JSONValue) -> String {
        let text = value.compactText
        return text.count > 60 ? String(text.prefix(57)) + "…" : text
    }
}
