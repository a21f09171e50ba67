// Copyright (c) the Gatehouse authors
import Gateway
import Testing
import GatehouseCore

@Suite struct PageLocaleNegotiationTests {
    @Test func vietnameseBrowserGetsVietnamese() {
        #expect(PageLocale.negotiate(acceptLanguage: "vi-VN,vi;q=0.9,en;q=0.8", query: nil, cookie: nil) == .vi)
    }

    @Test func englishBrowserGetsEnglish() {
        #expect(PageLocale.negotiate(acceptLanguage: "en-US,en;q=0.9", query: nil, cookie: nil) == .en)
    }

    @Test func queryBeatsCookieAndHeader() {
        #expect(PageLocale.negotiate(acceptLanguage: "vi-VN,vi;q=0.9", query: "en", cookie: "vi") == .en)
        #expect(PageLocale.negotiate(acceptLanguage: "en-US,en;q=0.9", query: "vi", cookie: "en") == .vi)
    }

    @Test func cookieBeatsHeader() {
        #expect(PageLocale.negotiate(acceptLanguage: "en-US,en;q=0.9", query: nil, cookie: "vi") == .vi)
        #expect(PageLocale.negotiate(acceptLanguage: nil, query: nil, cookie: "en") == .en)
    }

    @Test func nothingUsableMeansVietnamese() {
        #expect(PageLocale.negotiate(acceptLanguage: nil, query: nil, cookie: nil) == .vi)
        #expect(PageLocale.negotiate(acceptLanguage: "", query: "", cookie: "") == .vi)
        #expect(PageLocale.negotiate(acceptLanguage: "fr-FR,fr;q=0.9,de;q=0.8", query: "xx", cookie: "<script>") == .vi)
        #expect(PageLocale.negotiate(acceptLanguage: "*", query: nil, cookie: nil) == .vi)
    }

    @Test func qualityValuesDecideNotOrder() {
        #expect(PageLocale.negotiate(acceptLanguage: "vi;q=0.4, en-GB;q=0.7", query: nil, cookie: nil) == .en)
        #expect(PageLocale.negotiate(acceptLanguage: "fr, en;q=0.5, vi;q=0.6", query: nil, cookie: nil) == .vi)
        // Equal quality: the earlier entry wins.
        #expect(PageLocale.negotiate(acceptLanguage: "en;q=0.8, vi;q=0.8", query: nil, cookie: nil) == .en)
    }

    @Test func zeroOrInvalidQualityExcludesALanguage() {
        #expect(PageLocale.negotiate(acceptLanguage: "en;q=0, fr", query: nil, cookie: nil) == .vi)
        #expect(PageLocale.negotiate(acceptLanguage: "en;q=abc, vi;q=0.1", query: nil, cookie: nil) == .vi)
        #expect(PageLocale.negotiate(acceptLanguage: "en;q=2", query: nil, cookie: nil) == .vi)
    }

    @Test func explicitValuesAreCaseAndRegionInsensitive() {
        #expect(PageLocale(code: " EN ") == .en)
        #expect(PageLocale(code: "en-GB") == .en)
        #expect(PageLocale(code: "vi-VN") == .vi)
        #expect(PageLocale(code: "eng") == nil)
        #expect(PageLocale.vi.toggleQuery == "?lang=en")
        #expect(PageLocale.en.toggleQuery == "?lang=vi")
    }
}

@Suite struct VNDFormattingTests {
    @Test(arguments: [
        (Int64(0), "0 ₫"),
        (999, "999 ₫"),
        (1000, "1.000 ₫"),
        (500_000, "500.000 ₫"),
        (1_234_567_890, "1.234.567.890 ₫"),
        (-1_000, "-1.000 ₫"),
        (Int64.max, "9.223.372.036.854.775.807 ₫"),
        (Int64.min, "-9.223.372.036.854.775.808 ₫"),
    ])
    func vietnameseGroupsWithDots(amount: Int64, expected: String) {
        #expect(VND.format(amount) == expected)
    }

