// Copyright (c) the Gatehouse authors
import Foundation
import Testing

@testable import Mailer

/// SMTP URLs: credentials percent-decoded and never shown; every malformed URL refused with a clear code.
@Suite struct MailerConfigurationTests {
    let from = try! MailAddress("no-reply@gatehouse.test")

    @Test func credentialsArePercentDecodedAndNeverPrinted() throws {
        let secret = "s3cr%2Ft p@ss"
        let configuration = try MailerConfiguration(url: "smtp://mailer%40gh:s3cr%252Ft%20p%40ss@mail.example.vn:587?tls=required", from: from)
        #expect(configuration.host == "mail.example.vn")
        #expect(configuration.port == 587)
        #expect(configuration.tls == .startTLSRequired)
        #expect(configuration.username == "mailer@gh")
        #expect(configuration.password == secret)
        #expect(configuration.curlURL == "smtp://mail.example.vn:587")
        var dumped = ""
        dump(configuration, to: &dumped)
        for shown in [configuration.description, String(reflecting: configuration), dumped, "\(configuration)"] {
            #expect(!shown.contains("s3cr"))
            #expect(!shown.contains("p@ss"))
        }
        #expect(configuration.description == "smtp://mail.example.vn:587 (STARTTLS required, user mailer@gh, password set)")
    }

    @Test func schemesChooseTheirDefaultPortAndTLS() throws {
        let plain = try MailerConfiguration(url: "smtp://127.0.0.1", from: from)
        #expect(plain.port == 25)
        #expect(plain.tls == .startTLSRequired)
        #expect(plain.username == nil)
        #expect(!plain.hasPassword)
        let implicit = try MailerConfiguration(url: "SMTPS://user:pw@smtp.example.vn/", from: from)
        #expect(implicit.port == 465)
        #expect(implicit.tls == .implicitTLS)
        #expect(implicit.curlURL == "smtps://smtp.example.vn:465")
        let v6 = try MailerConfiguration(url: "smtp://[::1]:2525", from: from)
        #expect(v6.host == "::1")
        #expect(v6.curlURL == "smtp://[::1]:2525")
    }

    @Test(arguments: [
        "http://mail.example.vn", "mail.example.vn:25", "smtp://", "smtp://host:0", "smtp://host:99999", "smtp://host:abc",
        "smtp://host/path", "smtp://host?tls=maybe", "smtp://host?debug=1", "smtps://host?tls=try", "smtp://user:p%ZZ@host",
        "smtp://[::1", "smtp://ho st", "smtps://host?tls=none", "smtp://host?tls=",
    ])
    func malformedURLsAreRefusedWithoutEchoingThem(url: String) {
        let error = #expect(throws: MailerError.self) { try MailerConfiguration(url: url + "", from: from) }
        #expect(error?.code == .invalidConfiguration)
        #expect(error?.description == "MailerError(invalidConfiguration)")
    }

    @Test func smtpRequiresSTARTTLSUnlessPlainIsAskedFor() throws {
        let byDefault = try MailerConfiguration(url: "smtp://user:pw@mail.example.vn:587", from: from)
        #expect(byDefault.tls == .startTLSRequired)
        #expect(byDefault.description == "smtp://mail.example.vn:587 (STARTTLS required, user user, password set)")
        let plain = try MailerConfiguration(url: "smtp://127.0.0.1:25?tls=none", from: from)
        #expect(plain.tls == .plain)
        #expect(plain.description == "smtp://127.0.0.1:25 (plain, no TLS)")
        let opportunistic = try MailerConfiguration(url: "smtp://relay.internal?tls=try", from: from)
        #expect(opportunistic.tls == .startTLSIfOffered)
        #expect(opportunistic.description == "smtp://relay.internal:25 (STARTTLS if offered, else plain)")
        #expect(try MailerConfiguration(url: "smtps://user:pw@smtp.example.vn?tls=required", from: from).tls == .implicitTLS)
    }

    /// A login over a connection that may be plain is refused at start-up, without repeating the password.
    @Test(arguments: ["smtp://mailer:hunter2-secret@mail.example.vn:587?tls=none", "smtp://mailer:hunter2-secret@mail.example.vn?tls=try", "smtp://mailer@mail.example.vn?tls=none"])
    func credentialsWithoutRequiredTLSAreRefused(url: String) {
        let error = #expect(throws: MailerError.self) { try MailerConfiguration(url: url, from: from) }
        #expect(error?.code == .invalidConfiguration)
        #expect(error?.detail.contains("needs TLS") == true)
        #expect(error.map { !String(reflecting: $0).contains("hunter2") } == true)
    }

    @Test func aPasswordNeverAppearsInAnErrorAboutItsURL() {
        let error = #expect(throws: MailerError.self) { try MailerConfiguration(url: "smtp://user:hunter2-secret@host:notaport", from: from) }
        #expect(error.map { !String(reflecting: $0).contains("hunter2") } == true)
    }

    @Test(arguments: ["plain", "a@b", "a b@example.vn", "ä@example.vn", "a@example..vn", "a@-example.vn", ".a@example.vn", "a.@example.vn", "a@exa_mple.vn", ""])
    func invalidAddressesAreRefused(address: String) {
        #expect(throws: MailerError.invalidAddress) { try MailAddress(address) }
    }

    @Test(arguments: ["a@example.vn", "first.last+tag@mail.example.vn", "o'brien@example.ie", "x@localhost", "  padded@example.vn "])
    func plainAddressesAreAccepted(address: String) throws {
        #expect(try MailAddress(address).address == address.trimmingCharacters(in: .whitespaces))
    }
}

/// The encoder's fixed rules, checked directly.
@Suite struct MessageEncoderTests {
    @Test func datesAreRFC5322InUTC() {
        #expect(MessageEncoder.rfc5322Date(unixSeconds: 0) == "Thu, 1 Jan 1970 00:00:00 +0000")
        #expect(MessageEncoder.rfc5322Date(unixSeconds: 1_705_327_200) == "Mon, 15 Jan 2024 14:00:00 +0000")
        #expect(MessageEncoder.rfc5322Date(unixSeconds: 1_709_210_096) == "Thu, 29 Feb 2024 12:34:56 +0000")
    }

    @Test func everyLineEndBecomesCRLF() {
        #expect(MessageEncoder.crlf("a\nb\r\nc\rd\n") == "a\r\nb\r\nc\r\nd\r\n")
    }

    @Test func encodedWordsKeepWholeCharactersWithinTheLineLimit() throws {
        let subject = String(repeating: "Đặt phòng 🌿 ", count: 12)
        let folded = MessageEncoder.unstructured(subject, headerName: "Subject")
        let lines = ("Subject: " + folded).components(separatedBy: "\r\n")
        #expect(lines.count > 1)
        #expect(lines.allSatisfy { $0.count <= 78 })
        var decoded = ""
        for word in folded.split(whereSeparator: { $0 == "\r\n" || $0 == " " }) {
            #expect(word.hasPrefix("=?utf-8?B?") && word.hasSuffix("?=") && word.count <= 75)
            let payload = word.dropFirst(10).dropLast(2)
            let bytes = try #require(Data(base64Encoded: String(payload)))
            decoded += try #require(String(data: bytes, encoding: .utf8))  // each word alone is valid UTF-8
        }
        #expect(decoded == subject)
        #expect(MessageEncoder.unstructured("Short ASCII subject", headerName: "Subject") == "Short ASCII subject")
    }
}
