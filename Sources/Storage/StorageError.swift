// Copyright (c) the Gatehouse authors

/// An error from the storage layer.
///
/// Three layers of information, from safest to most sensitive:
/// - ``code``: stable and low-cardinality (metrics labels, mapping to HTTP statuses at the edge);
/// - ``message``: an optional sentence chosen by Gatehouse's own code (for example "the database URL has
///   no user name"). It is part of `description`, so it never contains a value from the caller, a SQL
///   parameter, a password or a server message;
/// - ``detail``: library or server text (a server message can echo a duplicate key's value), only in
///   `debugDescription`, for logs. Passwords are never put here either.
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
        /// The connection broke during a statement (server restart, `KILL CONNECTION`). Inside a
        /// transaction this means the server rolled the transaction back.
        public static let connectionLost = Self(.connectionLost)
        /// No connection became free within the acquire timeout.
        public static let poolTimeout = Self(.poolTimeout)
        /// The database is shutting down (or was shut down).
        public static let poolShutdown = Self(.poolShutdown)
        /// The database stayed locked longer than the busy timeout (SQLite `SQLITE_BUSY`, MariaDB lock wait
        /// timeout or deadlock): contention, worth retrying the whole transaction later.
        public static let busy = Self(.busy)
        /// The database URL or options are unusable.
        public static let invalidConfiguration = Self(.invalidConfiguration)
        /// A migration failed, or the database's schema is newer than this code.
        public static let migrationFailed = Self(.migrationFailed)
        /// A column could not be read as the requested type.
        public static let decoding = Self(.decoding)
        /// Any other statement failure (syntax, wrong number of parameters, unknown table…).
        public static let statementFailed = Self(.statementFailed)
        /// A constraint other than uniqueness (foreign key, NOT NULL, CHECK, value too long) refused the row.
        public static let constraint = Self(.constraint)

        public var description: String { base.rawValue }
    }

    /// What went wrong, as a stable code.
    public let code: Code
    /// A sentence written by Gatehouse's code, safe to show (part of `description`); `nil` for most errors.
    public let message: String?
    /// Server or library detail, for logs only (`debugDescription`).
    public let detail: String

    public init(code: Code, message: String? = nil, detail: String = "") {
        self.code = code
        self.message = message
        self.detail = detail
    }

    public static func decoding(column: String) -> StorageError {
        StorageError(code: .decoding, detail: "column \(column)")
    }

    public var description: String {
        if let message { return "StorageError(\(code)): \(message)" }
        return "StorageError(\(code))"
    }

    public var debugDescription: String {
        var text = description
        if !detail.isEmpty { text += " [\(detail)]" }
        return text
    }
}
