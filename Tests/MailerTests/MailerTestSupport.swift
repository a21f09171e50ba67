// Copyright (c) the Gatehouse authors
import Foundation
import Logging
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The SMTP sink started by `scripts/smtp-test-server start DIR` (its env file names it):
/// - `GATEHOUSE_TEST_SMTP_URL` / `GATEHOUSE_TEST_SMTP_MAILDIR` set → SMTP tests run against it;
/// - unset and `CI=true` → SMTP tests **fail**, saying what is missing;
/// - unset elsewhere → SMTP tests are skipped with that reason.
enum SMTPSink {
    static let urlVariable = "GATEHOUSE_TEST_SMTP_URL"
    static let maildirVariable = "GATEHOUSE_TEST_SMTP_MAILDIR"

    /// The sink's URL. The sink is plain SMTP, so the URL says `?tls=none` (added here when an older env file lacks it).
    static var url: String? {
        guard let url = ProcessInfo.processInfo.environment[urlVariable].flatMap({ $0.isEmpty ? nil : $0 }) else { return nil }
        return url.contains("?") ? url : url + "?tls=none"
    }

    /// The sink's URL without options (`smtp://127.0.0.1:PORT`), for tests that choose the TLS mode themselves.
    static var baseURL: String? { url.map { String($0.prefix { $0 != "?" }) } }
    static var maildir: String? { ProcessInfo.processInfo.environment[maildirVariable].flatMap { $0.isEmpty ? nil : $0 } }

    static var isCI: Bool {
        let value = ProcessInfo.processInfo.environment["CI"]?.lowercased()
        return value == "true" || value == "1"
    }

    static var enabled: Bool { (url != nil && maildir != nil) || isCI }

    static let skipReason: Comment = """
        \(urlVariable) / \(maildirVariable) are not set: SMTP tests skipped. Start the sink with \
        `scripts/smtp-test-server start /tmp/gh-smtp` and export the variables in /tmp/gh-smtp/env \
        (with CI=true a missing sink is a failure, not a skip).
        """

    struct NotConfigured: Error, CustomStringConvertible {
        var description: String {
            "\(SMTPSink.urlVariable) and \(SMTPSink.maildirVariable) must be set on CI: start `scripts/smtp-test-server start DIR` "
                + "and export the variables from DIR/env."
        }
    }

    /// The sink's URL and folder, or an error on CI.
    static func configured() throws -> (url: String, maildir: String) {
        guard let url, let maildir else { throw NotConfigured() }
        return (url, maildir)
    }

    /// A received message: the raw `.eml` path and its SMTP envelope.
    struct Received {
        let path: String
        let mailFrom: String
        let recipients: [String]
    }

    /// Messages in the sink whose envelope has a recipient containing `token` (each test uses its own token, so tests
    /// running in parallel never see each other's mail). The sink writes a message before it answers 250, so a
    /// message whose send returned is already there.
    static func messages(to token: String) throws -> [Received] {
        let (_, folder) = try configured()
        var found: [Received] = []
        for name in try FileManager.default.contentsOfDirectory(atPath: folder) where name.hasSuffix(".eml") {
            let base = String(name.dropLast(4))
            let envelope = try Data(contentsOf: URL(fileURLWithPath: "\(folder)/\(base).json"))
            guard let object = try JSONSerialization.jsonObject(with: envelope) as? [String: Any],
                let recipients = object["rcpt_tos"] as? [String], recipients.contains(where: { $0.contains(token) })
            else { continue }
            found.append(Received(path: "\(folder)/\(name)", mailFrom: object["mail_from"] as? String ?? "", recipients: recipients))
        }
        return found
    }
}

/// A message decoded by Python's standard `email` package — an independent MIME implementation, so the tests check
/// what real mail software reads, not what our own encoder believes it wrote.
struct ParsedMail: Decodable {
    let subject: String
    let from: String
    let from_name: String
    let to: [String]
    let text: String?
    let html: String?
    let content_type: String
    let message_id: String?
    let date: String?
    let auto_submitted: String?
    let defects: Int
    let longest_line: Int
    let ascii_only: Bool

