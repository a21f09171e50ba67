// Copyright (c) the Gatehouse authors

/// An error with a stable code and a detail for logs: `description` is `TypeName(code)`, generic and safe to show;
/// `debugDescription` adds the detail (a version number, a file path, a library's message), never a secret.
public protocol DetailedError: Error, CustomStringConvertible, CustomDebugStringConvertible {
    associatedtype Code: CustomStringConvertible
    /// The stable, low-cardinality code (safe for metrics labels and for mapping at the edge).
    var code: Code { get }
    /// Detail for logs and operators. Never key material, credentials or plaintext.
    var detail: String { get }
}

extension DetailedError {
    public var description: String { "\(Self.self)(\(code))" }
    public var debugDescription: String { detail.isEmpty ? description : "\(description): \(detail)" }
}

/// An error's stable code: an enum whose raw value is also its `description`, so logs, metrics labels and the
/// mapping at the edge all read the same text.
public protocol ErrorCode: RawRepresentable<String>, Sendable, Hashable, CustomStringConvertible {}

extension ErrorCode {
    public var description: String { rawValue }
}
