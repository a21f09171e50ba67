// Copyright (c) the Gatehouse authors
import Foundation
import FuzzSupport
@testable import Mailer

/// The mail address parser (``MailAddress``) and the header encoder that writes stranger text (a renter's or owner's
/// display name, a subject) into a message. The input is `address 0x00 display name 0x00 subject`.
///
/// Invariants: CR or LF anywhere is refused as header injection; an accepted address is plain ASCII `local@domain`,
/// trimmed, at most 254 bytes, and parsing it again gives the same value; an encoded message's header is 7-bit ASCII
/// with CRLF line ends only, lines within 78 characters (unless a long domain, which cannot be folded, is on the line),
/// and the subject and display name decode back (quoted string or RFC 2047 encoded-words) to exactly what was given.
@_cdecl("FuzzMailAddress_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    runFuzzer(argc, argv) { data, size in fuzz(data, size) }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let fields = parts(bytes(data, size), count: 3)
    let address = text(fields[0])
    let name: String? = fields[1].isEmpty ? nil : text(fields[1])
    let subject = text(fields[2])

    let parsed: MailAddress
    do throws(MailerError) {
        parsed = try MailAddress(address, displayName: name)
    } catch {
        let breaks = MailAddress.hasLineBreak(address) || name.map(MailAddress.hasLineBreak) == true
        invariant((error.code == .headerInjection) == breaks, "CR/LF refusal is \(error.code) for breaks=\(breaks)")
        return 0
    }
    invariant(!MailAddress.hasLineBreak(address) && name.map(MailAddress.hasLineBreak) != true, "a CR/LF was accepted")
    let a = parsed.address
    invariant(a.utf8.allSatisfy { $0 > 0x20 && $0 < 0x7F }, "address holds a non-ASCII, space or control byte: \(a.debugDescription)")
    invariant(a.utf8.count <= MailAddress.maximumLength, "address longer than the maximum")
    invariant(a.contains("@") && !parsed.domain.isEmpty && a.hasSuffix("@" + parsed.domain), "domain is not after the last @")
    if let displayName = parsed.displayName {
        invariant(!displayName.isEmpty, "empty display name kept")
        invariant(!displayName.unicodeScalars.contains { $0.properties.generalCategory == .control }, "control character in a name")
        invariant(displayName.unicodeScalars.first?.properties.isWhitespace == false && displayName.unicodeScalars.last?.properties.isWhitespace == false, "name not trimmed")
    }
    let again = try? MailAddress(parsed.address, displayName: parsed.displayName)
    invariant(again == parsed, "parsing an accepted address again changed it")

    var random = SystemRandomNumberGenerator()
    let message = MailMessage(from: parsed, to: [parsed], replyTo: parsed, subject: subject, text: "body")
    let encoded: EncodedMessage
    do throws(MailerError) {
        encoded = try MessageEncoder.encode(message, defaultFrom: parsed, unixSeconds: 1_750_000_000, random: &random)
    } catch {
        invariant(error.code == .headerInjection && MailAddress.hasLineBreak(subject), "encoding refused: \(error)")
        return 0
    }
    invariant(!MailAddress.hasLineBreak(subject), "a subject with CR/LF was encoded")
    let bytes = encoded.bytes
    guard let end = bytes.indices.first(where: { bytes[$0...].starts(with: Array("\r\n\r\n".utf8)) }) else {
        invariant(false, "no end of header")
        return 0
    }
    let header = Array(bytes[..<(end + 2)])
    invariant(header.allSatisfy { $0 < 0x80 }, "header is not 7-bit")
    let lines = splitCRLF(header)
    for line in lines {
        invariant(!line.contains(0x0D) && !line.contains(0x0A), "bare CR or LF in the header")
        // An address or a Message-ID cannot be folded: a long domain may carry its line past 78, never past 998.
        invariant(line.count <= 78 || (line.count <= 998 && line.count - parsed.domain.utf8.count <= 78), "header line of \(line.count) characters: \(text(line).debugDescription)")
    }
    let fields_ = unfold(lines)
    invariant(decodeUnstructured(fields_["Subject"] ?? "") == subject, "subject does not decode back: \(fields_["Subject"] ?? "-")")
    if let displayName = parsed.displayName, let from = fields_["From"] {
        invariant(decodeMailbox(from, address: a) == displayName, "display name does not decode back: \(from.debugDescription)")
    }
    return 0
}

private func splitCRLF(_ header: [UInt8]) -> [[UInt8]] {
    var lines: [[UInt8]] = []
    var current: [UInt8] = []
    var i = 0
    while i < header.count {
        if header[i] == 0x0D, i + 1 < header.count, header[i + 1] == 0x0A {
            lines.append(current)
            current = []
            i += 2
        } else {
            current.append(header[i])
            i += 1
        }
    }
    if !current.isEmpty { lines.append(current) }
    return lines
}

/// Header fields by name, continuation lines joined (the CRLF removed, the leading space kept).
private func unfold(_ lines: [[UInt8]]) -> [String: String] {
    var fields: [String: String] = [:]
    var name = ""
    for line in lines.map(text) {
        if line.hasPrefix(" "), !name.isEmpty {
            fields[name, default: ""] += line
        } else if let colon = line.firstIndex(of: ":") {
            name = String(line[..<colon])
            fields[name] = String(line[line.index(colon, offsetBy: 2)...])
        }
    }
    return fields
}

/// RFC 2047: a run of `=?utf-8?B?…?=` words separated by folding white space is the concatenation of their bytes.
private func decodeWords(_ value: String) -> String? {
    let words = value.split(separator: " ")
    guard !words.isEmpty, words.allSatisfy({ $0.hasPrefix("=?utf-8?B?") && $0.hasSuffix("?=") }) else { return nil }
    var bytes: [UInt8] = []
    for word in words {
        guard let data = Data(base64Encoded: String(word.dropFirst(10).dropLast(2))) else { return nil }
        bytes += data
    }
    return String(validating: bytes, as: UTF8.self)
}

private func decodeUnstructured(_ value: String) -> String? {
    value.hasPrefix("=?utf-8?B?") ? decodeWords(value) : value
}

/// The display name of `"name" <address>` or `=?utf-8?B?…?= <address>`.
private func decodeMailbox(_ value: String, address: String) -> String? {
    guard value.hasSuffix(" <\(address)>") else { return nil }
    let phrase = String(value.dropLast(address.count + 3))
    if phrase.hasPrefix("\""), phrase.hasSuffix("\""), phrase.count >= 2 {
        var out = ""
        var escaped = false
        for c in phrase.dropFirst().dropLast() {
            if escaped || c != "\\" {
                out.append(c)
                escaped = false
            } else {
                escaped = true
            }
        }
        return out
    }
    return decodeWords(phrase)
}