    static let script = #"""
        import email, email.policy, email.utils, json, sys
        raw = open(sys.argv[1], 'rb').read()
        msg = email.message_from_bytes(raw, policy=email.policy.default)
        def content(kind):
            part = msg.get_body(preferencelist=(kind,))
            # MIME text travels with CRLF line ends (its canonical form); compare as a reader sees it.
            return part.get_content().replace('\r\n', '\n') if part is not None and part.get_content_subtype() == kind else None
        name, address = email.utils.parseaddr(str(msg['from']))
        defects = len(msg.defects) + sum(len(p.defects) for p in msg.walk())
        print(json.dumps({
            'subject': str(msg['subject']), 'from': address, 'from_name': name,
            'to': [a for _, a in email.utils.getaddresses([str(msg['to'])])],
            'text': content('plain'), 'html': content('html'), 'content_type': msg.get_content_type(),
            'message_id': msg['message-id'], 'date': msg['date'], 'auto_submitted': msg['auto-submitted'],
            'defects': defects, 'longest_line': max(len(l) for l in raw.split(b'\r\n')),
            'ascii_only': all(b < 128 for b in raw)}))
        """#

    static func parse(file path: String) throws -> ParsedMail {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        process.arguments = ["-c", script, path]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw PythonFailed(status: process.terminationStatus) }
        return try JSONDecoder().decode(ParsedMail.self, from: data)
    }

    struct PythonFailed: Error {
        let status: Int32
    }
}

/// A loopback TCP port nothing listens on: bound to find a free number, then closed.
func closedLoopbackPort() throws -> Int {
    let (fd, port) = try listeningSocket()
    close(fd)
    return port
}

/// A loopback socket that listens but never accepts or greets: a server that hangs.
func listeningSocket() throws -> (fd: Int32, port: Int) {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw POSIXError(.EIO) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = 0
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) }
    }
    guard bound == 0, listen(fd, 4) == 0 else {
        close(fd)
        throw POSIXError(.EADDRINUSE)
    }
    let named = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
    }
    guard named == 0 else {
        close(fd)
        throw POSIXError(.EIO)
    }
    return (fd, Int(UInt16(bigEndian: address.sin_port)))
}

/// A one-connection SMTP server that offers AUTH but not STARTTLS — what a man in the middle shows after stripping
/// STARTTLS from the real server's EHLO answer — and records every byte the client sends.
///
/// It is a Python script on `/usr/bin/python3` (standard library only): it prints its port, serves one connection
/// (answering AUTH PLAIN/LOGIN with 235 and the rest with 250/354/221) and, when the client has closed, prints the
/// whole transcript and exits. ``transcript()`` waits for that exit, so every byte the client sent is in it.
final class RecordingSMTPServer {
    let port: Int
    private let process: Process
    private let output: FileHandle

    static let script = #"""
        import base64, json, socket, sys
        listener = socket.socket()
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        listener.settimeout(20)
        print(listener.getsockname()[1], flush=True)
        received = b""
        try:
            conn, _ = listener.accept()
            conn.settimeout(20)
            conn.sendall(b"220 relay.test ESMTP\r\n")
            buffer, state = b"", "command"
            while True:
                chunk = conn.recv(65536)
                if not chunk:
                    break
                received += chunk
                buffer += chunk
                while b"\r\n" in buffer:
                    line, buffer = buffer.split(b"\r\n", 1)
                    verb = line.split(b" ")[0].upper()
                    if state == "data":
                        if line == b".":
                            state = "command"; conn.sendall(b"250 2.0.0 queued\r\n")
                    elif state == "login-user":
                        state = "login-pass"; conn.sendall(b"334 UGFzc3dvcmQ6\r\n")
                    elif state in ("login-pass", "plain"):
                        state = "command"; conn.sendall(b"235 2.7.0 accepted\r\n")
                    elif verb == b"EHLO":
                        conn.sendall(b"250-relay.test\r\n250-AUTH PLAIN LOGIN\r\n250 SIZE 10000000\r\n")
                    elif verb == b"AUTH":
                        words = line.split(b" ")
                        mechanism = words[1].upper() if len(words) > 1 else b""
                        if mechanism == b"LOGIN":
                            state = "login-user"; conn.sendall(b"334 VXNlcm5hbWU6\r\n")
                        elif len(words) > 2:
                            conn.sendall(b"235 2.7.0 accepted\r\n")
                        else:
                            state = "plain"; conn.sendall(b"334 \r\n")
                    elif verb == b"DATA":
                        state = "data"; conn.sendall(b"354 go ahead\r\n")
                    elif verb == b"QUIT":
                        conn.sendall(b"221 bye\r\n")
                    elif verb == b"STARTTLS":
                        conn.sendall(b"502 5.5.1 not offered\r\n")
                    else:
                        conn.sendall(b"250 OK\r\n")
        except (socket.timeout, OSError):
            pass
        print(json.dumps(base64.b64encode(received).decode()), flush=True)
        """#

    init() throws {
        process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        process.arguments = ["-c", Self.script]
        let pipe = Pipe()
        process.standardOutput = pipe
        output = pipe.fileHandleForReading
        try process.run()
        // The first line is the port.
        var line = Data()
        while let byte = try output.read(upToCount: 1), let first = byte.first, first != UInt8(ascii: "\n") { line.append(first) }
        guard let port = Int(String(decoding: line, as: UTF8.self)) else {
            process.terminate()
            throw ParsedMail.PythonFailed(status: -1)
        }
        self.port = port
    }

    /// Every byte the client sent, once it has closed the connection (the script then exits).
    func transcript() throws -> String {
        let data = output.readDataToEndOfFile()
        process.waitUntilExit()
        let encoded = try JSONDecoder().decode(String.self, from: data)
        return String(decoding: Data(base64Encoded: encoded) ?? Data(), as: UTF8.self)
    }
}

extension Trait where Self == ConditionTrait {
    /// Runs when the SMTP sink is configured (always on CI, where a missing sink fails the test).
    static var smtpSinkAvailable: Self { .enabled(if: SMTPSink.enabled, SMTPSink.skipReason) }
}

let testLogger = Logger(label: "gatehouse.mailer.test", factory: { _ in SwiftLogNoOpLogHandler() })
