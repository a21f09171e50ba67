// Copyright (c) the Gatehouse authors
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
public import Sodium

/// The versioned master keys (key-encryption keys, KEKs) that wrap every owner's data key.
///
/// Configuration format, from `GATEHOUSE_MASTER_KEYS` or a key file:
/// ```
/// 2:q83vEjRWeJq83vEjRWeJq83vEjRWeJq83vEjRWeJq8M=,1:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=
/// ```
/// Entries are `<version>:<base64 of 32 bytes>` separated by commas or new lines; in a file,
/// blank lines and lines starting with `#` are ignored. The highest version is the active one
/// (new data keys are wrapped with it) unless an explicit active version is given, which lets an
/// operator stage a new key on every node before switching to it.
///
/// Why versions: rotating the master key must not need downtime. The new key is added with a
/// higher version, ``Vault/rotateMasterKey(to:batchSize:audit:logger:)`` re-wraps the data keys
/// in the background, and the old key is removed once ``Vault/status(logger:)`` shows it protects
/// nothing.
///
/// The keys live in ``SecureBytes``; `description` lists versions only.
public struct MasterKeyRing: Sendable, CustomStringConvertible {
    /// The length of every master key in bytes.
    public static let keyLength = 32

    /// The version new data keys are wrapped with.
    public let activeVersion: Int
    private let keys: [Int: SecureBytes]

    // MARK: Initialization

    /// A ring from keys already in guarded memory.
    /// - Parameters:
    ///   - keys: master keys by version (positive integers), each ``keyLength`` bytes.
    ///   - activeVersion: the version to wrap new data keys with; the highest version when `nil`.
    /// - Throws: ``VaultError/Code/invalidMasterKey`` for no keys, a bad version or length, or an
    ///   active version that is not in `keys`.
    public init(keys: [Int: SecureBytes], activeVersion: Int? = nil) throws(VaultError) {
        guard let highest = keys.keys.max() else { throw .invalidMasterKey("no master keys are configured") }
        for (version, key) in keys {
            guard version > 0, version <= Int(Int32.max) else {
                throw .invalidMasterKey("master key version \(version) is not a positive 32-bit integer")
            }
            guard key.count == Self.keyLength else {
                throw .invalidMasterKey("master key version \(version) is \(key.count) bytes; expected \(Self.keyLength)")
            }
        }
        let active = activeVersion ?? highest
        guard keys[active] != nil else {
            throw .invalidMasterKey("active master key version \(active) is not among the configured versions \(keys.keys.sorted(by: >))")
        }
        self.keys = keys
        self.activeVersion = active
    }

    /// Parses the `GATEHOUSE_MASTER_KEYS` format (see the type's documentation).
    /// - Throws: ``VaultError/Code/invalidMasterKey`` naming the malformed entry by position and
    ///   version (never its content): bad base64, wrong length, duplicate version, no keys.
    public init(configuration: String, activeVersion: Int? = nil) throws(VaultError) {
        var bytes = Array(configuration.utf8)
        defer { SecureMemory.zero(&bytes) }
        let parsed = bytes.withUnsafeBytes { raw in
            Result { () throws(VaultError) in try Self.parse(raw, source: "GATEHOUSE_MASTER_KEYS") }
        }
        try self.init(keys: parsed.get(), activeVersion: activeVersion)
    }

