// Copyright (c) the Gatehouse authors
public import GatehouseCore

/// An error from building or sending an e-mail.
///
/// Three layers, from safest to most sensitive:
/// - ``code``: stable and low-cardinality (metrics labels, an outbox row's `last_error`);
/// - ``smtpCode``: the server's reply code when it refused the message (`550`), also safe to show;
/// - ``detail``: libcurl's or the server's text, only in `debugDescription` (for logs). It never holds the
///   SMTP password: the password is handed to libcurl as an option, never as part of a URL or message.
public struct MailerError: Error, Hashable, CustomStringConvertible, CustomDebugStringConvertible {
    /// A stable, low-cardinality code.
    public enum Code: String, ErrorCode {
        /// An address is not a plain `local@domain` (ASCII) address.
        case invalidAddress
        /// A header value (subject, display name, address) contains CR or LF: refused, never folded or stripped,
        /// because a line break in a header lets the author of that value add headers or recipients.
        case headerInjection
        /// The message cannot be sent as built (no recipient, a body with a NUL byte, …).
        case invalidMessage
        /// The SMTP URL or options are unusable.
        case invalidConfiguration
        /// The server could not be reached, or the connection broke before the message was accepted.
        case connectionFailed
        /// TLS could not be set up (certificate not trusted, STARTTLS required but not offered, …).
        case tlsFailed
        /// The server refused the user name and password.
        case authenticationFailed
        /// The server refused the sender, a recipient or the message; ``MailerError/smtpCode`` holds its reply code.
        case rejected
        /// The connection or the whole exchange took longer than the configured timeout.
        case timeout
        /// A message file could not be written (``FileMailer``).
        case writeFailed
        /// libcurl could not be initialised or used (a bug or resource exhaustion, not the server's doing).
        case internalError
    }

    /// What went wrong.
    public let code: Code
    /// The SMTP reply code for ``Code/rejected`` (and for other failures when the server had answered), else `nil`.
    public let smtpCode: Int?
    /// Library or server text, for logs only (``debugDescription``).
    public let detail: String

    public init(code: Code, smtpCode: Int? = nil, detail: String = "") {
        self.code = code
        self.smtpCode = smtpCode
        self.detail = detail
    }

    public static let invalidAddress = MailerError(code: .invalidAddress)
    public static let headerInjection = MailerError(code: .headerInjection)
    public static let connectionFailed = MailerError(code: .connectionFailed)
    public static let timeout = MailerError(code: .timeout)

    /// The server refused with `smtpCode`.
    public static func rejected(smtpCode: Int, detail: String = "") -> MailerError {
        MailerError(code: .rejected, smtpCode: smtpCode, detail: detail)
    }

    /// Whether trying again later may succeed: `false` for faults in the message itself and for permanent (5xx)
    /// refusals, which would fail the same way on every attempt.
    public var isRetryable: Bool {
        switch code {
        case .invalidAddress, .headerInjection, .invalidMessage: false
        case .rejected: (smtpCode ?? 0) < 500
        default: true
        }
    }

    /// Generic and safe to show or store: the code and, for refusals, the SMTP reply code.
    public var description: String {
        if let smtpCode { return "MailerError(\(code) \(smtpCode))" }
        return "MailerError(\(code))"
    }

    public var debugDescription: String {
        detail.isEmpty ? description : "\(description) [\(detail)]"
    }

    /// Equality compares code and SMTP reply code only, so `#expect(throws: MailerError.headerInjection)` works
    /// whatever the detail text.
    public static func == (lhs: MailerError, rhs: MailerError) -> Bool {
        lhs.code == rhs.code && lhs.smtpCode == rhs.smtpCode
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(code)
        hasher.combine(smtpCode)
    }
}