    @Test func englishGroupsWithCommas() {
        #expect(VND.format(0, locale: .en) == "0 ₫")
        #expect(VND.format(999, locale: .en) == "999 ₫")
        #expect(VND.format(1000, locale: .en) == "1,000 ₫")
        #expect(VND.format(1_234_567_890, locale: .en) == "1,234,567,890 ₫")
        #expect(VND.format(500_000, locale: .vi) == VND.format(500_000))
    }
}

@Suite struct VietnamTimeFormattingTests {
    @Test func formatsInVietnamTime() {
        // 2024-01-15 07:00:00 UTC.
        #expect(VietnamTime.format(1_705_302_000_000) == "14:00 15/01/2024")
        #expect(VietnamTime.format(1_705_302_000_000, locale: .en) == "14:00, 15 Jan 2024")
    }

    @Test func lateUTCEveningIsTheNextDayInVietnam() {
        // 2024-01-15 17:30:00 UTC is 00:30 on the 16th in Vietnam; 16:59:59 UTC is still the 15th.
        #expect(VietnamTime.format(1_705_339_800_000) == "00:30 16/01/2024")
        #expect(VietnamTime.format(1_705_337_999_000) == "23:59 15/01/2024")
        #expect(VietnamTime.format(1_705_338_000_000) == "00:00 16/01/2024")
    }

    @Test func yearAndLeapDayBoundaries() {
        // 2023-12-31 17:00:00 UTC = 00:00 on 1 Jan 2024 in Vietnam.
        #expect(VietnamTime.format(1_704_042_000_000) == "00:00 01/01/2024")
        // 2024-02-28 18:00:00 UTC = 01:00 on 29 Feb 2024 in Vietnam.
        #expect(VietnamTime.format(1_709_143_200_000, locale: .en) == "01:00, 29 Feb 2024")
        // The epoch itself, and an instant before it.
        #expect(VietnamTime.format(0) == "07:00 01/01/1970")
        #expect(VietnamTime.format(-25_200_001) == "23:59 31/12/1969")
    }

    @Test func rangesOnOneDayShareTheDate() {
        let start: Int64 = 1_705_302_000_000
        #expect(VietnamTime.formatRange(start: start, end: start + 3 * 3_600_000, locale: .vi) == "14:00–17:00 15/01/2024")
        #expect(VietnamTime.formatRange(start: start, end: start + 3 * 3_600_000, locale: .en) == "14:00–17:00, 15 Jan 2024")
    }

    @Test func rangesAcrossMidnightShowBothDates() {
        // 22:00 on the 15th to 10:00 on the 16th, Vietnam time.
        let start: Int64 = 1_705_330_800_000
        let end = start + 12 * 3_600_000
        #expect(VietnamTime.formatRange(start: start, end: end, locale: .vi) == "22:00 15/01/2024 – 10:00 16/01/2024")
        #expect(VietnamTime.formatRange(start: start, end: nil, locale: .vi) == "22:00 15/01/2024")
        #expect(VietnamTime.formatRange(start: start, end: start, locale: .vi) == "22:00 15/01/2024")
    }
}

@Suite struct VietnamBanksTests {
    @Test(arguments: [
        ("970422", "MB Bank"), ("970436", "Vietcombank"), ("970415", "VietinBank"), ("970418", "BIDV"),
        ("970405", "Agribank"), ("970407", "Techcombank"), ("970416", "ACB"), ("970432", "VPBank"),
        ("970423", "TPBank"), ("970403", "Sacombank"),
    ])
    func knownBINsHaveShortNames(bin: String, name: String) {
        #expect(VietnamBanks.shortName(forBIN: bin) == name)
    }

    @Test func unknownBINIsShownAsItself() {
        #expect(VietnamBanks.shortName(forBIN: "999999") == "999999")
    }
}
