// Copyright (c) the Gatehouse authors
import Foundation
public import Gateway
public import Logging
public import Mailer
public import Storage
import Tenancy
public import GatehouseCore
public import Notifications
import GatehouseHTTP

/// E-mail and web notifications, assembled from the configuration: the transport, the outbox and its worker
/// (a `Service`), the web notifications and the `GET /api/notifications/check` routes.
///
/// Transport choice:
/// - `GATEHOUSE_SMTP_URL` set → ``SMTPMailer`` (libcurl; `smtp://` requires STARTTLS, `smtps://` is TLS from the start; plain SMTP only with `?tls=none` and no credentials);
/// - unset → ``FileMailer`` writing `.eml` files into `<data dir>/mail` (development: the worker logs each file's
///   path at `info` as `mail.file`).
///
/// The sender is `mailFrom` (`Name <address>` or a bare address) when given; otherwise `Gatehouse <no-reply@HOST>` with
/// the host of `GATEHOUSE_PUBLIC_URL` — which must then be a domain name when SMTP is used (relays refuse
/// `no-reply@127.0.0.1`).
public struct NotificationWiring: Sendable {
    public let transport: any MailTransport
    public let outbox: NotificationOutbox
    public let worker: OutboxWorker
    public let web: WebNotifications
    /// For the start-up log: `smtp://host:587 (STARTTLS if offered, …)` or `files in <dir>` — never a password.
    public let transportSummary: String
    /// The folder ``FileMailer`` writes to; `nil` with SMTP.
    public let mailDirectory: String?

    /// - Parameters:
    ///   - mailFrom: the sender, e.g. `Gatehouse <no-reply@gatehouse.example.vn>`; derived from the public URL when nil.
    ///   - workerConfiguration: retry and lease settings (the lease must exceed the SMTP timeout, 60 s).
    ///   - renterToken: completes renter links in e-mail bodies at send time (the outbox stores them without the token).
    /// - Throws: ``ConfigurationError`` naming the variable when the SMTP URL or the sender is unusable.
    public static func make(
        configuration: GatehouseConfiguration, database: any SQLDatabase, clock: WallClock = .system, mailFrom: String? = nil,
        workerConfiguration: OutboxWorker.Configuration = .init(), renterToken: (@Sendable (_ paymentCode: String) -> String)? = nil,
        logger: Logger
    ) throws -> NotificationWiring {
        let sender = try senderAddress(mailFrom: mailFrom, publicURL: configuration.publicURL, smtp: configuration.smtpURL != nil)
        let transport: any MailTransport
        let summary: String
        var mailDirectory: String? = nil
        if let url = configuration.smtpURL {
            let mailer: MailerConfiguration
            do {
                mailer = try MailerConfiguration(url: url, from: sender)
            } catch {
                // The error's detail names the problem without repeating the URL (it may hold a password).
                throw ConfigurationError(variable: "GATEHOUSE_SMTP_URL", problem: "is unusable: \(error.detail)")
            }
            transport = SMTPMailer(configuration: mailer)
            summary = mailer.description
        } else {
            let directory = (configuration.dataDirectory as NSString).appendingPathComponent("mail")
            transport = FileMailer(directory: directory, sender: sender)
            summary = "files in \(directory)"
            mailDirectory = directory
        }
        // One signal: whatever enqueues through this outbox and commits wakes this worker (polling stays for other instances).
        let wakeup = WakeUpSignal()
        let outbox = NotificationOutbox(database: database, clock: clock, wakeup: wakeup)
        return NotificationWiring(
            transport: transport, outbox: outbox,
            worker: OutboxWorker(
                database: database, transport: transport, clock: clock, configuration: workerConfiguration, renterToken: renterToken,
                wakeup: wakeup, logger: logger),
            web: WebNotifications(database: database, clock: clock), transportSummary: summary, mailDirectory: mailDirectory)
    }

    /// `GET /api/notifications/check`, to add at the router's root.
    public var controller: NotificationController {
        NotificationController(notifications: web)
    }

    static func senderAddress(mailFrom: String?, publicURL: String, smtp: Bool) throws(ConfigurationError) -> MailAddress {
        if let mailFrom = mailFrom?.trimmingCharacters(in: .whitespaces), !mailFrom.isEmpty {
            var name: String? = nil
            var address = mailFrom
            if let open = mailFrom.lastIndex(of: "<"), mailFrom.hasSuffix(">") {
                name = String(mailFrom[..<open]).trimmingCharacters(in: CharacterSet(charactersIn: " \""))
                address = String(mailFrom[mailFrom.index(after: open)..<mailFrom.index(before: mailFrom.endIndex)])
            }
            do {
                return try MailAddress(address, displayName: name)
            } catch {
                throw ConfigurationError(variable: "GATEHOUSE_MAIL_FROM", problem: "must be an address or 'Name <address>', got '\(mailFrom)'")
            }
        }
        let host = URL(string: publicURL)?.host ?? ""
        let isDomainName = host.contains(".") && host.contains(where: \.isLetter) && !host.contains(":")
        if let address = try? MailAddress("no-reply@\(host)", displayName: "Gatehouse"), isDomainName {
            return address
        }
        if smtp {
            throw ConfigurationError(
                variable: "GATEHOUSE_MAIL_FROM",
                problem: "is required with GATEHOUSE_SMTP_URL when GATEHOUSE_PUBLIC_URL has no domain name (got host '\(host)')")
        }
        // Development files only, never sent anywhere: `localhost` is a valid domain for MailAddress.
        do {
            return try MailAddress("no-reply@localhost", displayName: "Gatehouse")
        } catch {
            throw ConfigurationError(variable: "GATEHOUSE_MAIL_FROM", problem: "is required")
        }
    }
}
