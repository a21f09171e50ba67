// Copyright (c) the Gatehouse authors
import Foundation
import Logging
import Testing

@testable import Mailer

#if canImport(Glibc)
import Glibc
#endif

/// `SMTPMailer` against a real SMTP server (aiosmtpd, `scripts/smtp-test-server`), decoded by Python's `email` package.
@Suite(.smtpSinkAvailable) struct SMTPMailerTests {
    /// A mailer for the sink, sending from `Gatehouse Đà Nẵng <no-reply@gatehouse.test>`.
    func sinkMailer() throws -> SMTPMailer {
        let (url, _) = try SMTPSink.configured()
        let from = try MailAddress("no-reply@gatehouse.test", displayName: "Gatehouse Đà Nẵng")
        return SMTPMailer(configuration: try MailerConfiguration(url: url, from: from))
    }

    /// A recipient address unique to one test.
    func recipient(_ label: String, _ token: String) throws -> MailAddress {
        try MailAddress("\(label)+\(token)@example.test")
    }

    func token() -> String { UUID().uuidString.prefix(12).lowercased().replacingOccurrences(of: "-", with: "") }

    // MARK: Tests

    @Test func aVietnameseSubjectAndBodyArriveIntact() async throws {
        let mailer = try sinkMailer()
        let token = token()
        let subject = "Xác nhận thanh toán thành công – đặt phòng “Phòng Deluxe 🌿 view biển” – 500.000 ₫ – Nguyễn Văn Ánh"
        let body = """
            Xin chào Nguyễn Văn Ánh,

            Chúng tôi đã nhận được thanh toán 500.000 ₫ của bạn cho đặt phòng Phòng Deluxe 🌿 từ 14:00 15/01/2024 đến 12:00 16/01/2024. Cảm ơn bạn đã tin tưởng.
            .a line starting with a dot
            Tiếng Việt có dấu: ắ ằ ẳ ẵ ặ ấ ầ ẩ ẫ ậ ế ề ể ễ ệ ố ồ ổ ỗ ộ ớ ờ ở ỡ ợ ứ ừ ử ữ ự Đ đ

            """
        let receipt = try await mailer.send(
            MailMessage(to: [try recipient("renter", token)], subject: subject, text: body), logger: testLogger)

        let received = try SMTPSink.messages(to: token)
        try #require(received.count == 1)
        #expect(received[0].mailFrom == "no-reply@gatehouse.test")
        let mail = try ParsedMail.parse(file: received[0].path)
        #expect(mail.subject == subject)
        #expect(mail.text == body)
        #expect(mail.from == "no-reply@gatehouse.test")
        #expect(mail.from_name == "Gatehouse Đà Nẵng")
        #expect(mail.to == ["renter+\(token)@example.test"])
        #expect(mail.content_type == "text/plain")
        #expect(mail.message_id == receipt.messageID)
        #expect(receipt.messageID.hasSuffix("@gatehouse.test>"))
        #expect(mail.auto_submitted == "auto-generated")
        #expect(mail.date != nil)
        #expect(mail.defects == 0)
        // 7-bit clean with every line within RFC 5322's recommended 78 characters: no relay needs to rewrite it.
        #expect(mail.ascii_only)
        #expect(mail.longest_line <= 78)
    }

    @Test func severalRecipientsGetOneMessageWithEveryAddress() async throws {
        let mailer = try sinkMailer()
        let token = token()
        let recipients = try ["an", "binh", "chi"].map { try recipient($0, token) }
        try await mailer.send(MailMessage(to: recipients, subject: "Thông báo", text: "Xin chào"), logger: testLogger)

        let received = try SMTPSink.messages(to: token)
        try #require(received.count == 1)
        #expect(Set(received[0].recipients) == Set(recipients.map(\.address)))
        let mail = try ParsedMail.parse(file: received[0].path)
        #expect(mail.to == recipients.map(\.address))
        #expect(mail.subject == "Thông báo")
    }

    @Test func headerInjectionIsRefusedBeforeAnythingIsSent() async throws {
        let mailer = try sinkMailer()
        let token = token()
        let to = try recipient("victim", token)
        for subject in ["Hello\r\nBcc: attacker+\(token)@example.test", "Hello\nBcc: x@example.test", "Hello\rX-Evil: 1"] {
            await #expect(throws: MailerError.headerInjection) {
                try await mailer.send(MailMessage(to: [to], subject: subject, text: "body"), logger: testLogger)
            }
        }
        #expect(throws: MailerError.headerInjection) { try MailAddress("a@example.test\r\nBcc: b@example.test") }
        #expect(throws: MailerError.headerInjection) { try MailAddress("a@example.test", displayName: "Evil\nBcc: b@example.test") }
        #expect(try SMTPSink.messages(to: token).isEmpty)
    }

    @Test func aRefusedRecipientReportsTheServersCode() async throws {
        let mailer = try sinkMailer()
        let error = await #expect(throws: MailerError.self) {
            try await mailer.send(
                MailMessage(to: [try MailAddress("nobody@rejected.invalid")], subject: "x", text: "y"), logger: testLogger)
        }
        #expect(error?.code == .rejected)
        #expect(error?.smtpCode == 550)
        #expect(error?.isRetryable == false)
        #expect(error?.description == "MailerError(rejected 550)")
    }

    /// `smtp://` requires STARTTLS unless told otherwise: the plain sink is refused, with and without the option.
    @Test(arguments: ["", "?tls=required"])
    func requiredTLSRefusesAServerWithoutSTARTTLS(option: String) async throws {
        _ = try SMTPSink.configured()
        let url = try #require(SMTPSink.baseURL) + option
        let token = token()
        let mailer = SMTPMailer(configuration: try MailerConfiguration(url: url, from: try MailAddress("no-reply@gatehouse.test")))
        let error = await #expect(throws: MailerError.self) {
            try await mailer.send(MailMessage(to: [try recipient("tls", token)], subject: "x", text: "y"), logger: testLogger)
        }
        #expect(error?.code == .tlsFailed)
        // Nothing went out in clear text.
        #expect(try SMTPSink.messages(to: token).isEmpty)
    }

    @Test func anHTMLAlternativeTravelsWithThePlainText() async throws {
        let mailer = try sinkMailer()
        let token = token()
        let html = "<p>Đã nhận <strong>500.000 ₫</strong></p>\n"
        let text = "Đã nhận 500.000 ₫\n"
        try await mailer.send(MailMessage(to: [try recipient("html", token)], subject: "HTML", text: text, html: html), logger: testLogger)
        let received = try SMTPSink.messages(to: token)
        try #require(received.count == 1)
        let mail = try ParsedMail.parse(file: received[0].path)
        #expect(mail.content_type == "multipart/alternative")
        #expect(mail.text == text)
        #expect(mail.html == html)
        #expect(mail.defects == 0)
        #expect(mail.longest_line <= 78)
    }
}

