// Copyright (c) the Gatehouse authors
import Testing

@testable import PayOS

/// A number beyond `Double`'s range is refused by the JSON reader (found by fuzzing: `1e400` became infinity, which
/// the canonical text wrote as `null` while its re-parse signed as an empty value, so the signed text of a payload
/// depended on whether it had been round-tripped).
@Suite struct JSONNumberRangeTests {
    @Test(arguments: ["1e400", "-1e400", "1E+309", "[0,1e999]", #"{"code":1e400}"#])
    func aNumberBeyondDoubleIsRefused(text: String) {
        #expect(throws: JSONParseError.self) { try JSONValue(parsing: text) }
    }

    @Test(arguments: ["1.7976931348623157e308", "5e-324", "1e-400", "-0.0", "123456789012345678901"])
    func finiteNumbersStillParseAndTheirTextIsAFixedPoint(text: String) throws {
        let value = try JSONValue(parsing: text)
        let again = try JSONValue(parsing: value.compactBytes)
        #expect(again.compactBytes == value.compactBytes)
    }

    @Test func aWebhookWithAnOutOfRangeNumberIsInvalidJSON() {
        #expect(throws: PayOSWebhookError(.invalidJSON)) {
            try PayOSWebhook.verify(body: Array(#"{"code":"00","desc":"x","data":{"amount":1e400},"signature":"ab"}"#.utf8), checksumKeys: ["k"])
        }
    }
}
