// Copyright (c) the Gatehouse authors
import CivilTime

/// How amounts and times read in notifications — the same conventions as the renter pages (Gateway's `VND` and
/// `VietnamTime`), which Tenancy cannot import.
///
/// - Amounts: integer VND, grouped with `.` in Vietnamese (`500.000 ₫`) and with `,` in English (`500,000 ₫`),
///   because an English reader takes `500.000` for five hundred with decimals.
/// - Times: Vietnam wall-clock time (UTC+7 all year, no daylight saving since 1975, so plain arithmetic):
///   `14:50 15/01/2024` in Vietnamese, `14:50, 15 Jan 2024` in English.
enum NotificationFormat {
    enum Language: Sendable, Hashable {
        case vi, en
    }

    /// `500.000 ₫` / `500,000 ₫`.
    static func vnd(_ amount: Int64, _ language: Language) -> String {
        let separator: Character = language == .vi ? "." : ","
        let plain = String(amount.magnitude)
        var grouped = ""
        for (index, digit) in plain.enumerated() {
            if index > 0, (plain.count - index) % 3 == 0 { grouped.append(separator) }
            grouped.append(digit)
        }
        return (amount < 0 ? "-" : "") + grouped + " ₫"
    }

    /// `14:50 15/01/2024` / `14:50, 15 Jan 2024`, in Vietnam time.
    static func time(_ unixMillis: Int64, _ language: Language) -> String {
        let c = components(unixMillis)
        let clock = "\(two(c.hour)):\(two(c.minute))"
        switch language {
        case .vi: return "\(clock) \(two(c.day))/\(two(c.month))/\(c.year)"
        case .en: return "\(clock), \(c.day) \(englishMonths[c.month - 1]) \(c.year)"
        }
    }

    /// A stay: `14:00–17:00 15/01/2024` within one day, else `14:00 15/01/2024 – 12:00 16/01/2024`.
    static func range(start: Int64, end: Int64, _ language: Language) -> String {
        let a = components(start)
        let b = components(end)
        guard end > start else { return time(start, language) }
        if a.year == b.year, a.month == b.month, a.day == b.day {
            let clocks = "\(two(a.hour)):\(two(a.minute))–\(two(b.hour)):\(two(b.minute))"
            switch language {
            case .vi: return "\(clocks) \(two(a.day))/\(two(a.month))/\(a.year)"
            case .en: return "\(clocks), \(a.day) \(englishMonths[a.month - 1]) \(a.year)"
            }
        }
        return "\(time(start, language)) – \(time(end, language))"
    }

    private static let englishMonths = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    private static func two(_ value: Int) -> String { value < 10 ? "0\(value)" : String(value) }

    private static func components(_ unixMillis: Int64) -> (year: Int64, month: Int, day: Int, hour: Int, minute: Int) {
        let t = CivilDateTime(unixMillis: unixMillis, utcOffsetSeconds: CivilDateTime.vietnamOffsetSeconds)
        return (t.year, t.month, t.day, t.hour, t.minute)
    }
}
