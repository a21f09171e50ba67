// Copyright (c) the Gatehouse authors

/// The status of a payment link: the closed set of the Python 1.x, Node 2.x and Go 2.x SDK types (spec 2.8).
///
/// An unknown value is a schema error, as in Python 1.x, so a simulator that invents a status is caught.
/// Semantics of `PROCESSING`, `UNDERPAID` and `FAILED` are not documented by payOS.
public enum PaymentLinkStatus: String, Sendable, Hashable, Codable, CaseIterable, CustomStringConvertible {
    case pending = "PENDING"
    case processing = "PROCESSING"
    case paid = "PAID"
    case underpaid = "UNDERPAID"
    case cancelled = "CANCELLED"
    case expired = "EXPIRED"
    case failed = "FAILED"

    public var description: String { rawValue }
}