/// Failures that need no SMTP sink: nothing listening, a server that never answers.
@Suite struct SMTPMailerFailureTests {
    func mailer(port: Int, timeout: Duration = .seconds(10)) throws -> SMTPMailer {
        SMTPMailer(
            configuration: try MailerConfiguration(
                url: "smtp://127.0.0.1:\(port)", from: try MailAddress("no-reply@gatehouse.test"), connectTimeout: .seconds(5),
                timeout: timeout))
    }

    let message = MailMessage(to: [try! MailAddress("renter@example.test")], subject: "x", text: "y")

    @Test func aClosedPortFailsQuicklyWithConnectionFailed() async throws {
        let mailer = try mailer(port: try closedLoopbackPort())
        let started = ContinuousClock.now
        let error = await #expect(throws: MailerError.self) { try await mailer.send(message, logger: testLogger) }
        #expect(error?.code == .connectionFailed)
        #expect(error?.isRetryable == true)
        // Refused at once by the kernel, not waited out: a connect timeout would be `.timeout`, so the code above is what
        // tells refusal from a timeout. The bound only catches a hang (it is the connect timeout's own scale, 5 s, with
        // room for a loaded machine: a CI run measured 4.5 s here with several builds running).
        #expect(ContinuousClock.now - started < .seconds(30))
    }

    @Test func aServerThatNeverAnswersTimesOut() async throws {
        let (fd, port) = try listeningSocket()
        defer { close(fd) }
        let mailer = try mailer(port: port, timeout: .milliseconds(700))
        let started = ContinuousClock.now
        let error = await #expect(throws: MailerError.self) { try await mailer.send(message, logger: testLogger) }
        #expect(error?.code == .timeout)
        #expect(ContinuousClock.now - started >= .milliseconds(600))
        #expect(ContinuousClock.now - started < .seconds(30))  // a hang, not a slow machine
    }
}

/// A man in the middle strips STARTTLS from the server's EHLO answer and offers AUTH: a mailer with credentials must
/// stop there, before the login and before the message (which carries a renter's link and token).
@Suite struct SMTPCredentialsNeverTravelInClearTests {
    static let password = "hunter2-Sm7p-secret"

    @Test(arguments: ["smtp://gatehouse:\(password)@127.0.0.1:PORT", "smtp://gatehouse:\(password)@127.0.0.1:PORT?tls=required"])
    func aServerOfferingAUTHWithoutSTARTTLSNeverSeesThePassword(url: String) async throws {
        let server = try RecordingSMTPServer()
        let mailer = SMTPMailer(
            configuration: try MailerConfiguration(
                url: url.replacingOccurrences(of: "PORT", with: "\(server.port)"), from: try MailAddress("no-reply@gatehouse.test"),
                connectTimeout: .seconds(5), timeout: .seconds(10)))
        let link = "https://pay.example.vn/payment/status?t=renter-token-0123456789"
        let error = await #expect(throws: MailerError.self) {
            try await mailer.send(
                MailMessage(to: [try MailAddress("renter@example.test")], subject: "Receipt", text: "Your receipt: \(link)"),
                logger: testLogger)
        }
        #expect(error?.code == .tlsFailed)
        #expect(error.map { !String(reflecting: $0).contains(Self.password) } == true)

        let transcript = try server.transcript()
        #expect(transcript.uppercased().hasPrefix("EHLO"))  // the client did talk to it
        let commands = transcript.split(separator: "\r\n").map { $0.uppercased() }
        #expect(!commands.contains { $0.hasPrefix("AUTH") })
        #expect(!commands.contains { $0.hasPrefix("MAIL FROM") || $0.hasPrefix("RCPT TO") || $0 == "DATA" })
        // Neither in clear nor in any of the encodings AUTH PLAIN and AUTH LOGIN use.
        for secret in [
            Self.password, Data(Self.password.utf8).base64EncodedString(),
            Data("\u{0}gatehouse\u{0}\(Self.password)".utf8).base64EncodedString(), "renter-token-0123456789",
        ] {
            #expect(!transcript.contains(secret))
        }
    }
}
