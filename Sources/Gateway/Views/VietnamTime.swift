// Copyright (c) the Gatehouse authors

/// Wall-clock formatting in Vietnam time (Indochina Time, UTC+7).
///
/// Vietnam has had a fixed UTC+7 offset with no daylight saving since 1975, so the conversion is plain arithmetic:
/// no time-zone database, and the same output on every host whatever its `TZ`.
public enum VietnamTime {
    /// Vietnam's offset from UTC in seconds.
    public static let utcOffsetSeconds: Int64 = 7 * 3600

    /// A broken-down Vietnam wall-clock time.
    struct Components: Equatable {
        var year: Int64
        var month: Int
        var day: Int
        var hour: Int
        var minute: Int
    }

    static let englishMonths = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    /// The Vietnam wall-clock time of `unixMillis`, formatted as `14:00 15/01/2024`.
    public static func format(_ unixMillis: Int64) -> String {
        format(unixMillis, locale: .vi)
    }

    /// The Vietnam wall-clock time of `unixMillis` for `locale`.
    ///
    /// Vietnamese: `14:00 15/01/2024` (day first, as in Vietnam). English: `14:00, 15 Jan 2024` — the month is
    /// spelled out because `03/04/2024` reads as March 4th to many English readers.
    public static func format(_ unixMillis: Int64, locale: PageLocale) -> String {
        let c = components(unixMillis)
        return "\(clock(c))\(clockDateSeparator(locale))\(date(c, locale: locale))"
    }

    /// A booking's time span: `14:00–17:00 15/01/2024` on one day, else `22:00 15/01/2024 – 10:00 16/01/2024`.
    /// Without an end (or with an end not after the start) it is the start alone.
    public static func formatRange(start: Int64, end: Int64?, locale: PageLocale) -> String {
        guard let end, end > start else { return format(start, locale: locale) }
        let a = components(start)
        let b = components(end)
        if a.year == b.year, a.month == b.month, a.day == b.day {
            return "\(clock(a))–\(clock(b))\(clockDateSeparator(locale))\(date(a, locale: locale))"
        }
        return "\(format(start, locale: locale)) – \(format(end, locale: locale))"
    }

    /// Breaks `unixMillis` down into Vietnam wall-clock fields (proleptic Gregorian calendar).
    static func components(_ unixMillis: Int64) -> Components {
        // Floor division, so instants before 1970 land on the right day.
        let seconds = floorDivide(unixMillis, 1000) + utcOffsetSeconds
        let days = floorDivide(seconds, 86_400)
        let secondOfDay = seconds - days * 86_400
        let (year, month, day) = civilDate(daysSinceEpoch: days)
        return Components(year: year, month: month, day: day, hour: Int(secondOfDay / 3600), minute: Int(secondOfDay % 3600 / 60))
    }

    private static func clockDateSeparator(_ locale: PageLocale) -> String {
        locale == .en ? ", " : " "
    }

    private static func clock(_ c: Components) -> String {
        "\(twoDigits(c.hour)):\(twoDigits(c.minute))"
    }

    private static func date(_ c: Components, locale: PageLocale) -> String {
        switch locale {
        case .vi: "\(twoDigits(c.day))/\(twoDigits(c.month))/\(c.year)"
        case .en: "\(c.day) \(englishMonths[c.month - 1]) \(c.year)"
        }
    }

    private static func twoDigits(_ value: Int) -> String {
        value < 10 ? "0\(value)" : String(value)
    }

    private static func floorDivide(_ a: Int64, _ b: Int64) -> Int64 {
        let q = a / b
        return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q
    }

    /// Days since 1970-01-01 to a civil date: Howard Hinnant's `civil_from_days`, exact for every Int64 day we can reach.
    private static func civilDate(daysSinceEpoch: Int64) -> (year: Int64, month: Int, day: Int) {
        let z = daysSinceEpoch + 719_468
        let era = floorDivide(z, 146_097)
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = Int(dayOfYear - (153 * mp + 2) / 5 + 1)
        let month = Int(mp < 10 ? mp + 3 : mp - 9)
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        return (year, month, day)
    }
}
