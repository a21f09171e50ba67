// Copyright (c) the Gatehouse authors
import Foundation
import Testing

@testable import Mailer

/// Header lines stay within 78 characters whatever display name a renter or owner chose (found by fuzzing the header
/// encoder: the length check counted the name before its quotes and backslashes were escaped, and measured the `To`
/// line without its `To: `).
@Suite struct HeaderLineLengthTests {
    static func headerLines(from: MailAddress, to: MailAddress) throws -> [String] {
        var random = SystemRandomNumberGenerator()
        let encoded = try MessageEncoder.encode(
            MailMessage(to: [to], replyTo: from, subject: "Biên lai", text: "x"), defaultFrom: from, unixSeconds: 0, random: &random)
        return String(decoding: encoded.bytes, as: UTF8.self).components(separatedBy: "\r\n\r\n")[0].components(separatedBy: "\r\n")
    }

    @Test func aNameOfQuotesAndBackslashesKeepsEveryLineWithin78() throws {
        let name = String(repeating: "\"\\", count: 15)
        let address = try MailAddress("receipts@gatehouse.example", displayName: name)
        let lines = try Self.headerLines(from: address, to: address)
        for line in lines { #expect(line.utf8.count <= MessageEncoder.maximumLineLength, "\(line)") }
        #expect(MailAddressProperties.decodeName(MailAddressProperties.unfold(lines)["From"] ?? "", address: address.address) == name)
    }

    @Test(arguments: 60...72)
    func aPlainNameThatFillsTheToLineKeepsItWithin78(total: Int) throws {
        let domain = "example.vn"
        let local = String(repeating: "a", count: 20)
        let name = String(repeating: "N", count: total - local.count - 1 - domain.count)
        let recipient = try MailAddress("\(local)@\(domain)", displayName: name)
        let sender = try MailAddress("receipts@gatehouse.example")
        let lines = try Self.headerLines(from: sender, to: recipient)
        for line in lines { #expect(line.utf8.count <= MessageEncoder.maximumLineLength, "\(line)") }
        #expect(MailAddressProperties.decodeName(MailAddressProperties.unfold(lines)["To"] ?? "", address: recipient.address) == name)
    }
}
