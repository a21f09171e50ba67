// Copyright (c) the Gatehouse authors
import CCurl
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
public import Logging
public import NIOPosix

/// Sends each message over SMTP with libcurl's easy interface: one connection per message (connect, EHLO,
/// STARTTLS unless configured otherwise, AUTH when configured, MAIL FROM, RCPT TO per recipient, DATA, QUIT).
///
/// libcurl's calls block, so the whole exchange runs on a `NIOThreadPool` thread (`runIfActive`), never on Swift's
/// cooperative pool or an event loop: a slow mail server cannot stall request handling. Each send uses one pool
/// thread for at most ``MailerConfiguration/timeout``. The easy handle lives and dies on that thread.
///
/// One connection per message is deliberate: Gatehouse sends a handful of e-mails per payment, and a fresh
/// connection has no state to go stale between sends.
public struct SMTPMailer: MailTransport {
    public let configuration: MailerConfiguration
    let threadPool: NIOThreadPool

    /// - Parameters:
    ///   - threadPool: where the blocking libcurl calls run; must be started. NIO's shared pool by default.
    public init(configuration: MailerConfiguration, threadPool: NIOThreadPool = .singleton) {
        self.configuration = configuration
        self.threadPool = threadPool
    }

    public var sender: MailAddress { configuration.from }

    /// libcurl's one-time global set-up (not thread-safe itself; a `static let` runs it exactly once, thread-safely).
    private static let globalInit: CURLcode = gatehouse_curl_global_init_default()

    @discardableResult
    public func send(_ message: MailMessage, logger: Logger) async throws -> MailReceipt {
        var random = SystemRandomNumberGenerator()
        let encoded = try MessageEncoder.encode(
            message, defaultFrom: configuration.from, unixSeconds: unixMillis() / 1000, random: &random)
        let configuration = self.configuration
        let start = ContinuousClock.now
        do {
            try await threadPool.runIfActive { try Self.perform(encoded, configuration: configuration) }
        } catch let error as MailerError {
            logger.debug(
                "smtp send failed",
                metadata: ["mail.error": "\(error)", "mail.error_detail": "\(error.detail)", "mail.message_id": "\(encoded.messageID)"])
            throw error
        } catch {
            // The pool was shut down (the process is stopping).
            throw MailerError(code: .internalError, detail: "thread pool unavailable: \(error)")
        }
        logger.debug(
            "smtp message accepted",
            metadata: [
                "mail.message_id": "\(encoded.messageID)", "mail.recipients": "\(encoded.recipients.count)",
                "mail.duration_ms": "\(Self.milliseconds(ContinuousClock.now - start))",
            ])
        return MailReceipt(messageID: encoded.messageID, file: nil)
    }

    // MARK: libcurl (runs on a thread-pool thread)

    /// The message bytes libcurl reads through the read callback. Created, used and released on one thread
    /// inside ``perform(_:configuration:)``.
    private final class ReadSource {
        let bytes: [UInt8]
        var offset = 0
        init(bytes: [UInt8]) { self.bytes = bytes }
    }

    /// Feeds libcurl the message; it calls this until it returns 0.
    private static let readCallback: @convention(c) (UnsafeMutablePointer<CChar>?, Int, Int, UnsafeMutableRawPointer?) -> Int = {
        buffer, size, count, userdata in
        guard let buffer, let userdata else { return gatehouse_curl_readfunc_abort() }
        let source = Unmanaged<ReadSource>.fromOpaque(userdata).takeUnretainedValue()
        let length = min(size * count, source.bytes.count - source.offset)
        guard length > 0 else { return 0 }
        source.bytes.withUnsafeBytes { raw in
            UnsafeMutableRawPointer(buffer).copyMemory(from: raw.baseAddress! + source.offset, byteCount: length)
        }
        source.offset += length
        return length
    }

    private static func perform(_ message: EncodedMessage, configuration: MailerConfiguration) throws(MailerError) {
        guard globalInit == CURLE_OK else { throw MailerError(code: .internalError, detail: "curl_global_init failed") }
        guard let handle = curl_easy_init() else { throw MailerError(code: .internalError, detail: "curl_easy_init failed") }
        defer { curl_easy_cleanup(handle) }

        var recipients: UnsafeMutablePointer<curl_slist>? = nil
        defer { curl_slist_free_all(recipients) }
        for address in message.recipients {
            guard let list = curl_slist_append(recipients, "<\(address)>") else {
                throw MailerError(code: .internalError, detail: "curl_slist_append failed")
            }
            recipients = list
        }

        let errorBuffer = UnsafeMutablePointer<CChar>.allocate(capacity: Int(CURL_ERROR_SIZE) + 1)
        errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)
        defer { errorBuffer.deallocate() }
        let source = Unmanaged.passRetained(ReadSource(bytes: message.bytes))
        defer { source.release() }

