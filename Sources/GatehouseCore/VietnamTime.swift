// Copyright (c) the Gatehouse authors

/// Wall-clock formatting in Vietnam time (Indochina Time, UTC+7).
///
/// Vietnam has had a fixed UTC+7 offset with no daylight saving since 1975, so the conversion is plain arithmetic:
/// no time-zone database, and the same output on every host whatever its `TZ`.
public enum VietnamTime {
    /// Vietnam's offset from UTC in seconds.
    public static let utcOffsetSeconds: Int64 = CivilDateTime.vietnamOffsetSeconds

    public static let englishMonths = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

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
    static func components(_ unixMillis: Int64) -> CivilDateTime {
        CivilDateTime(unixMillis: unixMillis, utcOffsetSeconds: utcOffsetSeconds)
    }

    private static func clockDateSeparator(_ locale: PageLocale) -> String {
        locale == .en ? ", " : " "
    }

    private static func clock(_ c: CivilDateTime) -> String {
        "\(twoDigits(c.hour)):\(twoDigits(c.minute))"
    }

    private static func date(_ c: CivilDateTime, locale: PageLocale) -> String {
        switch locale {
        case .vi: "\(twoDigits(c.day))/\(twoDigits(c.month))/\(c.year)"
        case .en: "\(c.day) \(englishMonths[c.month - 1]) \(c.year)"
        }
    }

    // MARK: payOS's texts (always Vietnam time, from Unix seconds)

    /// `2025-06-18T14:30:00+07:00`: payOS's `createdAt`, `canceledAt` and GET transactions.
    public static func iso8601(_ unixSeconds: Int64) -> String {
        let t = CivilDateTime(unixSeconds: unixSeconds, utcOffsetSeconds: utcOffsetSeconds)
        return "\(t.year)-\(twoDigits(t.month))-\(twoDigits(t.day))T\(twoDigits(t.hour)):\(twoDigits(t.minute)):\(twoDigits(t.second))+07:00"
    }

    /// `2025-06-18 14:32:05`: a webhook's `transactionDateTime` (Vietnam wall-clock time without a zone).
    public static func webhookDateTime(_ unixSeconds: Int64) -> String {
        let t = CivilDateTime(unixSeconds: unixSeconds, utcOffsetSeconds: utcOffsetSeconds)
        return "\(t.year)-\(twoDigits(t.month))-\(twoDigits(t.day)) \(twoDigits(t.hour)):\(twoDigits(t.minute)):\(twoDigits(t.second))"
    }

    /// Two-digit year and three-digit day of the year, as in bank references (`FT25169…` = 2025, day 169).
    public static func yearAndDayOfYear(_ unixSeconds: Int64) -> String {
        let t = CivilDateTime(unixSeconds: unixSeconds, utcOffsetSeconds: utcOffsetSeconds)
        let dayOfYear = Int(t.daysSinceEpoch - CivilDateTime.daysSinceEpoch(year: t.year, month: 1, day: 1)) + 1
        return twoDigits(Int(t.year % 100)) + (dayOfYear < 10 ? "00" : dayOfYear < 100 ? "0" : "") + String(dayOfYear)
    }

    private static func twoDigits(_ value: Int) -> String {
        value < 10 ? "0\(value)" : String(value)
    }
}
