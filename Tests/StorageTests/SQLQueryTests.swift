// Copyright (c) the Gatehouse authors
import Storage
import Testing

/// Interpolated values become parameters in order, however a statement is put together.
@Suite struct SQLQueryTests {
    @Test func interpolatedValuesAreBoundNotSpliced() {
        let name = "x'); DROP TABLE owner; --"
        let query: SQLQuery = "SELECT id FROM owner WHERE name = \(name) AND id > \(Int64(7))"
        #expect(query.sql == "SELECT id FROM owner WHERE name = ? AND id > ?")
        #expect(query.binds == [.text(name), .integer(7)])
    }

    /// A multi-row statement appended in place is the statement joined by `+`: same text, same parameters in order.
    @Test func appendingInPlaceEqualsJoining() {
        var joined: SQLQuery = "INSERT INTO t (a, b) VALUES "
        var appended = joined
        for row in 0..<500 {
            let value: SQLQuery = "\(unescaped: row == 0 ? "" : ", ")(\(Int64(row)), \("r\(row)"))"
            joined = joined + value
            appended += value
        }
        appended += " RETURNING a"
        joined = joined + " RETURNING a"
        #expect(appended == joined)
        #expect(appended.binds.count == 1_000)
        #expect(appended.binds[998] == .integer(499) && appended.binds[999] == .text("r499"))
        #expect(appended.sql.hasSuffix("(?, ?), (?, ?) RETURNING a"))
    }
}