        func set(_ result: CURLcode, _ option: String) throws(MailerError) {
            guard result == CURLE_OK else {
                throw MailerError(code: .internalError, detail: "curl_easy_setopt(\(option)) failed with \(result.rawValue)")
            }
        }
        let useSSL: curl_usessl =
            switch configuration.tls {
            case .plain: CURLUSESSL_NONE
            case .startTLSIfOffered: CURLUSESSL_TRY
            case .startTLSRequired, .implicitTLS: CURLUSESSL_ALL
            }
        try set(gatehouse_curl_setopt_string(handle, CURLOPT_URL, configuration.curlURL), "URL")
        // Only SMTP: a configuration mistake can never make this handle speak another protocol.
        try set(gatehouse_curl_setopt_string(handle, CURLOPT_PROTOCOLS_STR, "smtp,smtps"), "PROTOCOLS_STR")
        try set(gatehouse_curl_setopt_long(handle, CURLOPT_USE_SSL, Int(useSSL.rawValue)), "USE_SSL")
        try set(gatehouse_curl_setopt_string(handle, CURLOPT_MAIL_FROM, "<\(configuration.from.address)>"), "MAIL_FROM")
        try set(gatehouse_curl_setopt_slist(handle, CURLOPT_MAIL_RCPT, recipients), "MAIL_RCPT")
        try set(gatehouse_curl_setopt_long(handle, CURLOPT_UPLOAD, 1), "UPLOAD")
        try set(gatehouse_curl_setopt_read_function(handle, readCallback), "READFUNCTION")
        try set(gatehouse_curl_setopt_pointer(handle, CURLOPT_READDATA, source.toOpaque()), "READDATA")
        try set(gatehouse_curl_setopt_pointer(handle, CURLOPT_ERRORBUFFER, errorBuffer), "ERRORBUFFER")
        // Signals must not be used for timeouts in a multi-threaded process.
        try set(gatehouse_curl_setopt_long(handle, CURLOPT_NOSIGNAL, 1), "NOSIGNAL")
        try set(gatehouse_curl_setopt_long(handle, CURLOPT_CONNECTTIMEOUT_MS, milliseconds(configuration.connectTimeout)), "CONNECTTIMEOUT_MS")
        try set(gatehouse_curl_setopt_long(handle, CURLOPT_TIMEOUT_MS, milliseconds(configuration.timeout)), "TIMEOUT_MS")
        if let username = configuration.username {
            try set(gatehouse_curl_setopt_string(handle, CURLOPT_USERNAME, username), "USERNAME")
            if let password = configuration.password {
                try set(gatehouse_curl_setopt_string(handle, CURLOPT_PASSWORD, password), "PASSWORD")
            }
        }

        let status = curl_easy_perform(handle)
        guard status != CURLE_OK else { return }
        var reply = 0
        _ = gatehouse_curl_getinfo_long(handle, CURLINFO_RESPONSE_CODE, &reply)
        let detail = "curl \(status.rawValue): \(String(cString: errorBuffer))"
        throw classify(status, smtpReply: reply, detail: detail)
    }

    /// Maps libcurl's result (and the server's last reply code) to a ``MailerError``.
    static func classify(_ status: CURLcode, smtpReply: Int, detail: String) -> MailerError {
        let refused = smtpReply >= 400 ? smtpReply : nil
        switch status {
        case CURLE_COULDNT_CONNECT, CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_RESOLVE_PROXY:
            return MailerError(code: .connectionFailed, detail: detail)
        case CURLE_OPERATION_TIMEDOUT:
            return MailerError(code: .timeout, smtpCode: refused, detail: detail)
        case CURLE_LOGIN_DENIED:
            return MailerError(code: .authenticationFailed, smtpCode: refused, detail: detail)
        case CURLE_USE_SSL_FAILED, CURLE_SSL_CONNECT_ERROR, CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CACERT_BADFILE,
            CURLE_SSL_CERTPROBLEM, CURLE_SSL_CIPHER, CURLE_SSL_ISSUER_ERROR, CURLE_SSL_PINNEDPUBKEYNOTMATCH,
            CURLE_SSL_INVALIDCERTSTATUS, CURLE_SSL_CRL_BADFILE, CURLE_SSL_ENGINE_NOTFOUND, CURLE_SSL_ENGINE_SETFAILED,
            CURLE_SSL_ENGINE_INITFAILED, CURLE_SSL_SHUTDOWN_FAILED:
            return MailerError(code: .tlsFailed, smtpCode: refused, detail: detail)
        case CURLE_URL_MALFORMAT, CURLE_UNSUPPORTED_PROTOCOL:
            return MailerError(code: .invalidConfiguration, detail: detail)
        case CURLE_OUT_OF_MEMORY, CURLE_FAILED_INIT, CURLE_ABORTED_BY_CALLBACK, CURLE_READ_ERROR:
            return MailerError(code: .internalError, detail: detail)
        default:
            // MAIL FROM / RCPT TO / DATA refused (curl reports SEND_ERROR or WEIRD_SERVER_REPLY with the reply code),
            // or the connection broke mid-exchange.
            if let refused { return .rejected(smtpCode: refused, detail: detail) }
            return MailerError(code: .connectionFailed, detail: detail)
        }
    }

    private static func milliseconds(_ duration: Duration) -> Int {
        let (seconds, attoseconds) = duration.components
        return max(1, Int(seconds) * 1000 + Int(attoseconds / 1_000_000_000_000_000))
    }
}

/// The current Unix time in milliseconds (for the `Date:` header and file names).
func unixMillis() -> Int64 {
    var now = timespec()
    clock_gettime(CLOCK_REALTIME, &now)
    return Int64(now.tv_sec) * 1000 + Int64(now.tv_nsec) / 1_000_000
}
