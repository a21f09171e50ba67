// Copyright (c) the Gatehouse authors
public import GatehouseCore

/// Times on the HTML consoles (admin dashboard, owner console). Their users work in Vietnam time, so a time reads as Vietnam's wall clock; the exact UTC instant
/// stays one hover away (`title`) and machine-readable (`datetime`), for matching against logs and the API.
public enum PageTime {
    /// The model of one `<time>` element: `utc` (ISO-8601, for `datetime` and `title`) and `local` (Vietnam time).
    public static func model(_ millis: Int64, locale: PageLocale) -> [String: String] {
        ["utc": APITime.format(millis), "local": VietnamTime.format(millis, locale: locale)]
    }

    /// A date filter's bound: `YYYY-MM-DD` is a Vietnam day — its first instant (`endOfDay` false) or the next day's
    /// first instant (`endOfDay` true, for an exclusive end that still includes the whole day); an ISO-8601 date-time
    /// with an offset (the API's form, and older links) is taken as it is. `nil` for anything else.
    public static func bound(_ text: String, endOfDay: Bool) -> Int64? {
        if let instant = APITime.parse(text) { return instant }
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
            parts.allSatisfy({ $0.allSatisfy(\.isASCII) && $0.allSatisfy(\.isNumber) }),
            let year = Int64(parts[0]), let month = Int(parts[1]), let day = Int(parts[2]), (1...12).contains(month), day >= 1,
            day <= daysIn(month: month, year: year)
        else { return nil }
        let days = CivilDateTime.daysSinceEpoch(year: year, month: month, day: day) + (endOfDay ? 1 : 0)
        return (days * 86_400 - VietnamTime.utcOffsetSeconds) * 1000
    }

    private static func daysIn(month: Int, year: Int64) -> Int {
        CivilDateTime(unixSeconds: CivilDateTime.daysSinceEpoch(year: month == 12 ? year + 1 : year, month: month % 12 + 1, day: 1) * 86_400 - 1).day
    }
}
