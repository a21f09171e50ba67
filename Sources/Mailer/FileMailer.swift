// Copyright (c) the Gatehouse authors
public import Logging
public import NIOPosix

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes each message as an `.eml` file (the exact bytes SMTP would carry) into a folder, for development without a
/// mail server: open the file in any mail client, or read it with `cat`.
///
/// Files are named `<unix ms>-<random>.eml` (they sort by time), written under a temporary name and renamed, so a
/// reader never sees half a message. The folder is created with mode 0700 and the files 0600: messages hold
/// personal data (names, e-mail addresses, amounts).
public struct FileMailer: MailTransport {
    /// The folder messages are written to.
    public let directory: String
    public let sender: MailAddress
    let threadPool: NIOThreadPool

    /// - Parameters:
    ///   - directory: created (with its parents) on the first send when missing.
    ///   - sender: the `From:` of messages that do not name one.
    ///   - threadPool: where the blocking file calls run; NIO's shared pool by default.
    public init(directory: String, sender: MailAddress, threadPool: NIOThreadPool = .singleton) {
        self.directory = directory
        self.sender = sender
        self.threadPool = threadPool
    }

    @discardableResult
    public func send(_ message: MailMessage, logger: Logger) async throws -> MailReceipt {
        var random = SystemRandomNumberGenerator()
        let millis = unixMillis()
        let encoded = try MessageEncoder.encode(message, defaultFrom: sender, unixSeconds: millis / 1000, random: &random)
        let path = "\(directory)/\(millis)-\(MessageEncoder.hex(MessageEncoder.randomBytes(6, &random))).eml"
        let directory = self.directory
        do {
            try await threadPool.runIfActive { try Self.writeFile(encoded.bytes, to: path, directory: directory) }
        } catch let error as MailerError {
            throw error
        } catch {
            throw MailerError(code: .internalError, detail: "thread pool unavailable: \(error)")
        }
        logger.debug("e-mail written to file", metadata: ["mail.file": "\(path)", "mail.message_id": "\(encoded.messageID)"])
        return MailReceipt(messageID: encoded.messageID, file: path)
    }

    private static func writeFile(_ bytes: [UInt8], to path: String, directory: String) throws(MailerError) {
        try makeDirectory(directory)
        let temporary = path + ".tmp"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw failure("open", path: temporary) }
        var written = 0
        while written < bytes.count {
            let result = bytes.withUnsafeBytes { raw in
                write(fd, raw.baseAddress! + written, bytes.count - written)
            }
            if result < 0 {
                if errno == EINTR { continue }
                let error = failure("write", path: temporary)
                close(fd)
                unlink(temporary)
                throw error
            }
            written += result
        }
        guard fsync(fd) == 0 else {
            let error = failure("fsync", path: temporary)
            close(fd)
            unlink(temporary)
            throw error
        }
        close(fd)
        guard rename(temporary, path) == 0 else {
            let error = failure("rename", path: path)
            unlink(temporary)
            throw error
        }
    }

    /// `mkdir -p` with mode 0700 for the folders it creates.
    private static func makeDirectory(_ path: String) throws(MailerError) {
        var info = stat()
        if stat(path, &info) == 0 {
            guard info.st_mode & S_IFMT == S_IFDIR else { throw MailerError(code: .writeFailed, detail: "\(path) is not a folder") }
            return
        }
        if let slash = path.lastIndex(of: "/"), slash != path.startIndex {
            try makeDirectory(String(path[..<slash]))
        }
        guard mkdir(path, 0o700) == 0 || errno == EEXIST else { throw failure("mkdir", path: path) }
    }

    private static func failure(_ call: String, path: String) -> MailerError {
        MailerError(code: .writeFailed, detail: "\(call) \(path): \(String(cString: strerror(errno)))")
    }
}
