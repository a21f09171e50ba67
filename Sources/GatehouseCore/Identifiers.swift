// Copyright (c) the Gatehouse authors

/// A database id tagged with the entity it identifies, so an owner id can never be passed where a
/// payment id is expected — the first line of defence against cross-tenant mix-ups.
public struct TypedID<Entity>: RawRepresentable, Sendable, Hashable, Comparable, CustomStringConvertible {
    public let rawValue: Int64
    public init(rawValue: Int64) { self.rawValue = rawValue }
    public init(_ rawValue: Int64) { self.rawValue = rawValue }
    public var description: String { String(rawValue) }
    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }
}

public enum OwnerEntity {}
public enum BookingEntity {}
public enum PaymentEntity {}
public enum RenterEntity {}

public typealias OwnerID = TypedID<OwnerEntity>
public typealias BookingID = TypedID<BookingEntity>
public typealias PaymentID = TypedID<PaymentEntity>
public typealias RenterID = TypedID<RenterEntity>
