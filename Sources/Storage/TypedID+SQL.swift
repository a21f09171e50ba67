// Copyright (c) the Gatehouse authors
public import GatehouseCore

/// Typed ids bind and decode as their integer.
extension TypedID: SQLBindable, SQLDecodable {
    public init?(sqlValue: SQLValue) {
        guard let value = Int64(sqlValue: sqlValue) else { return nil }
        self.init(rawValue: value)
    }

    public var sqlValue: SQLValue { .integer(rawValue) }
}
