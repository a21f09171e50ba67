// Copyright (c) the Gatehouse authors
import GatehouseCore

/// Where and how ``SMTPMailer`` delivers: parsed from an SMTP URL.
///
/// TLS is the default, because the connection carries the login and the renters' links (with their tokens): an
/// opportunistic STARTTLS is stripped by anyone on the path, and libcurl would then log in and send in clear.
///
/// URL forms:
/// - `smtp://host[:port]` (port 25 by default) or `smtp://host:587?tls=required`: STARTTLS is mandatory (the send
///   fails with ``MailerError/Code/tlsFailed`` when the server does not offer it);
/// - `smtps://host[:port]` (port 465 by default): TLS from the first byte;
/// - `smtp://host[:port]?tls=none`: plain SMTP, never upgraded — only for a relay on the same machine or network;
/// - `smtp://host[:port]?tls=try`: STARTTLS when the server offers it, plain otherwise.
///
/// `user:password@` before the host logs in (percent-encode reserved characters: `p%40ss` for `p@ss`); credentials
/// require TLS, so `tls=none` and `tls=try` with credentials are configuration errors. Certificates are always
/// verified. The password is never printed: not by ``description``, not by `dump`, not in errors.
public struct MailerConfiguration: Sendable, CustomStringConvertible, CustomReflectable {
    /// How the connection is protected.
    public enum TLSMode: String, Sendable, Hashable {
        /// Plain SMTP, no STARTTLS (`smtp://…?tls=none`); never with credentials.
        case plain
        /// STARTTLS when the server offers it, plain otherwise (`smtp://…?tls=try`); never with credentials.
        case startTLSIfOffered
        /// STARTTLS or fail (`smtp://`, `smtp://…?tls=required`).
        case startTLSRequired
        /// TLS from the start (`smtps://`).
        case implicitTLS
    }

    /// Host name or IP address (IPv6 without brackets).
    public var host: String
    public var port: Int
    public var tls: TLSMode
    /// The login name, percent-decoded; `nil` for no login.
    public var username: String?
    /// The login password, percent-decoded. Not part of ``description`` or the mirror.
    var password: String?
    /// The envelope sender (`MAIL FROM`, where bounces go) and the default `From:` header.
    public var from: MailAddress
    /// Longest wait for the TCP (and TLS) connection.
    public var connectTimeout: Duration
    /// Longest wait for the whole exchange, connection included. Keep it below the outbox lease.
    public var timeout: Duration

