// Copyright (c) the Gatehouse authors
import GatehouseCore
import Foundation
import Testing

@Suite struct CivilDateTimeTests {
    @Test func vietnamWallClockCrossesTheUTCDayBoundary() {
        // 2024-01-15T17:30:00Z is 00:30 on the 16th in Vietnam.
        let t = CivilDateTime(unixSeconds: 1_705_339_800, utcOffsetSeconds: CivilDateTime.vietnamOffsetSeconds)
        #expect([t.year, Int64(t.month), Int64(t.day), Int64(t.hour), Int64(t.minute)] == [2024, 1, 16, 0, 30])
        #expect(t.weekday == 2)  // Tuesday
    }

    @Test(arguments: [Int64(-86_400 * 366 - 1), -1, 0, 951_782_400, 1_709_164_800, 4_102_444_800, 253_402_300_799])
    func agreesWithFoundationsGregorianCalendar(unixSeconds: Int64) {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(secondsFromGMT: 0)!
        let expected = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second, .weekday], from: Date(timeIntervalSince1970: Double(unixSeconds)))
        let civil = CivilDateTime(unixSeconds: unixSeconds)
        #expect(civil.year == Int64(expected.year!))
        #expect(civil.month == expected.month!)
        #expect(civil.day == expected.day!)
        #expect(civil.hour == expected.hour!)
        #expect(civil.minute == expected.minute!)
        #expect(civil.second == expected.second!)
        #expect(civil.weekday == expected.weekday! - 1)
        #expect(CivilDateTime.daysSinceEpoch(year: civil.year, month: civil.month, day: civil.day) == civil.daysSinceEpoch)
    }
}
