// Copyright (c) the Gatehouse authors

/// payOS's time texts, always in Vietnam time (UTC+07:00, no daylight saving), computed from Unix seconds.
///
/// Civil dates come from Howard Hinnant's days-to-civil algorithm, so no calendar or time-zone database is needed.
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
        let c = civil(unixSeconds)
        let startOfYear = daysFromCivil(year: c.year, month: 1, day: 1)
        let dayOfYear = Int(floorDiv(unixSeconds + offsetSeconds, 86_400) - startOfYear) + 1
        let yy = c.year % 100
        return pad(yy) + (dayOfYear < 10 ? "00" : dayOfYear < 100 ? "0" : "") + String(dayOfYear)
    }

    struct Civil {
        var year: Int, month: Int, day: Int, hour: Int, minute: Int, second: Int
    }

    static func civil(_ unixSeconds: Int64) -> Civil {
        let local = unixSeconds + offsetSeconds
        let days = floorDiv(local, 86_400)
        let secondsOfDay = Int(local - days * 86_400)
        // days → (y, m, d), proleptic Gregorian.
        let z = days + 719_468
        let era = floorDiv(z, 146_097)
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = Int(doy - (153 * mp + 2) / 5 + 1)
        let month = Int(mp < 10 ? mp + 3 : mp - 9)
        let year = Int(yoe + era * 400) + (month <= 2 ? 1 : 0)
        return Civil(year: year, month: month, day: day, hour: secondsOfDay / 3600, minute: secondsOfDay % 3600 / 60, second: secondsOfDay % 60)
    }

    static func daysFromCivil(year: Int, month: Int, day: Int) -> Int64 {
        let y = Int64(month <= 2 ? year - 1 : year)
        let era = floorDiv(y, 400)
        let yoe = y - era * 400
        let m = Int64(month)
        let doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + Int64(day) - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    private static func floorDiv(_ a: Int64, _ b: Int64) -> Int64 {
        a >= 0 ? a / b : -((-a + b - 1) / b)
    }

    private static func pad(_ value: Int) -> String { value < 10 ? "0\(value)" : String(value) }
}
