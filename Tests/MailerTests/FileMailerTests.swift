// Copyright (c) the Gatehouse authors
import Foundation
import Logging
import Testing

@testable import Mailer

/// `FileMailer` writes complete, private `.eml` files that mail software parses like an SMTP delivery.
@Suite struct FileMailerTests {
    func temporaryFolder() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("gatehouse-mail-\(UUID().uuidString)/nested/mail").path
    }

    @Test func eachMessageBecomesAParseablePrivateEmlFile() async throws {
        let folder = temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: (folder as NSString).deletingLastPathComponent) }
        let mailer = FileMailer(directory: folder, sender: try MailAddress("no-reply@gatehouse.test", displayName: "Gatehouse"))
        let subject = "Thanh toán mới 500.000 ₫ / New payment"
        let text = "Xin chào Chủ nhà,\nBạn vừa nhận được 500.000 ₫.\n"
        let first = try await mailer.send(
            MailMessage(to: [try MailAddress("owner@example.test")], subject: subject, text: text), logger: testLogger)
        let second = try await mailer.send(
            MailMessage(to: [try MailAddress("owner@example.test")], subject: "Lần hai", text: "2"), logger: testLogger)

        let file = try #require(first.file)
        #expect(file.hasPrefix(folder + "/"))
        #expect(file.hasSuffix(".eml"))
        #expect(second.file != first.file)
        let files = try FileManager.default.contentsOfDirectory(atPath: folder).sorted()
        #expect(files.count == 2)
        #expect(files.allSatisfy { $0.hasSuffix(".eml") })  // no temporary file left behind

        let mail = try ParsedMail.parse(file: file)
        #expect(mail.subject == subject)
        #expect(mail.text == text)
        #expect(mail.from == "no-reply@gatehouse.test")
        #expect(mail.from_name == "Gatehouse")
        #expect(mail.message_id == first.messageID)
        #expect(mail.defects == 0)

        let attributes = try FileManager.default.attributesOfItem(atPath: file)
        #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)
        let folderAttributes = try FileManager.default.attributesOfItem(atPath: folder)
        #expect((folderAttributes[.posixPermissions] as? NSNumber)?.intValue == 0o700)
    }

    @Test func aStableIDLeftGivesTheSameMessageIDEveryTime() async throws {
        let folder = temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: (folder as NSString).deletingLastPathComponent) }
        let mailer = FileMailer(directory: folder, sender: try MailAddress("no-reply@gatehouse.test"))
        let message = MailMessage(to: [try MailAddress("owner@example.test")], subject: "Lần một", text: "1", idLeft: "gh-outbox-42-1795718669175")
        let first = try await mailer.send(message, logger: testLogger)
        let again = try await mailer.send(message, logger: testLogger)
        #expect(first.messageID == "<gh-outbox-42-1795718669175@gatehouse.test>")
        #expect(again.messageID == first.messageID)
        #expect(try ParsedMail.parse(file: try #require(again.file)).message_id == first.messageID)
        for bad in ["", "a b", "x>y", "id@host", String(repeating: "a", count: 65), "ký"] {
            let refused = MailMessage(to: [try MailAddress("owner@example.test")], subject: "x", text: "x", idLeft: bad)
            await #expect(throws: MailerError.self, "idLeft \(bad)") { try await mailer.send(refused, logger: testLogger) }
        }
    }

    @Test func aFileInPlaceOfTheFolderIsAWriteError() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("gatehouse-mail-\(UUID().uuidString)").path
        _ = FileManager.default.createFile(atPath: path, contents: Data("not a folder".utf8))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let mailer = FileMailer(directory: path, sender: try MailAddress("no-reply@gatehouse.test"))
        let error = await #expect(throws: MailerError.self) {
            try await mailer.send(MailMessage(to: [try MailAddress("a@example.test")], subject: "x", text: "y"), logger: testLogger)
        }
        #expect(error?.code == .writeFailed)
    }
}
