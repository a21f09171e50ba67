// Copyright (c) the Gatehouse authors

/// A payOS payload that does not have the shape the protocol prescribes: a missing or unexpected key,
/// a value of the wrong JSON type, or a value outside its allowed range.
///
/// `description` stays generic; the offending ``path`` (for example `data.transactions[0].amount`) is public
/// because it names a protocol field, never a value, and is repeated in `debugDescription` for logs.
public struct PayOSSchemaError: Error, Hashable, Sendable, CustomStringConvertible, CustomDebugStringConvertible {
    /// Stable reason codes.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: String, Hashable, Sendable {
            case notAnObject, missingKey, unexpectedKey, wrongType, outOfRange, invalidValue
        }

        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// The value (or the whole document) is not a JSON object.
        public static let notAnObject = Self(.notAnObject)
        /// A required key is absent (or `null` where `null` is not allowed).
        public static let missingKey = Self(.missingKey)
        /// A key outside the documented set (the Python 1.x SDK forbids extras).
        public static let unexpectedKey = Self(.unexpectedKey)
        /// The JSON type differs from the documented one (e.g. a string `orderCode`).
        public static let wrongType = Self(.wrongType)
        /// A number or text length outside its documented range.
        public static let outOfRange = Self(.outOfRange)
        /// A value that is not one of the allowed ones (e.g. an unknown status).
        public static let invalidValue = Self(.invalidValue)

        public var description: String { base.rawValue }
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
