// Copyright (c) the Gatehouse authors

/// An e-mail address with an optional display name (`Nguyễn Văn A <a@example.vn>`).
///
/// Only plain ASCII `local@domain` addresses are accepted (RFC 5321 dot-atom local part, a dotted host name or
/// `localhost`): they work with every server, without the SMTPUTF8 extension. The display name may be any
/// Unicode text; it is written as an RFC 2047 encoded-word when it is not plain ASCII.
public struct MailAddress: Sendable, Hashable, CustomStringConvertible {
    /// `local@domain`.
    public let address: String
    /// A person's or a service's name, e.g. `Gatehouse`.
    public let displayName: String?

    /// Longest address SMTP carries (RFC 5321 path limit minus the angle brackets).
    public static let maximumLength = 254

    /// Validates `address` (surrounding spaces are trimmed) and `displayName`.
    /// - Throws: ``MailerError/Code/headerInjection`` when either contains CR or LF; ``MailerError/Code/invalidAddress``
    ///   when the address is not a plain `local@domain`, or the name holds another control character.
    public init(_ address: String, displayName: String? = nil) throws(MailerError) {
        if Self.hasLineBreak(address) || displayName.map(Self.hasLineBreak) == true { throw .headerInjection }
        let trimmed = Self.trimmed(address)
        guard Self.isValid(trimmed) else { throw MailerError(code: .invalidAddress, detail: "not a plain local@domain address") }
        if let displayName, displayName.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) {
            throw MailerError(code: .invalidAddress, detail: "display name holds a control character")
        }
        self.address = trimmed
        let name = displayName.map(Self.trimmed)
        self.displayName = (name?.isEmpty ?? true) ? nil : name
    }

    /// The domain part, e.g. `example.vn`.
    public var domain: Substring {
        address[address.index(after: address.lastIndex(of: "@")!)...]
    }

    /// For logs: the address only (display names are personal data that logs do not need).
    public var description: String { address }

    static func hasLineBreak(_ text: String) -> Bool {
        text.utf8.contains(where: { $0 == 0x0D || $0 == 0x0A })
    }

    private static func trimmed(_ text: String) -> String {
        var scalars = Substring(text).unicodeScalars
        while let first = scalars.first, first.properties.isWhitespace { scalars.removeFirst() }
        while let last = scalars.last, last.properties.isWhitespace { scalars.removeLast() }
        return String(scalars)
    }

    /// RFC 5321 `Mailbox` restricted to a dot-atom local part and a host-name domain.
    static func isValid(_ address: String) -> Bool {
        let bytes = Array(address.utf8)
        guard bytes.count <= maximumLength, let at = bytes.lastIndex(of: UInt8(ascii: "@")) else { return false }
        let local = bytes[..<at]
        let domain = bytes[(at + 1)...]
        guard !local.isEmpty, local.count <= 64, !domain.isEmpty, domain.count <= 253 else { return false }
        // dot-atom: atext runs separated by single dots.
        let atextSpecials = Set("!#$%&'*+-/=?^_`{|}~".utf8)
        var previousWasDot = true
        for byte in local {
            if byte == UInt8(ascii: ".") {
                if previousWasDot { return false }
                previousWasDot = true
                continue
            }
            guard isAlphanumeric(byte) || atextSpecials.contains(byte) else { return false }
            previousWasDot = false
        }
        if previousWasDot { return false }
        // Host name: letter-digit-hyphen labels of 1…63, no leading or trailing hyphen; dotted, or `localhost`.
        let labels = domain.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
        guard labels.count >= 2 || domain.elementsEqual("localhost".utf8) else { return false }
        for label in labels {
            guard (1...63).contains(label.count), label.first != UInt8(ascii: "-"), label.last != UInt8(ascii: "-"),
                label.allSatisfy({ isAlphanumeric($0) || $0 == UInt8(ascii: "-") })
            else { return false }
        }
        return true
    }

    private static func isAlphanumeric(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
            || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
    }
}
