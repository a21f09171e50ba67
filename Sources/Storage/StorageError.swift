// Copyright (c) the Gatehouse authors
public import GatehouseCore

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
    public enum Code: String, ErrorCode {
        /// A unique or primary key already holds this value.
        case duplicate
        /// The server could not be reached or refused the login.
        case connectionFailed
        /// The connection broke during a statement (server restart, `KILL CONNECTION`). Inside a
        /// transaction this means the server rolled the transaction back.
        case connectionLost
        /// No connection became free within the acquire timeout.
        case poolTimeout
        /// The database is shutting down (or was shut down).
        case poolShutdown
        /// The database stayed locked longer than the busy timeout (SQLite `SQLITE_BUSY`, MariaDB lock wait
        /// timeout or deadlock): contention, worth retrying the whole transaction later.
        case busy
        /// The database URL or options are unusable.
        case invalidConfiguration
        /// A migration failed, or the database's schema is newer than this code.
        case migrationFailed
        /// A column could not be read as the requested type.
        case decoding
        /// Any other statement failure (syntax, wrong number of parameters, unknown table…).
        case statementFailed
        /// A constraint other than uniqueness (foreign key, NOT NULL, CHECK, value too long) refused the row.
        case constraint
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
