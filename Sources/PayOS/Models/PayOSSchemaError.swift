// Copyright (c) the Gatehouse authors
public import GatehouseCore

/// A payOS payload that does not have the shape the protocol prescribes: a missing or unexpected key,
/// a value of the wrong JSON type, or a value outside its allowed range.
///
/// `description` stays generic; the offending ``path`` (for example `data.transactions[0].amount`) is public
/// because it names a protocol field, never a value, and is repeated in `debugDescription` for logs.
public struct PayOSSchemaError: Error, Hashable, Sendable, CustomStringConvertible, CustomDebugStringConvertible {
    /// Stable reason codes.
    public enum Code: String, ErrorCode {
        /// The value (or the whole document) is not a JSON object.
        case notAnObject
        /// A required key is absent (or `null` where `null` is not allowed).
        case missingKey
        /// A key outside the documented set, where one is refused (request bodies parsed by ``JSONObjectReader``);
        /// payOS's answers and webhooks may carry keys the models do not know.
        case unexpectedKey
        /// The JSON type differs from the documented one (e.g. a string `orderCode`).
        case wrongType
        /// A number or text length outside its documented range.
        case outOfRange
        /// A value that is not one of the allowed ones (e.g. an unknown status).
        case invalidValue
    }

    public let code: Code
    /// Where in the payload, as `key`, `data.key` or `items[2].price`.
    public let path: String

    public init(_ code: Code, path: String) {
        self.code = code
        self.path = path
    }

    public var description: String { "payOS payload does not match the protocol schema" }
    public var debugDescription: String { "PayOSSchemaError(\(code), path: \(path))" }
}
