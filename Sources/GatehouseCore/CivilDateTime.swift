// Copyright (c) the Gatehouse authors

/// A wall-clock date and time in the proleptic Gregorian calendar at a fixed UTC offset — all Gatehouse needs
/// (Vietnam has used UTC+7 without daylight saving since 1975; HTTP and e-mail dates are UTC), with no calendar
/// or time-zone database. Days are converted with Howard Hinnant's `civil_from_days` / `days_from_civil`.
public struct CivilDateTime: Sendable, Hashable {
    /// Vietnam's offset from UTC, in seconds.
    public static let vietnamOffsetSeconds: Int64 = 7 * 3600

    public var year: Int64
    /// 1…12.
    public var month: Int
    /// 1…31.
    public var day: Int
    public var hour: Int
    public var minute: Int
    public var second: Int
    /// Days from 1970-01-01 to this date (negative before it).
    public var daysSinceEpoch: Int64

    /// 0 = Sunday … 6 = Saturday.
    public var weekday: Int { Int(((daysSinceEpoch % 7) + 11) % 7) }  // 1970-01-01 was a Thursday.

    /// The wall clock at `utcOffsetSeconds` for an instant in Unix seconds (floor division: instants before 1970 work).
    public init(unixSeconds: Int64, utcOffsetSeconds: Int64 = 0) {
        let local = unixSeconds + utcOffsetSeconds
        let days = Self.floorDivide(local, 86_400)
        let secondOfDay = Int(local - days * 86_400)
        let z = days + 719_468
        let era = Self.floorDivide(z, 146_097)
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        self.day = Int(dayOfYear - (153 * mp + 2) / 5 + 1)
        self.month = Int(mp < 10 ? mp + 3 : mp - 9)
        self.year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        self.hour = secondOfDay / 3600
        self.minute = secondOfDay % 3600 / 60
        self.second = secondOfDay % 60
        self.daysSinceEpoch = days
    }

    /// The same for an instant in Unix milliseconds.
    public init(unixMillis: Int64, utcOffsetSeconds: Int64 = 0) {
        self.init(unixSeconds: Self.floorDivide(unixMillis, 1000), utcOffsetSeconds: utcOffsetSeconds)
    }

    /// Days from 1970-01-01 to a date.
    public static func daysSinceEpoch(year: Int64, month: Int, day: Int) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = floorDivide(y, 400)
        let yearOfEra = y - era * 400
        let m = Int64(month)
        let dayOfYear = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + Int64(day) - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    static func floorDivide(_ a: Int64, _ b: Int64) -> Int64 {
        let q = a / b
        return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q
    }
}