    /// Loads a key file in the configuration format.
    ///
    /// The file is opened once and checked through that same descriptor (`fstat`), so it cannot
    /// be swapped between the check and the read. Its content is read straight into guarded memory.
    /// - Throws: ``VaultError/Code/insecureKeyFile`` when group or others may read or write it (the
    ///   error names the file and its mode), ``VaultError/Code/keyFileUnreadable`` when it cannot be
    ///   opened or read or is not a regular file, ``VaultError/Code/invalidMasterKey`` when its
    ///   content is malformed.
    public static func load(contentsOfFile path: String, activeVersion: Int? = nil) throws(VaultError) -> MasterKeyRing {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            throw VaultError(code: .keyFileUnreadable, detail: "cannot open master key file \(path): \(Self.errnoText())")
        }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            throw VaultError(code: .keyFileUnreadable, detail: "cannot stat master key file \(path): \(Self.errnoText())")
        }
        guard info.st_mode & S_IFMT == S_IFREG else {
            throw VaultError(code: .keyFileUnreadable, detail: "master key file \(path) is not a regular file")
        }
        let permissions = info.st_mode & 0o7777
        guard permissions & 0o066 == 0 else {
            throw VaultError(
                code: .insecureKeyFile,
                detail: "master key file \(path) has mode \(Self.octal(permissions)); it must not be readable or writable by group or others (chmod 600 \(path))"
            )
        }
        let size = Int(info.st_size)
        guard size <= 64 * 1024 else {
            throw VaultError(code: .keyFileUnreadable, detail: "master key file \(path) is \(size) bytes; expected a few lines")
        }
        var readCount = 0
        var readError: Int32 = 0
        let content = SecureBytes(count: size) { (buffer: UnsafeMutableRawBufferPointer) in
            buffer.initializeMemory(as: UInt8.self, repeating: 0)
            while readCount < size {
                let n = read(fd, buffer.baseAddress! + readCount, size - readCount)
                if n < 0, errno == EINTR { continue }
                if n < 0 { readError = errno; return }
                if n == 0 { return }
                readCount += n
            }
        }
        guard readError == 0 else {
            throw VaultError(code: .keyFileUnreadable, detail: "cannot read master key file \(path): \(String(cString: strerror(readError)))")
        }
        let parsed = try content.withUnsafeBytes { (raw: UnsafeRawBufferPointer) throws(VaultError) in
            try parse(UnsafeRawBufferPointer(rebasing: raw[0..<readCount]), source: "master key file \(path)")
        }
        return try MasterKeyRing(keys: parsed, activeVersion: activeVersion)
    }

    /// Creates a new key file holding one fresh random key (version 1), mode 0600, for development.
    ///
    /// Refuses to overwrite an existing file (`O_EXCL`), so a second run cannot destroy the key
    /// that the existing data keys are wrapped with.
    /// - Returns: the ring the new file describes.
    @discardableResult
    public static func generateFile(at path: String) throws(VaultError) -> MasterKeyRing {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard fd >= 0 else {
            throw VaultError(code: .keyFileUnreadable, detail: "cannot create master key file \(path): \(Self.errnoText())")
        }
        var closed = false
        defer { if !closed { close(fd) } }
        // The umask can only remove bits; set the mode explicitly anyway so the file is exactly 0600.
        _ = fchmod(fd, 0o600)
        let key = SecureBytes.random(count: keyLength)
        let encoded = Base64.encodedSecret(key)
        let prefix = Array("# Gatehouse master keys: <version>:<base64 of 32 bytes>; the highest version is active. Keep this file 0600.\n1:".utf8)
        var line = prefix
        line.reserveCapacity(prefix.count + encoded.count + 1)
        encoded.withUnsafeBytes { line.append(contentsOf: $0) }
        line.append(UInt8(ascii: "\n"))
        defer { SecureMemory.zero(&line) }
        var written = 0
        var writeError: Int32 = 0
        line.withUnsafeBytes { raw in
            while written < raw.count {
                let n = write(fd, raw.baseAddress! + written, raw.count - written)
                if n < 0, errno == EINTR { continue }
                if n <= 0 { writeError = errno; return }
                written += n
            }
        }
        if writeError == 0, fsync(fd) != 0 { writeError = errno }
        closed = true
        if close(fd) != 0, writeError == 0 { writeError = errno }
        guard writeError == 0 else {
            unlink(path)
            throw VaultError(code: .keyFileUnreadable, detail: "cannot write master key file \(path): \(String(cString: strerror(writeError)))")
        }
        return try MasterKeyRing(keys: [1: key])
    }

    /// A fresh random key as a configuration entry `<version>:<base64>`, for an operator adding a
    /// new master key version. The result is an ordinary `String`: print it once, do not log it.
    public static func generateEntry(version: Int) -> String {
        "\(version):" + Base64.encode(SecureBytes.random(count: keyLength))
    }

    // MARK: Access

    /// Every version in the ring, highest first.
    public var versions: [Int] { keys.keys.sorted(by: >) }

    /// `true` when the ring holds `version`.
    public func contains(version: Int) -> Bool { keys[version] != nil }

    /// The key of `version`.
    /// - Throws: ``VaultError/Code/unknownKEKVersion`` when the ring does not hold it.
    public func key(version: Int) throws(VaultError) -> SecureBytes {
        guard let key = keys[version] else { throw .unknownKEK(version) }
        return key
    }

    /// The active key.
    public var activeKey: SecureBytes { keys[activeVersion]! }

    /// The same ring without `version`.
    /// - Throws: ``VaultError/Code/kekInUse`` for the active version, ``VaultError/Code/unknownKEKVersion``
    ///   when the ring does not hold it.
    public func removing(version: Int) throws(VaultError) -> MasterKeyRing {
        guard keys[version] != nil else { throw .unknownKEK(version) }
        guard version != activeVersion else {
            throw VaultError(code: .kekInUse, detail: "master key version \(version) is the active version")
        }
        var remaining = keys
        remaining[version] = nil
        return try MasterKeyRing(keys: remaining, activeVersion: activeVersion)
    }

    public var description: String { "MasterKeyRing(versions: \(versions), active: \(activeVersion))" }

    // MARK: Parsing

    /// Parses entries separated by commas or new lines. Works on raw bytes so the key text is never
    /// turned into a `String`; error details carry positions and versions only.
    private static func parse(_ text: UnsafeRawBufferPointer, source: String) throws(VaultError) -> [Int: SecureBytes] {
        var keys: [Int: SecureBytes] = [:]
        var entryNumber = 0
        for line in split(text, 0..<text.count, on: UInt8(ascii: "\n")) {
            let content = trimmed(text, line)
            // A comment is a whole line; a '#' elsewhere is just an invalid character.
            if content.isEmpty || text[content.lowerBound] == UInt8(ascii: "#") { continue }
            for part in split(text, content, on: UInt8(ascii: ",")) {
                let entry = trimmed(text, part)
                if entry.isEmpty { continue }
                entryNumber += 1
                let (version, key) = try parseEntry(text, entry, number: entryNumber, source: source)
                guard keys[version] == nil else {
                    throw .invalidMasterKey("\(source): entry \(entryNumber) repeats version \(version)")
                }
                keys[version] = key
            }
        }
        guard !keys.isEmpty else { throw .invalidMasterKey("\(source): no master keys found") }
        return keys
    }

    private static func parseEntry(
        _ text: UnsafeRawBufferPointer, _ range: Range<Int>, number: Int, source: String
    ) throws(VaultError) -> (Int, SecureBytes) {
        guard let colon = text[range].firstIndex(of: UInt8(ascii: ":")) else {
            throw .invalidMasterKey("\(source): entry \(number) is not in the form <version>:<base64>")
        }
        let versionDigits = text[trimmed(text, range.lowerBound..<colon)]
        guard !versionDigits.isEmpty, versionDigits.count <= 9,
            versionDigits.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }),
            let version = Int(String(decoding: versionDigits, as: UTF8.self)), version > 0
        else {
            throw .invalidMasterKey("\(source): entry \(number) does not start with a positive version number")
        }
        let encoded = text[trimmed(text, (colon + 1)..<range.upperBound)]
        let key: SecureBytes
        do {
            key = try Base64.decodeSecret(encoded)
        } catch {
            throw .invalidMasterKey("\(source): entry \(number) (version \(version)) is not valid base64")
        }
        guard key.count == keyLength else {
            throw .invalidMasterKey("\(source): entry \(number) (version \(version)) decodes to \(key.count) bytes; expected \(keyLength)")
        }
        return (version, key)
    }

    private static func split(_ text: UnsafeRawBufferPointer, _ range: Range<Int>, on separator: UInt8) -> [Range<Int>] {
        var parts: [Range<Int>] = []
        var start = range.lowerBound
        for index in range where text[index] == separator {
            parts.append(start..<index)
            start = index + 1
        }
        parts.append(start..<range.upperBound)
        return parts
    }

    private static func trimmed(_ text: UnsafeRawBufferPointer, _ range: Range<Int>) -> Range<Int> {
        var lower = range.lowerBound
        var upper = range.upperBound
        func isSpace(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 || byte == 0x0D || byte == 0x0A }
        while lower < upper, isSpace(text[lower]) { lower += 1 }
        while upper > lower, isSpace(text[upper - 1]) { upper -= 1 }
        return lower..<upper
    }

    private static func octal(_ mode: mode_t) -> String {
        let digits = String(mode, radix: 8)
        return String(repeating: "0", count: max(0, 4 - digits.count)) + digits
    }

    private static func errnoText() -> String { String(cString: strerror(errno)) }
}
