// Copyright (c) the Gatehouse authors

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
        let seconds = floorDivide(unixMillis, 1000) + 7 * 3600
        let days = floorDivide(seconds, 86_400)
        let secondOfDay = seconds - days * 86_400
        let z = days + 719_468
        let era = floorDivide(z, 146_097)
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = Int(dayOfYear - (153 * mp + 2) / 5 + 1)
        let month = Int(mp < 10 ? mp + 3 : mp - 9)
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        return (year, month, day, Int(secondOfDay / 3600), Int(secondOfDay % 3600 / 60))
    }

    private static func floorDivide(_ a: Int64, _ b: Int64) -> Int64 {
        let q = a / b
        return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q
    }
}
