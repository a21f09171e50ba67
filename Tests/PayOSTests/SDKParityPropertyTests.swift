// Copyright (c) the Gatehouse authors
import Foundation
import Testing

@testable import PayOS

/// Property: for random payloads our canonical text and signatures equal those of the official Python SDK 1.x
/// (`payos._crypto.CryptoProvider`), run from a virtual environment made by `scripts/payos-sdk-venv`.
///
/// The SDK's python is taken from `GATEHOUSE_PAYOS_SDK_PYTHON`. Without it the test fails under `CI=true`
/// (CI must provide the SDK), and otherwise runs `scripts/payos-sdk-venv` itself, or is skipped with the reason
/// when that is impossible (no PyPI, no python3).
@Suite struct SDKParityPropertyTests {
    static let caseCount = 200
    /// Fixed so a failure reproduces; `GATEHOUSE_PAYOS_PROPERTY_SEED` explores other seeds.
    static let defaultSeed: UInt64 = 0x6761_7465_686F_7573

    @Test func canonicalTextAndSignaturesMatchThePythonSDK() async throws {
        let python = try await Self.sdkPython()
        let seed = ProcessInfo.processInfo.environment["GATEHOUSE_PAYOS_PROPERTY_SEED"].flatMap { UInt64($0) } ?? Self.defaultSeed
        var generator = PayloadGenerator(seed: seed)
        let key = generator.checksumKey()
        let cases = (0..<Self.caseCount).map { _ in (body: generator.bodyPayload(), create: generator.createFields()) }

        let input: JSONValue = [
            "key": .string(key),
            "cases": .array(cases.map { .object(["body": .object($0.body), "create": .object($0.create.json)]) }),
        ]
        let output = try await Self.runSDKScript(python: python, input: input.compactBytes)
        let version = try #require(output["sdkVersion"]?.stringValue)
        #expect(version.hasPrefix("1."), "payOS SDK \(version) is not 1.x")
        let results = try #require(output["results"]?.arrayValue)
        try #require(results.count == cases.count)

        var mismatches = 0
        for (index, (testCase, result)) in zip(cases, results).enumerated() {
            let context = "seed \(seed), case \(index): \(JSONValue.object(testCase.body).compactText)"
            let sdkText = try #require(result["bodyText"]?.stringValue)
            let ours = PayOSSignature.canonicalText(of: testCase.body)
            let checks = [
                Array(ours.utf8) == Array(sdkText.utf8),
                PayOSSignature.body(testCase.body, checksumKey: key) == result["bodySignature"]?.stringValue,
                PayOSSignature.header(testCase.body, checksumKey: key, encoding: .pythonQuote) == result["headerSignature"]?.stringValue,
                testCase.create.signature(key: key) == result["createSignature"]?.stringValue,
            ]
            if checks.contains(false) {
                mismatches += 1
                Issue.record("SDK parity broken (text, body, header, create = \(checks)) for \(context)\n ours: \(ours)\n sdk:  \(sdkText)")
                if mismatches >= 5 { break }
            }
        }
    }

    // MARK: Finding the SDK

    /// The venv python, or a failure (CI) / skip (elsewhere) saying why there is none.
    static func sdkPython() async throws -> String {
        let environment = ProcessInfo.processInfo.environment
        if let configured = environment["GATEHOUSE_PAYOS_SDK_PYTHON"], !configured.isEmpty {
            try #require(FileManager.default.isExecutableFile(atPath: configured), "GATEHOUSE_PAYOS_SDK_PYTHON=\(configured) is not executable")
            return configured
        }
        if environment["CI"] == "true" {
            throw SDKUnavailable(
                description: "GATEHOUSE_PAYOS_SDK_PYTHON is not set under CI=true: run "
                    + "`export GATEHOUSE_PAYOS_SDK_PYTHON=\"$(scripts/payos-sdk-venv)\"` before `swift test`"
            )
        }
        let script = repositoryRoot.appending(path: "scripts/payos-sdk-venv")
        let run = try? await Subprocess.run("/bin/bash", [script.path], timeout: .seconds(300))
        guard let run, run.status == 0, let path = run.stdoutText.split(separator: "\n").last.map(String.init),
            FileManager.default.isExecutableFile(atPath: path)
        else {
            let reason = run.map { String($0.stderrText.suffix(400)) } ?? "could not run \(script.path)"
            try Test.cancel("payOS Python SDK unavailable (set GATEHOUSE_PAYOS_SDK_PYTHON or run scripts/payos-sdk-venv): \(reason)")
        }
        return path
    }

