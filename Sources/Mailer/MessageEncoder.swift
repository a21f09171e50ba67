// Copyright (c) the Gatehouse authors
import GatehouseCore

/// A message turned into RFC 5322 bytes, with its SMTP envelope.
struct EncodedMessage: Sendable, Hashable {
    /// `<random@domain>`.
    let messageID: String
    /// The whole message, CRLF line ends, every line ≤ 78 characters except where an address or the Message-ID, which
    /// cannot be folded, is longer (a long domain); never more than 998.
    let bytes: [UInt8]
    /// The recipients' addresses, for `RCPT TO`.
    let recipients: [String]
}

/// Builds RFC 5322 / MIME messages that every mail client reads the same way:
/// - headers are 7-bit ASCII: a subject or display name that is not short plain ASCII becomes RFC 2047
///   encoded-words (`=?utf-8?B?…?=`, base64, each ≤ 75 characters and holding whole characters), folded onto
///   continuation lines;
/// - bodies are `text/plain; charset=utf-8` (plus `text/html` in a `multipart/alternative` when given), CRLF line
///   ends, `Content-Transfer-Encoding: base64` in lines of 76 — so no body line can start with a dot, exceed a
///   server's line limit or be altered by a relay;
/// - `Date`, a random `Message-ID`, `MIME-Version` and `Auto-Submitted: auto-generated` (RFC 3834: auto-responders
///   must not answer, which prevents mail loops with vacation replies).
///
/// Header injection: a CR or LF in any header value throws ``MailerError/Code/headerInjection``; nothing is
/// stripped or folded away silently.
enum MessageEncoder {
    /// Longest header line we write (RFC 5322 recommends 78).
    static let maximumLineLength = 78

    /// Encodes `message`; `from` is used when the message names no sender.
    /// - Parameters:
    ///   - unixSeconds: the `Date:` header's time.
    ///   - random: source of the Message-ID and MIME boundary (the system's CSPRNG in production).
    static func encode(
        _ message: MailMessage, defaultFrom: MailAddress, unixSeconds: Int64, random: inout some RandomNumberGenerator
    ) throws(MailerError) -> EncodedMessage {
        let from = message.from ?? defaultFrom
        guard !message.to.isEmpty else { throw MailerError(code: .invalidMessage, detail: "no recipient") }
        if MailAddress.hasLineBreak(message.subject) { throw .headerInjection }

        if let idLeft = message.idLeft,
            idLeft.isEmpty || idLeft.utf8.count > 64
                || !idLeft.unicodeScalars.allSatisfy({ $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || ".-_".unicodeScalars.contains($0)) })
        {
            throw MailerError(code: .invalidMessage, detail: "Message-ID left part must be 1 to 64 of letters, digits and .-_")
        }
        let messageID = "<\(message.idLeft ?? hex(randomBytes(16, &random)))@\(from.domain)>"
        var header = ""
        func add(_ name: String, _ value: String) { header += "\(name): \(value)\r\n" }
        add("Date", rfc5322Date(unixSeconds: unixSeconds))
        add("From", mailbox(from, headerName: "From"))
        add("To", message.to.map { mailbox($0, headerName: "To") }.joined(separator: ",\r\n "))
        if let replyTo = message.replyTo { add("Reply-To", mailbox(replyTo, headerName: "Reply-To")) }
        add("Subject", unstructured(message.subject, headerName: "Subject"))
        add("Message-ID", messageID)
        add("MIME-Version", "1.0")
        add("Auto-Submitted", "auto-generated")

