// Copyright (c) the Gatehouse authors
import GatehouseCore

/// payOS's webhook `transactionDateTime` (`2025-06-18 14:32:05`, Vietnam local time without a zone, spec 5) as Unix
/// milliseconds, for the webhook-lag metric.
enum PayOSTransactionTime {
    /// - Returns: `nil` unless the text is exactly `YYYY-MM-DD HH:MM:SS` with plausible fields (the value is payOS's,
    ///   signed, but only ever used for a metric, so anything odd is simply not measured).
    static func millis(_ text: String) -> Int64? {
        let bytes = Array(text.utf8)
        guard bytes.count == 19, bytes[4] == UInt8(ascii: "-"), bytes[7] == UInt8(ascii: "-"), bytes[10] == UInt8(ascii: " "),
            bytes[13] == UInt8(ascii: ":"), bytes[16] == UInt8(ascii: ":")
        else { return nil }
        func number(_ range: Range<Int>) -> Int64? {
            var value: Int64 = 0
            for byte in bytes[range] {
                guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
                value = value * 10 + Int64(byte - UInt8(ascii: "0"))
            }
            return value
        }
        guard let year = number(0..<4), let month = number(5..<7), let day = number(8..<10), let hour = number(11..<13),
            let minute = number(14..<16), let second = number(17..<19), (1...12).contains(month), (1...31).contains(day), hour < 24,
            minute < 60, second < 61
        else { return nil }
        let days = CivilDateTime.daysSinceEpoch(year: year, month: Int(month), day: Int(day))
        let local = days * 86_400 + hour * 3600 + minute * 60 + second
        return (local - CivilDateTime.vietnamOffsetSeconds) * 1000
    }
}
