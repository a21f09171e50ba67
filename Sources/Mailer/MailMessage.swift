// Copyright (c) the Gatehouse authors
public import Logging

/// One e-mail: sender, recipients, a UTF-8 subject, a plain-text body and an optional HTML alternative.
///
/// Values are checked when the message is encoded (``MailTransport/send(_:logger:)``): a CR or LF in the subject is
/// refused with ``MailerError/Code/headerInjection``; addresses were already checked when they were made.
public struct MailMessage: Sendable, Hashable {
    /// The `From:` header; `nil` uses the transport's ``MailTransport/sender``.
    public var from: MailAddress?
    /// The `To:` recipients (at least one). Every recipient sees the others.
    public var to: [MailAddress]
    /// An optional `Reply-To:` (e.g. the owner, so a renter's reply reaches a person).
    public var replyTo: MailAddress?
    /// Any Unicode text; written as RFC 2047 encoded-words when it is not short plain ASCII.
    public var subject: String
    /// The plain-text body; line ends may be `\n` or `\r\n`.
    public var text: String
    /// An HTML rendering of the same content, sent as `multipart/alternative` when present.
    public var html: String?
    /// The left-hand side of the `Message-ID` (`<idLeft@sender domain>`): a stable value (e.g. an outbox row's id) makes a
    /// message re-sent after a crash the same message for receivers that discard duplicates by Message-ID. Letters,
    /// digits and `.-_` only; `nil` draws a random one.
    public var idLeft: String?

    public init(
        from: MailAddress? = nil, to: [MailAddress], replyTo: MailAddress? = nil, subject: String, text: String, html: String? = nil,
        idLeft: String? = nil
    ) {
        self.from = from
        self.to = to
        self.replyTo = replyTo
        self.subject = subject
        self.text = text
        self.html = html
        self.idLeft = idLeft
    }
}

/// What a transport reports for a message it delivered (to a server, or to a file).
public struct MailReceipt: Sendable, Hashable {
    /// The `Message-ID` header's value, with its angle brackets, e.g. `<3f…@example.vn>`.
    public let messageID: String
    /// The `.eml` file the message was written to (``FileMailer``); `nil` for SMTP.
    public let file: String?
}

/// Sends e-mails. Implementations: ``SMTPMailer`` (a real server, through libcurl) and ``FileMailer`` (`.eml` files
/// in a folder, for development without a mail server).
public protocol MailTransport: Sendable {
    /// The `From:` address of messages that do not name one.
    var sender: MailAddress { get }

    /// Delivers one message, or throws a ``MailerError``.
    ///
    /// Returning means the message was handed over (the SMTP server answered `250` to the data, or the file is
    /// complete on disk). Throwing means it was not — except in the one case no transport can rule out: the
    /// connection broke after the server stored the message but before its `250` arrived.
    @discardableResult
    func send(_ message: MailMessage, logger: Logger) async throws -> MailReceipt
}
