// Copyright (c) the Gatehouse authors
import Foundation
import PropertyBased
import Testing

@testable import Mailer

/// Properties of the mail address parser and of the header encoder that writes stranger text (display names,
/// subjects) into a message.
@Suite struct MailAddressProperties {
    static let atext = Array("abcXYZ019!#$%&'*+-/=?^_`{|}~")
    static let localPart = Gen.element(of: atext).compactMap { $0 }.string(of: 1...8).array(of: 1...3).map { $0.joined(separator: ".") }
    static let label = Gen.element(of: Array("abz09")).compactMap { $0 }.string(of: 1...10)
    static let domain = label.array(of: 2...4).map { $0.joined(separator: ".") }
    static let pieces = ["a", " ", "\"", "\\", "=?", "?=", "Nguyễn", "Văn", "😀", "👨‍👩‍👧", "e\u{301}", "שלום", "\u{7F}", "\u{0}", "\t", "<", ">", "@"]
    static let text = Gen.element(of: pieces).compactMap { $0 }.array(of: 0...30).map { $0.joined() }

    @Test func aDotAtomAddressIsAcceptedTrimmedAndParsesAgainToItself() async throws {
        await propertyCheck(input: Self.localPart, Self.domain, Gen.element(of: ["", " ", "\t"]).compactMap { $0 }) { local, domain, space in
            let address = try MailAddress(space + local + "@" + domain + space)
            #expect(address.address == local + "@" + domain)
            #expect(address.domain == domain)
            #expect(try MailAddress(address.address) == address)
        }
    }

    @Test func aLineBreakAnywhereIsHeaderInjection() async {
        await propertyCheck(input: Self.text, Self.text, Gen.element(of: ["\r", "\n", "\r\n"]).compactMap { $0 }, Gen.bool) { before, after, lineBreak, inName in
            #expect(throws: MailerError.headerInjection) {
                if inName {
                    _ = try MailAddress("renter@example.vn", displayName: before + lineBreak + after)
                } else {
                    _ = try MailAddress(before + lineBreak + after)
                }
            }
        }
    }

    @Test func anEncodedHeaderIsSevenBitWithShortLinesAndTheNameAndSubjectDecodeBack() async throws {
        let names = Self.text.map { String(String.UnicodeScalarView($0.unicodeScalars.filter { $0.properties.generalCategory != .control })) }
        await propertyCheck(input: names, Self.text) { name, subject in
            let sender = try MailAddress("receipts@gatehouse.example", displayName: name)
            var random = SystemRandomNumberGenerator()
            let encoded = try MessageEncoder.encode(
                MailMessage(to: [sender], subject: subject, text: "x"), defaultFrom: sender, unixSeconds: 0, random: &random)
            let header = String(decoding: encoded.bytes, as: UTF8.self).components(separatedBy: "\r\n\r\n")[0]
            #expect(header.utf8.allSatisfy { $0 < 0x80 })
            let lines = header.components(separatedBy: "\r\n")
            #expect(lines.allSatisfy { $0.utf8.count <= MessageEncoder.maximumLineLength && !$0.contains("\r") && !$0.contains("\n") }, "\(lines)")
            let fields = Self.unfold(lines)
            #expect(Self.decodeUnstructured(fields["Subject"] ?? "") == subject)
            if let displayName = sender.displayName {
                #expect(Self.decodeName(fields["From"] ?? "", address: sender.address) == displayName)
                #expect(Self.decodeName(fields["To"] ?? "", address: sender.address) == displayName)
            }
        }
    }

    // MARK: A reader of what the encoder writes

    static func unfold(_ lines: [String]) -> [String: String] {
        var fields: [String: String] = [:]
        var name = ""
        for line in lines {
            if line.hasPrefix(" ") {
                fields[name, default: ""] += line
            } else if let colon = line.firstIndex(of: ":") {
                name = String(line[..<colon])
                fields[name] = String(line[line.index(colon, offsetBy: 2)...])
            }
        }
        return fields
    }

    static func decodeWords(_ value: String) -> String? {
        var bytes: [UInt8] = []
        for word in value.split(separator: " ") {
            guard word.hasPrefix("=?utf-8?B?"), word.hasSuffix("?="), let data = Data(base64Encoded: String(word.dropFirst(10).dropLast(2))) else { return nil }
            bytes += data
        }
        return String(validating: bytes, as: UTF8.self)
    }

    static func decodeUnstructured(_ value: String) -> String? { value.hasPrefix("=?utf-8?B?") ? decodeWords(value) : value }

    static func decodeName(_ value: String, address: String) -> String? {
        guard value.hasSuffix(" <\(address)>") else { return nil }
        let phrase = String(value.dropLast(address.count + 3))
        guard phrase.hasPrefix("\""), phrase.count >= 2 else { return decodeWords(phrase) }
        var out = ""
        var escaped = false
        for c in phrase.dropFirst().dropLast() {
            if escaped || c != "\\" { out.append(c); escaped = false } else { escaped = true }
        }
        return out
    }
}
