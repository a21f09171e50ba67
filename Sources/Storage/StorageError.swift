// Copyright (c) the Gatehouse authors

/// An error from the storage layer.
///
/// Its `description` never carries SQL text, parameters, passwords or server messages (which can
/// echo a duplicate key's value); those are only in `debugDescription`, for logs.
public struct StorageError: Error, Hashable, CustomStringConvertible, CustomDebugStringConvertible {
    /// A stable, low-cardinality code (safe for metrics labels and responses).
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Base: String, Sendable, Hashable {
            case duplicate, connectionFailed, connectionLost, poolTimeout, poolShutdown, busy
            case invalidConfiguration, migrationFailed, decoding, statementFailed, constraint
        }
        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// A unique or primary key already holds this value.
        public static let duplicate = Self(.duplicate)
        /// The server could not be reached or refused the login.
        public static let connectionFailed = Self(.connectionFailed)
        /// The connection broke during a statement (server restart, `KILL CONNECTION`).
        public static let connectionLost = Self(.connectionLost)
        /// No connection became free within the acquire timeout.
        public static let poolTimeout = Self(.poolTimeout)
        /// The database is shutting down.
        public static let poolShutdown = Self(.poolShutdown)
        /// The database stayed locked longer than the busy timeout.
        public static let busy = Self(.busy)
        /// The database URL or options are unusable.
        public static let invalidConfiguration = Self(.invalidConfiguration)
        /// A migration failed.
        public static let migrationFailed = Self(.migrationFailed)
        /// A column could not be read as the requested type.
        public static let decoding = Self(.decoding)
        /// Any other statement failure.
        public static let statementFailed = Self(.statementFailed)
        /// A constraint other than uniqueness (foreign key, NOT NULL, CHECK) refused the row.
        public static let constraint = Self(.constraint)

        public var description: String { base.rawValue }
    }

    public let code: Code
    /// Server or library detail, for logs only.
    public let detail: String

    public init(code: Code, detail: String = "") {
        self.code = code
        self.detail = detail
    }

    public static func decoding(column: String) -> StorageError { StorageError(code: .decoding, detail: "column \(column)") }

    public var description: String { "StorageError(\(code))" }
    public var debugDescription: String { "StorageError(\(code)): \(detail)" }
}
