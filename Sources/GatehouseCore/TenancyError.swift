// Copyright (c) the Gatehouse authors

/// An error from tenant-scoped operations. `description` is generic and safe to show; the edge maps
/// each code to an HTTP status and a stable `{error, code}` body.
public struct TenancyError: Error, Hashable, CustomStringConvertible, CustomDebugStringConvertible {
    public enum Code: String, ErrorCode {
        /// The resource does not exist *for this tenant* (another tenant's resource is reported the same way).
        case notFound
        /// The input is invalid; `message` says which field and why.
        case validation
        /// The request conflicts with the current state (already paid, idempotency key reused with another body).
        case conflict
        /// No valid credential was presented.
        case unauthorized
        /// The owner is suspended by an admin.
        case ownerSuspended
        /// The owner has not stored payOS credentials yet.
        case notOnboarded
    }

    public let code: Code
    /// A message safe to return to the caller (no secrets, no SQL, no other tenant's data).
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public static func notFound(_ what: String) -> Self { .init(.notFound, "\(what) not found") }
    public static func validation(_ message: String) -> Self { .init(.validation, message) }
    public static func conflict(_ message: String) -> Self { .init(.conflict, message) }

    public var description: String { "TenancyError(\(code)): \(message)" }
    public var debugDescription: String { description }
}