    /// Parses `url`.
    /// - Parameters:
    ///   - url: `smtp://[user[:password]@]host[:port][?tls=required|none|try]` or `smtps://…`.
    ///   - from: the sender address.
    /// - Throws: ``MailerError/Code/invalidConfiguration`` saying what is wrong, never repeating the URL (it may hold a
    ///   password).
    public init(url: String, from: MailAddress, connectTimeout: Duration = .seconds(10), timeout: Duration = .seconds(60)) throws(MailerError) {
        func invalid(_ problem: String) -> MailerError {
            MailerError(code: .invalidConfiguration, detail: "SMTP URL \(problem) (the URL is not shown: it may hold a password)")
        }
        guard let colon = url.firstIndex(of: ":"), url[colon...].hasPrefix("://") else { throw invalid("must start with smtp:// or smtps://") }
        let scheme = url[..<colon].lowercased()
        guard scheme == "smtp" || scheme == "smtps" else { throw invalid("must start with smtp:// or smtps://") }
        var rest = url[url.index(colon, offsetBy: 3)...]

        // The password may hold unencoded '/' or '?', so the credentials end at the last '@' before the host.
        var credentials: Substring? = nil
        if let at = rest.lastIndex(of: "@") {
            credentials = rest[..<at]
            rest = rest[rest.index(after: at)...]
        }
        var query: Substring = ""
        if let mark = rest.firstIndex(of: "?") {
            query = rest[rest.index(after: mark)...]
            rest = rest[..<mark]
        }
        if let slash = rest.firstIndex(of: "/") {
            guard rest[slash...].allSatisfy({ $0 == "/" }) else { throw invalid("must not have a path") }
            rest = rest[..<slash]
        }

        // Host and port.
        let host: Substring
        let portText: Substring?
        do {
            (host, portText) = try URLAuthority.splitHostPort(rest)
        } catch {
            throw invalid(error == .unterminatedIPv6 ? "has an unterminated IPv6 address" : "has text after the IPv6 address")
        }
        guard !host.isEmpty, host.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "-.:_".contains($0)) }) else {
            throw invalid("has no valid host")
        }
        var port = scheme == "smtps" ? 465 : 25
        if let portText {
            guard let value = Int(portText), (1...65535).contains(value) else { throw invalid("has an invalid port") }
            port = value
        }

        var tls: TLSMode = scheme == "smtps" ? .implicitTLS : .startTLSRequired
        for item in query.split(separator: "&") where !item.isEmpty {
            let pair = item.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            switch (pair[0], pair.count == 2 ? pair[1] : "") {
            case ("tls", "required"):
                break
            case ("tls", let option) where option == "try" || option == "none":
                guard scheme == "smtp" else { throw invalid("uses smtps://, which is always TLS: tls=\(option) does not apply") }
                tls = option == "try" ? .startTLSIfOffered : .plain
            case ("tls", _):
                throw invalid("has an invalid tls option (use tls=required, tls=none or tls=try)")
            default:
                throw invalid("has an unknown option (only tls=required|none|try is known)")
            }
        }

        var username: String? = nil
        var password: String? = nil
        if let credentials, !credentials.isEmpty {
            let parts = credentials.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
            guard let user = PercentDecoding.decode(parts[0]), !user.isEmpty else { throw invalid("has an invalid user name") }
            username = user
            if parts.count == 2 {
                guard let secret = PercentDecoding.decode(parts[1]) else { throw invalid("has an invalid percent-encoding in the password") }
                password = secret
            }
            if MailAddress.hasLineBreak(user) || (password.map(MailAddress.hasLineBreak) ?? false) {
                throw invalid("has a line break in the credentials")
            }
            // A login over a connection that may be plain would hand the password to anyone on the path.
            guard tls == .startTLSRequired || tls == .implicitTLS else {
                throw invalid("has credentials with tls=none or tls=try: a login needs TLS (drop the option, or use smtps://)")
            }
        }

        self.host = String(host)
        self.port = port
        self.tls = tls
        self.username = username
        self.password = password
        self.from = from
        self.connectTimeout = connectTimeout
        self.timeout = timeout
    }

    /// Whether a password is configured.
    public var hasPassword: Bool { password != nil }

    /// The URL handed to libcurl: scheme, host and port only (credentials go through their own options).
    var curlURL: String {
        let scheme = tls == .implicitTLS ? "smtps" : "smtp"
        let hostPart = host.contains(":") ? "[\(host)]" : host
        return "\(scheme)://\(hostPart):\(port)"
    }

    /// `smtp://mail.example.vn:587 (STARTTLS required, user noreply, password set)`: safe to log.
    public var description: String {
        let security =
            switch tls {
            case .plain: "plain, no TLS"
            case .startTLSIfOffered: "STARTTLS if offered, else plain"
            case .startTLSRequired: "STARTTLS required"
            case .implicitTLS: "TLS"
            }
        var text = "\(curlURL) (\(security)"
        if let username { text += ", user \(username)" }
        if password != nil { text += ", password set" }
        return text + ")"
    }

    /// Reflection (`dump`, debuggers) shows the same fields as ``description``, never the password.
    public var customMirror: Mirror {
        Mirror(
            self,
            children: [
                "host": host, "port": port, "tls": tls, "username": username as Any, "hasPassword": hasPassword, "from": from,
                "connectTimeout": connectTimeout, "timeout": timeout,
            ], displayStyle: .struct)
    }
}