    struct SDKUnavailable: Error, CustomStringConvertible {
        let description: String
    }

    static let repositoryRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()  // PayOSTests
        .deletingLastPathComponent()  // Tests
        .deletingLastPathComponent()

    static func runSDKScript(python: String, input: [UInt8]) async throws -> JSONValue {
        let script = try #require(Bundle.module.url(forResource: "sdk_signatures", withExtension: "py", subdirectory: "Scripts"))
        let inputFile = FileManager.default.temporaryDirectory.appending(path: "payos-parity-\(UUID().uuidString).json")
        try Data(input).write(to: inputFile)
        defer { try? FileManager.default.removeItem(at: inputFile) }
        let run = try await Subprocess.run(python, [script.path, inputFile.path], timeout: .seconds(120))
        try #require(run.status == 0, "SDK script failed (\(run.status)): \(run.stderrText.suffix(2000))")
        return try JSONValue(parsing: run.stdout)
    }
}

// MARK: Payload generation

/// SplitMix64: tiny, seedable, good enough to pick test values.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// The five fields of a create-request signature.
struct CreateFields {
    let amount: Int64
    let cancelUrl: String
    let description: String
    let orderCode: Int64
    let returnUrl: String

    var json: JSONObject {
        [
            "amount": .int(amount), "cancelUrl": .string(cancelUrl), "description": .string(description), "orderCode": .int(orderCode),
            "returnUrl": .string(returnUrl),
        ]
    }

    func signature(key: String) -> String {
        PayOSSignature.createRequest(
            amount: amount,
            cancelUrl: cancelUrl,
            description: description,
            orderCode: orderCode,
            returnUrl: returnUrl,
            checksumKey: key
        )
    }
}

/// Random payloads in the shape payOS signs: a flat object whose values are text, numbers, booleans, nulls,
/// arrays of objects (keys deliberately unsorted, one nested level deeper too) and arrays of scalars.
struct PayloadGenerator {
    var random: SplitMix64

    init(seed: UInt64) { random = SplitMix64(seed: seed) }

    static let fragments = [
        "Thanh toán đơn hàng", "Nguyễn Văn Ánh", "Đặng Thị Hồng Nhung", "phòng trọ số 7", "ưởng", "ỹ", "Khách hủy",
        "e\u{0301}", "🏠", "💸", "👨‍👩‍👧", "/", "&", "=", "\"", "\\", "\n", "\t", "?", "%", "+", " ", "#", "!'()*~",
        "null", "undefined", "None", "NULL", "true", "0", "https://pay.payos.vn/web/abc?x=1&y=2", "CSX3K9QZ7B", "VND",
        "\u{01}", "\u{7F}", "\u{2028}", "<>", "[]{}",
    ]
    static let keyPool = [
        "amount", "orderCode", "description", "status", "cancelUrl", "Zeta", "alpha", "a", "B", "_x", "x1", "X1", "reference",
        "counterAccountName", "virtualAccountNumber", "items", "transactions", "note", "createdAt", "id", "z", "AA", "aA",
    ]

    mutating func int(_ range: ClosedRange<Int>) -> Int { Int.random(in: range, using: &random) }
    mutating func chance(_ percent: Int) -> Bool { int(1...100) <= percent }
    mutating func pick<T>(_ values: [T]) -> T { values[int(0...values.count - 1)] }

    mutating func checksumKey() -> String {
        let hex = Array("0123456789abcdef")
        return String((0..<64).map { _ in pick(hex) })
    }

    mutating func text() -> String {
        if chance(10) { return pick(["null", "undefined", ""]) }
        return (0..<int(1...4)).map { _ in pick(Self.fragments) }.joined(separator: chance(50) ? " " : "")
    }

