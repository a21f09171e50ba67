// Copyright (c) the Gatehouse authors
import CQREncode

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A QR code symbol: a square matrix of dark and light modules, encoded by libqrencode.
///
/// The text is encoded in **byte mode** (its UTF-8 bytes, never re-interpreted as Kanji or alphanumerics)
/// so a scanner returns exactly the input — VietQR payloads must come back byte for byte, CRC included.
/// libqrencode picks the smallest version that fits.
///
/// ```swift
/// let code = try QRCode(encoding: "00020101021238570010A000000727…")
/// let svg = code.svg()            // inline <svg> for an HTML page
/// let uri = code.svgDataURI()     // for <img src="…">
/// ```
public struct QRCode: Sendable, Hashable {
    /// Error-correction level: the share of the symbol that can be damaged and still be read.
    public enum ErrorCorrection: Sendable, Hashable, CaseIterable {
        /// About 7 % recoverable.
        case low
        /// About 15 % recoverable: the default, and what banking apps' own VietQR codes use.
        case medium
        /// About 25 % recoverable.
        case quartile
        /// About 30 % recoverable.
        case high

        var level: QRecLevel {
            switch self {
            case .low: QR_ECLEVEL_L
            case .medium: QR_ECLEVEL_M
            case .quartile: QR_ECLEVEL_Q
            case .high: QR_ECLEVEL_H
            }
        }
    }

    /// The symbol version, 1…40 (version *v* is 17 + 4·*v* modules wide).
    public let version: Int
    /// Number of modules per side, without quiet zone.
    public let size: Int
    /// The error-correction level the symbol was encoded with.
    public let errorCorrection: ErrorCorrection
    /// Row-major modules, `true` = dark; `size * size` entries.
    public let modules: [Bool]

    /// Encodes `text` (its UTF-8 bytes) in byte mode.
    /// - Parameters:
    ///   - text: The payload; may contain any Unicode, including NUL.
    ///   - errorCorrection: The error-correction level, `.medium` by default.
    /// - Throws: ``QRCodeError/emptyInput`` or ``QRCodeError/inputTooLong`` (more than a version-40 symbol holds).
    public init(encoding text: String, errorCorrection: ErrorCorrection = .medium) throws(QRCodeError) {
        try self.init(encoding: Array(text.utf8), errorCorrection: errorCorrection)
    }

    /// Encodes raw bytes in byte mode.
    public init(encoding bytes: [UInt8], errorCorrection: ErrorCorrection = .medium) throws(QRCodeError) {
        guard !bytes.isEmpty else { throw QRCodeError.emptyInput }
        // libqrencode is thread-safe (Debian builds it with pthread); it keeps no state between calls that we rely on.
        let symbol = bytes.withUnsafeBufferPointer { buffer in
            QRcode_encodeData(Int32(buffer.count), buffer.baseAddress, 0, errorCorrection.level)
        }
        guard let symbol else {
            // libqrencode reports ERANGE for too much data, ENOMEM/EINVAL otherwise.
            throw errno == ERANGE ? QRCodeError.inputTooLong : QRCodeError.encodingFailed(errno: errno)
        }
        defer { QRcode_free(symbol) }
        let width = Int(symbol.pointee.width)
        var modules = [Bool](repeating: false, count: width * width)
        for index in 0..<(width * width) {
            // Bit 0 of each byte is the module colour; the other bits describe its role (finder, timing, …).
            modules[index] = symbol.pointee.data[index] & 1 == 1
        }
        self.version = Int(symbol.pointee.version)
        self.size = width
        self.errorCorrection = errorCorrection
        self.modules = modules
    }

    /// Whether the module at `row`, `column` (0-based, without quiet zone) is dark.
    public subscript(row: Int, column: Int) -> Bool {
        precondition((0..<size).contains(row) && (0..<size).contains(column), "module index out of range")
        return modules[row * size + column]
    }
}

/// Why a text could not be turned into a QR code.
public struct QRCodeError: Error, Hashable, CustomStringConvertible, CustomDebugStringConvertible {
    private enum Base: Hashable {
        case emptyInput
        case inputTooLong
        case encodingFailed(Int32)
    }

    private let base: Base

    /// Nothing to encode.
    public static let emptyInput = QRCodeError(base: .emptyInput)
    /// The data does not fit a version-40 symbol at the requested error-correction level.
    public static let inputTooLong = QRCodeError(base: .inputTooLong)
    /// libqrencode failed for another reason (out of memory, invalid argument).
    public static func encodingFailed(errno: Int32) -> QRCodeError { QRCodeError(base: .encodingFailed(errno)) }

    /// A stable code for logs and metrics.
    public var code: String {
        switch base {
        case .emptyInput: "qrcode.empty_input"
        case .inputTooLong: "qrcode.input_too_long"
        case .encodingFailed: "qrcode.encoding_failed"
        }
    }

    public var description: String {
        switch base {
        case .emptyInput: "QR code input is empty"
        case .inputTooLong: "QR code input is too long"
        case .encodingFailed: "QR code encoding failed"
        }
    }

    public var debugDescription: String {
        if case .encodingFailed(let errno) = base { return "\(description) (errno \(errno))" }
        return description
    }
}
