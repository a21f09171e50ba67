// Copyright (c) the Gatehouse authors
#if canImport(Glibc)
import Glibc
#endif
import Sodium
import Testing
import Vault
import GatehouseCore

@Suite struct MasterKeyRingTests {
    private let key1 = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="  // bytes 0..31
    private let key2 = "ICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj8="  // bytes 32..63

    // MARK: Tests

    @Test func highestVersionIsActiveByDefault() throws {
        let ring = try MasterKeyRing(configuration: "1:\(key1),2:\(key2)")
        #expect(ring.activeVersion == 2)
        #expect(ring.versions == [2, 1])
        #expect(try ring.key(version: 1).constantTimeEquals(Array(0..<32) as [UInt8]))
        #expect(ring.activeKey.constantTimeEquals(Array(32..<64) as [UInt8]))
    }

    @Test func explicitActiveVersionWins() throws {
        let ring = try MasterKeyRing(configuration: " 2:\(key2) ,\n1:\(key1)\n", activeVersion: 1)
        #expect(ring.activeVersion == 1)
    }

    @Test func malformedConfigurationsAreRefusedWithoutShowingKeys() {
        let shortKey = Base64.encode(Array(repeating: 7, count: 31))
        let cases: [(String, Int?, String)] = [
            ("", nil, "no master keys"),
            (" , \n", nil, "no master keys"),
            ("1:\(key1),1:\(key2)", nil, "repeats version 1"),
            ("1:\(shortKey)", nil, "31 bytes"),
            ("1:\(key1.dropLast())", nil, "not valid base64"),
            ("1:AAEC*wQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=", nil, "not valid base64"),
            ("\(key1)", nil, "not in the form"),
            ("x:\(key1)", nil, "positive version"),
            ("0:\(key1)", nil, "positive version"),
            ("-1:\(key1)", nil, "positive version"),
            ("1:\(key1)", 3, "active master key version 3"),
        ]
        for (configuration, active, expected) in cases {
            do {
                _ = try MasterKeyRing(configuration: configuration, activeVersion: active)
                Issue.record("accepted \(expected)")
            } catch {
                #expect(error.code == .invalidMasterKey)
                #expect(error.debugDescription.contains(expected), "\(error.debugDescription)")
                #expect(error.description == "VaultError(invalidMasterKey)")
                for secret in [key1, key2, shortKey, String(key1.dropLast()), "AAEC"] {
                    #expect(!error.debugDescription.contains(secret))
                }
            }
        }
    }

    @Test func descriptionListsVersionsOnly() throws {
        let ring = try MasterKeyRing(configuration: "1:\(key1),2:\(key2)")
        #expect(ring.description == "MasterKeyRing(versions: [2, 1], active: 2)")
        #expect(!String(reflecting: ring).contains(key1))
    }

    @Test func removingRefusesTheActiveVersion() throws {
        let ring = try MasterKeyRing(configuration: "1:\(key1),2:\(key2)")
        #expect(try ring.removing(version: 1).versions == [2])
        expectVaultError(.kekInUse) { try ring.removing(version: 2) }
        expectVaultError(.unknownKEKVersion) { try ring.removing(version: 9) }
    }

    @Test func generatedFileIsPrivateAndLoadsBack() throws {
        try withTemporaryDirectory { directory in
            let path = directory + "/master.keys"
            let generated = try MasterKeyRing.generateFile(at: path)
            #expect(mode(of: path) == 0o600)
            let loaded = try MasterKeyRing.load(contentsOfFile: path)
            #expect(loaded.versions == [1])
            #expect(loaded.activeKey.constantTimeEquals(generated.activeKey))
            // A second run must not overwrite the key that wraps existing data keys.
            expectVaultError(.keyFileUnreadable) { try MasterKeyRing.generateFile(at: path) }
        }
    }

    @Test func keyFileReadableByGroupOrOthersIsRefused() throws {
        try withTemporaryDirectory { directory in
            let path = directory + "/master.keys"
            try write("# keys\n2:\(key2)\n\n1:\(key1)\n", to: path, mode: 0o600)
            #expect(try MasterKeyRing.load(contentsOfFile: path).versions == [2, 1])
            for insecure: mode_t in [0o640, 0o604, 0o620, 0o602, 0o644, 0o666] {
                chmod(path, insecure)
                do {
                    _ = try MasterKeyRing.load(contentsOfFile: path)
                    Issue.record("loaded a key file with mode \(String(insecure, radix: 8))")
                } catch let error as VaultError {
                    #expect(error.code == .insecureKeyFile)
                    #expect(error.debugDescription.contains(path))
                    #expect(error.debugDescription.contains("0" + String(insecure, radix: 8)))
                    #expect(!error.debugDescription.contains(key1) && !error.debugDescription.contains(key2))
                }
            }
            chmod(path, 0o400)
            #expect(try MasterKeyRing.load(contentsOfFile: path).activeVersion == 2)
        }
    }

    @Test func malformedKeyFileNamesTheFileButNotItsContent() throws {
        try withTemporaryDirectory { directory in
            let path = directory + "/bad.keys"
            try write("1:\(key1),2:not-base64-\(key2)", to: path, mode: 0o600)
            do {
                _ = try MasterKeyRing.load(contentsOfFile: path)
                Issue.record("loaded a malformed key file")
            } catch let error as VaultError {
                #expect(error.code == .invalidMasterKey)
                #expect(error.debugDescription.contains(path))
                #expect(error.debugDescription.contains("entry 2"))
                #expect(!error.debugDescription.contains(key2) && !error.debugDescription.contains(key1))
            }
        }
    }

    @Test func missingKeyFileIsUnreadable() {
        expectVaultError(.keyFileUnreadable) { try MasterKeyRing.load(contentsOfFile: "/nonexistent/gatehouse/master.keys") }
    }

    @Test func generatedEntriesParse() throws {
        let ring = try MasterKeyRing(configuration: MasterKeyRing.generateEntry(version: 3) + "," + MasterKeyRing.generateEntry(version: 4))
        #expect(ring.versions == [4, 3])
    }
}

// MARK: Helpers

func withTemporaryDirectory(_ body: (String) throws -> Void) throws {
    var template = Array("/tmp/gatehouse-vault-test-XXXXXX".utf8CString)
    let directory = template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)) }
    defer {
        if let dir = opendir(directory) {
            while let entry = readdir(dir) {
                let name = withUnsafeBytes(of: entry.pointee.d_name) { String(cString: $0.bindMemory(to: CChar.self).baseAddress!) }
                if name != "." && name != ".." { unlink(directory + "/" + name) }
            }
            closedir(dir)
        }
        rmdir(directory)
    }
    try body(directory)
}

func write(_ text: String, to path: String, mode: mode_t) throws {
    let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode)
    guard fd >= 0 else { throw TestFailure("cannot create \(path)") }
    defer { close(fd) }
    let bytes = Array(text.utf8)
    guard bytes.withUnsafeBytes({ Glibc.write(fd, $0.baseAddress!, $0.count) }) == bytes.count else { throw TestFailure("short write") }
    fchmod(fd, mode)
}

func mode(of path: String) -> mode_t {
    var info = stat()
    stat(path, &info)
    return info.st_mode & 0o7777
}

struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
