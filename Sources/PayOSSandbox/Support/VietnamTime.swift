// Copyright (c) the Gatehouse authors
import CivilTime

/// payOS's time texts, always in Vietnam time (UTC+07:00, no daylight saving), computed from Unix seconds.
///
/// Civil dates come from `CivilDateTime`, so no calendar or time-zone database is needed.
enum VietnamTime {
    static let offsetSeconds: Int64 = 7 * 3600

    /// `2025-06-18T14:30:00+07:00` — `createdAt`, `canceledAt`, GET transactions (spec section 3).
    static func iso8601(_ unixSeconds: Int64) -> String {
        let c = civil(unixSeconds)
        return "\(c.year)-\(pad(c.month))-\(pad(c.day))T\(pad(c.hour)):\(pad(c.minute)):\(pad(c.second))+07:00"
    }

    /// `2025-06-18 14:32:05` — webhook `transactionDateTime` (local Vietnam time without a zone).
    static func webhookDateTime(_ unixSeconds: Int64) -> String {
        let c = civil(unixSeconds)
        return "\(c.year)-\(pad(c.month))-\(pad(c.day)) \(pad(c.hour)):\(pad(c.minute)):\(pad(c.second))"
    }

    /// Two-digit year and three-digit day of the year, as in bank references (`FT25169…` = 2025, day 169).
    static func yearAndDayOfYear(_ unixSeconds: Int64) -> String {
        let t = CivilDateTime(unixSeconds: unixSeconds, utcOffsetSeconds: offsetSeconds)
        let dayOfYear = Int(t.daysSinceEpoch - CivilDateTime.daysSinceEpoch(year: t.year, month: 1, day: 1)) + 1
        let yy = Int(t.year % 100)
        return pad(yy) + (dayOfYear < 10 ? "00" : dayOfYear < 100 ? "0" : "") + String(dayOfYear)
    }

    struct Civil {
        var year: Int, month: Int, day: Int, hour: Int, minute: Int, second: Int
    }

    static func civil(_ unixSeconds: Int64) -> Civil {
        let t = CivilDateTime(unixSeconds: unixSeconds, utcOffsetSeconds: offsetSeconds)
        return Civil(year: Int(t.year), month: t.month, day: t.day, hour: t.hour, minute: t.minute, second: t.second)
    }

    private static func pad(_ value: Int) -> String { value < 10 ? "0\(value)" : String(value) }
}
