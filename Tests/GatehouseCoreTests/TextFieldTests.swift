// Copyright (c) the Gatehouse authors
import GatehouseCore
import Testing

/// The shared single-line text check: lengths in the column's unit, no control characters, ASCII-digit phone numbers.
@Suite struct TextFieldTests {
    static let title = TextField("room_title", maximum: 5)

    @Test func lengthsAreCountedInTheFieldsUnitNotInCharacters() throws {
        // One `Character` each, but 7, 2 and 2 code points.
        let family = "👨‍👩‍👧‍👦", flag = "🇻🇳", accented = "e\u{301}"
        #expect(TextUnit.codePoints.count(family) == 7 && TextUnit.utf8Bytes.count(family) == 25 && TextUnit.utf16Units.count(family) == 11)
        #expect(try Self.title.validated(flag + flag + "x") == flag + flag + "x")
        #expect(throws: TenancyError.validation("room_title must be 1 to 5 characters (Unicode code points)")) {
            try Self.title.validated(flag + flag + accented)
        }
        #expect(throws: TenancyError.self) { try Self.title.validated(family) }
        #expect(throws: TenancyError.validation("key must be 1 to 3 bytes (UTF-8)")) { _ = try TextField("key", maximum: 3, unit: .utf8Bytes).validated("ệa") }
    }

    @Test func surroundingWhiteSpaceIsTrimmedButNothingIsNormalised() throws {
        #expect(try Self.title.validated(" \t Nam\n") == "Nam")
        let decomposed = "Nguye\u{302}\u{303}"
        #expect(Array(try TextField("name", maximum: 10).validated(decomposed).utf8) == Array(decomposed.utf8))
        #expect(try TextField("secret", maximum: 9, trimsWhiteSpace: false).validated("a") == "a")
        #expect(throws: TenancyError.self) { try Self.title.validated("   ") }
        #expect(try Self.title.validated("  ", required: false) == "")
    }

    @Test(arguments: ["\r", "\n", "\t", "\u{0}", "\u{1B}", "\u{7F}", "\u{80}", "\u{85}", "\u{9F}", "\u{2028}", "\u{2029}"])
    func controlCharactersAndLineSeparatorsInsideAValueAreRefused(character: String) {
        #expect(throws: TenancyError.self) { try Self.title.validated("a\(character)b") }
    }

    @Test func formatCharactersOfRealTextAreAllowed() throws {
        // ZWJ (emoji sequences), RLM and ZWNJ (Persian) are format characters, not control characters.
        #expect(try TextField("name", maximum: 20).validated("👩\u{200D}💻 \u{200F}שלום\u{200C}ی") != "")
    }

    @Test(arguments: ["٠٩١٢", "۰۹۱۲", "０９１２", "०९१२", "½", "0912\u{0}", "0912\n3", "09\u{FF10}"])
    func phoneNumbersWithOtherThanASCIIDigitsAreRefused(phone: String) {
        #expect(throws: TenancyError.self) { try Validation.phone(phone, field: "renter_phone", maximum: 20) }
    }

    @Test func phoneNumbersKeepASCIIDigitsAndPunctuation() throws {
        #expect(try Validation.phone(" +84 (912) 345-678. ", field: "renter_phone", maximum: 20) == "+84 (912) 345-678.")
        #expect(try Validation.phone("  ", field: "renter_phone", maximum: 20) == nil)
        #expect(try Validation.phone(nil, field: "renter_phone", maximum: 20) == nil)
        #expect(throws: TenancyError.self) { try Validation.phone(String(repeating: "1", count: 21), field: "renter_phone", maximum: 20) }
    }

    @Test func emailAddressesAreCheckedInCodePointsAndForControlCharacters() throws {
        #expect(try Validation.email(" an@example.vn ", field: "renter_email", maximum: 120) == "an@example.vn")
        let combining = String(repeating: "e\u{301}", count: 54) + "@example.vn"  // 119 code points, 65 characters
        #expect(try Validation.email(combining, field: "renter_email", maximum: 119) == combining)
        #expect(throws: TenancyError.self) { try Validation.email(combining, field: "renter_email", maximum: 118) }
        for bad in ["an\u{0}@example.vn", "an @example.vn", "an@example", "@example.vn", "a@b@example.vn", "an\u{7F}@example.vn"] {
            #expect(throws: TenancyError.self, "\(bad)") { try Validation.email(bad, field: "renter_email", maximum: 120) }
        }
    }
}
