// Copyright (c) the Gatehouse authors

/// Builds the VietQR (NAPAS EMVCo merchant-presented QR) text that payOS returns as `qrCode` (spec 6.3).
///
/// Layout: TLV fields (2-digit tag, 2-digit decimal length, value), dynamic QR, the receiving account under the NAPAS
/// GUID with service `QRIBFTTA` (transfer to account), currency 704 (VND), amount, country VN, the transfer content
/// as purpose, and a CRC-16/CCITT-FALSE over everything up to and including `6304`.
public enum SandboxVietQR {
    /// NAPAS's application identifier in field 38.
    static let napasGUID = "A000000727"
    /// "Transfer to account" service code.
    static let transferToAccountService = "QRIBFTTA"

    /// Why the fields cannot form a VietQR text.
    public struct BuildError: Error, Hashable, CustomStringConvertible {
        /// Which field is unusable.
        public let field: String
        public var description: String { "VietQR field \(field) is empty, not ASCII or longer than 99 characters" }
    }

    /// The VietQR text for a transfer of `amount` VND to `accountNumber` at bank `bin`, with `purpose` as content.
    ///
    /// Every value must be printable ASCII: TLV lengths count characters, and bank apps reject other text.
    /// - Throws: ``BuildError`` when a value is empty, not ASCII, or makes a field longer than 99 characters.
    public static func payload(bin: String, accountNumber: String, amount: Int64, purpose: String) throws(BuildError) -> String {
        let beneficiary = try tlv("00", bin, field: "bin") + tlv("01", accountNumber, field: "accountNumber")
        let merchantAccount =
            try tlv("00", napasGUID, field: "guid") + tlv("01", beneficiary, field: "accountNumber")
            + tlv("02", transferToAccountService, field: "service")
        var text = try tlv("00", "01", field: "format") + tlv("01", "12", field: "method")
        text += try tlv("38", merchantAccount, field: "accountNumber")
        text += try tlv("53", "704", field: "currency")
        text += try tlv("54", String(amount), field: "amount")
        text += try tlv("58", "VN", field: "country")
        text += try tlv("62", tlv("08", purpose, field: "purpose"), field: "purpose")
        text += "6304"
        return text + crcHex(text)
    }

    /// CRC-16/CCITT-FALSE (poly 0x1021, init 0xFFFF, no reflection, no final xor) of the UTF-8 bytes of `text`.
    public static func crc16(_ text: String) -> UInt16 {
        var crc: UInt16 = 0xFFFF
        for byte in text.utf8 {
            crc ^= UInt16(byte) << 8
            for _ in 0..<8 {
                crc = crc & 0x8000 != 0 ? (crc << 1) ^ 0x1021 : crc << 1
            }
        }
        return crc
    }

    /// The CRC as the four upper-case hex digits VietQR expects.
    static func crcHex(_ text: String) -> String {
        let hex = String(crc16(text), radix: 16, uppercase: true)
        return String(repeating: "0", count: 4 - hex.count) + hex
    }

    private static func tlv(_ tag: String, _ value: String, field: String) throws(BuildError) -> String {
        guard !value.isEmpty, value.utf8.count <= 99, value.utf8.allSatisfy({ (0x20...0x7E).contains($0) }) else {
            throw BuildError(field: field)
        }
        let length = value.utf8.count
        return tag + (length < 10 ? "0\(length)" : "\(length)") + value
    }
}