        var body = ""
        if let html = message.html {
            let boundary = "=_gh_" + hex(randomBytes(12, &random))
            add("Content-Type", "multipart/alternative;\r\n boundary=\"\(boundary)\"")
            body += "This is a multipart message in MIME format.\r\n"
            body += "--\(boundary)\r\n" + part(message.text, subtype: "plain")
            body += "--\(boundary)\r\n" + part(html, subtype: "html")
            body += "--\(boundary)--\r\n"
        } else {
            add("Content-Type", "text/plain; charset=utf-8")
            add("Content-Transfer-Encoding", "base64")
            body = base64Lines(Array(crlf(message.text).utf8))
        }
        let bytes = Array((header + "\r\n" + body).utf8)
        return EncodedMessage(messageID: messageID, bytes: bytes, recipients: message.to.map(\.address))
    }

    // MARK: Headers

    /// `Name <address>`, the name as a quoted string (plain ASCII, when `headerName: "name" <address>` fits one line as
    /// written, escapes included) or encoded-words (anything else).
    static func mailbox(_ mailbox: MailAddress, headerName: String) -> String {
        guard let name = mailbox.displayName else { return mailbox.address }
        if name.unicodeScalars.allSatisfy({ (0x20...0x7E).contains($0.value) }), !name.contains("=?") {
            let phrase = "\"" + name.replacingBackslashAndQuote() + "\""
            if headerName.utf8.count + 2 + phrase.utf8.count + 2 + mailbox.address.utf8.count + 1 <= maximumLineLength {
                return "\(phrase) <\(mailbox.address)>"
            }
        }
        // The address goes on its own continuation line, so no line passes 78 characters.
        return encodedWords(name, firstLinePrefix: headerName.count + 2) + "\r\n <\(mailbox.address)>"
    }

    /// An unstructured header value (the subject): as is when short plain ASCII, else encoded-words.
    static func unstructured(_ text: String, headerName: String) -> String {
        if text.unicodeScalars.allSatisfy({ (0x20...0x7E).contains($0.value) }), !text.contains("=?"),
            headerName.count + 2 + text.count <= maximumLineLength
        {
            return text
        }
        return encodedWords(text, firstLinePrefix: headerName.count + 2)
    }

    /// RFC 2047 `B` encoded-words, each holding whole Unicode scalars, separated by CRLF SP (folding whitespace,
    /// which decoders drop between adjacent encoded-words). Each word is at most 75 characters and the first line
    /// stays within 78 after its header name.
    static func encodedWords(_ text: String, firstLinePrefix: Int) -> String {
        let overhead = "=?utf-8?B??=".count
        // 45 bytes → 60 base64 characters → 72-character word: fits a continuation line (1 space + 72 ≤ 78).
        let maximumChunk = 45
        // The first word shares its line with "Subject: ".
        var budget = max(3, (maximumLineLength - firstLinePrefix - overhead) / 4 * 3)
        budget = min(budget, maximumChunk)
        var words: [String] = []
        var chunk: [UInt8] = []
        for scalar in text.unicodeScalars {
            let bytes = Array(String(scalar).utf8)
            if chunk.count + bytes.count > budget, !chunk.isEmpty {
                words.append("=?utf-8?B?\(Base64Text.encode(chunk))?=")
                chunk = []
                budget = maximumChunk
            }
            chunk += bytes
        }
        if !chunk.isEmpty || words.isEmpty { words.append("=?utf-8?B?\(Base64Text.encode(chunk))?=") }
        return words.joined(separator: "\r\n ")
    }

    /// `Thu, 26 Nov 2026 17:19:43 +0000`.
    static func rfc5322Date(unixSeconds: Int64) -> String {
        let t = CivilDateTime(unixSeconds: unixSeconds)
        let weekdays = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        func two(_ value: Int) -> String { value < 10 ? "0\(value)" : String(value) }
        return "\(weekdays[t.weekday]), \(t.day) \(months[t.month - 1]) \(t.year) \(two(t.hour)):\(two(t.minute)):\(two(t.second)) +0000"
    }

    // MARK: Bodies

    private static func part(_ text: String, subtype: String) -> String {
        "Content-Type: text/\(subtype); charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n" + base64Lines(Array(crlf(text).utf8))
    }

    /// The text with every line end (`\r\n`, `\n`, lone `\r`) as CRLF: the canonical form of text in MIME.
    static func crlf(_ text: String) -> String {
        var result = ""
        result.reserveCapacity(text.utf8.count + 16)
        var previousWasCR = false
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\r":
                result += "\r\n"
                previousWasCR = true
            case "\n":
                if !previousWasCR { result += "\r\n" }
                previousWasCR = false
            default:
                result.unicodeScalars.append(scalar)
                previousWasCR = false
            }
        }
        return result
    }

    /// Base64 in lines of 76 characters, each ended by CRLF.
    static func base64Lines(_ bytes: [UInt8]) -> String {
        let encoded = Array(Base64Text.encode(bytes).utf8)
        var result = ""
        result.reserveCapacity(encoded.count + encoded.count / 76 * 2 + 2)
        var start = 0
        while start < encoded.count {
            let end = min(start + 76, encoded.count)
            result += String(decoding: encoded[start..<end], as: UTF8.self) + "\r\n"
            start = end
        }
        return result
    }

    // MARK: Helpers

    static func randomBytes(_ count: Int, _ random: inout some RandomNumberGenerator) -> [UInt8] {
        (0..<count).map { _ in UInt8.random(in: .min ... .max, using: &random) }
    }

    static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        return String(decoding: bytes.flatMap { [digits[Int($0 >> 4)], digits[Int($0 & 15)]] }, as: UTF8.self)
    }
}

extension String {
    /// The text with `\` and `"` escaped, for an RFC 5322 quoted string.
    fileprivate func replacingBackslashAndQuote() -> String {
        var result = ""
        for character in self {
            if character == "\\" || character == "\"" { result.append("\\") }
            result.append(character)
        }
        return result
    }
}
