// Copyright (c) the Gatehouse authors
import GatehouseCore
import Testing

/// The text helpers the URL parsers, `Hex` and the hand-written pages share.
@Suite struct TextEncodingTests {
    @Test func percentDecodingDecodesEscapesAsUTF8() {
        #expect(PercentDecoding.decode("p%40ss%3A%2F%3F%23%25") == "p@ss:/?#%")
        #expect(PercentDecoding.decode("m%E1%BA%ADt") == "mật")
        #expect(PercentDecoding.decode("plain+text") == "plain+text")  // `+` is not a space outside form bodies
        #expect(PercentDecoding.decode("") == "")
    }

    @Test(arguments: ["%", "%4", "%4G", "abc%zz", "%FF", "%C3"])
    func percentDecodingRefusesMalformedEscapesAndInvalidUTF8(text: String) {
        #expect(PercentDecoding.decode(Substring(text)) == nil)
    }

    @Test func hexDigitValuesCoverBothCasesAndNothingElse() {
        let digits = Array("0123456789abcdefABCDEF".utf8).map(\.hexDigitValue)
        #expect(digits == (0...15).map { UInt8($0) } + (10...15).map { UInt8($0) })
        #expect(Array("gG/:@` ".utf8).allSatisfy { $0.hexDigitValue == nil })
    }

    @Test func htmlEscapingEscapesTheFiveSpecialCharactersOnly() {
        #expect(HTMLEscaping.escape(#"<a href="x" title='y'>Tôi & bạn</a>"#) == "&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;Tôi &amp; bạn&lt;/a&gt;")
        #expect(HTMLEscaping.escape("nothing to do") == "nothing to do")
    }
}