    mutating func integer() -> Int64 {
        switch int(0...4) {
        case 0: return 0
        case 1: return Int64(int(1...100_000_000))
        case 2: return 9_007_199_254_740_991
        case 3: return Int64.random(in: 1...9_007_199_254_740_991, using: &random)
        default: return -Int64(int(1...1_000_000))
        }
    }

    mutating func key() -> String {
        if chance(70) { return pick(Self.keyPool) }
        let letters = Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_")
        return String((0..<int(1...12)).map { _ in pick(letters) })
    }

    mutating func scalar() -> JSONValue {
        switch int(0...3) {
        case 0: return .string(text())
        case 1: return .int(integer())
        case 2: return .bool(chance(50))
        default: return .null
        }
    }

    /// An object with unsorted keys; `depth` > 0 allows nested objects and arrays.
    mutating func object(depth: Int) -> JSONObject {
        var object = JSONObject()
        for _ in 0..<int(1...6) {
            let value: JSONValue
            if depth > 0, chance(20) {
                value = chance(50) ? .object(self.object(depth: depth - 1)) : .array((0..<int(0...3)).map { _ in scalar() })
            } else {
                value = scalar()
            }
            object[key()] = value
        }
        return object
    }

    /// A top-level payload: never a nested object at the top level (its text is SDK-specific, spec 4.2).
    mutating func bodyPayload() -> JSONObject {
        var payload = JSONObject()
        for _ in 0..<int(2...10) {
            let value: JSONValue
            switch int(0...9) {
            case 0...3: value = .string(text())
            case 4: value = .int(integer())
            case 5: value = .bool(chance(50))
            case 6: value = .null
            case 7, 8: value = .array((0..<int(0...4)).map { _ in .object(object(depth: 1)) })
            default: value = .array((0..<int(0...4)).map { _ in scalar() })
            }
            payload[key()] = value
        }
        return payload
    }

    mutating func createFields() -> CreateFields {
        CreateFields(
            amount: Int64(int(1...500_000_000)),
            cancelUrl: "https://shop.example.vn/cancel?ref=\(int(1...999))&b=\(text())",
            description: text(),
            orderCode: Int64.random(in: 1...9_007_199_254_740_991, using: &random),
            returnUrl: "http://localhost:3000/success?x=\(text())"
        )
    }
}

// MARK: Running a process

/// A finished child process.
struct Subprocess {
    let status: Int32
    let stdout: [UInt8]
    let stderr: [UInt8]

    var stdoutText: String { String(decoding: stdout, as: UTF8.self) }
    var stderrText: String { String(decoding: stderr, as: UTF8.self) }

    /// Runs `executable` with `arguments` without blocking a thread; output goes through temporary files so
    /// neither pipe can fill up and stall the child. A child still running after `timeout` is terminated.
    static func run(_ executable: String, _ arguments: [String], timeout: Duration) async throws -> Subprocess {
        let directory = FileManager.default.temporaryDirectory
        let outURL = directory.appending(path: "payos-sub-\(UUID().uuidString).out")
        let errURL = directory.appending(path: "payos-sub-\(UUID().uuidString).err")
        _ = FileManager.default.createFile(atPath: outURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errURL.path, contents: nil)
        defer {
            try? FileManager.default.removeItem(at: outURL)
            try? FileManager.default.removeItem(at: errURL)
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.standardOutput = try FileHandle(forWritingTo: outURL)
        process.standardError = try FileHandle(forWritingTo: errURL)
        process.standardInput = FileHandle.nullDevice
        let watchdog = Task {
            try await Task.sleep(for: timeout)
            process.terminate()
        }
        defer { watchdog.cancel() }
        let status: Int32 = try await withCheckedThrowingContinuation { continuation in
            process.terminationHandler = { finished in continuation.resume(returning: finished.terminationStatus) }
            do {
                try process.run()
            } catch {
                process.terminationHandler = nil
                continuation.resume(throwing: error)
            }
        }
        return Subprocess(status: status, stdout: Array(try Data(contentsOf: outURL)), stderr: Array(try Data(contentsOf: errURL)))
    }
}
