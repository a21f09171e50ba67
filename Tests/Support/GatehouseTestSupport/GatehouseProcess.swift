// Copyright (c) the Gatehouse authors
import AsyncHTTPClient
import Foundation
import NIOCore
public import NIOHTTP1
public import PayOS

#if canImport(Glibc)
import Glibc
#endif

/// A `gatehouse` executable run as its own process, the way an operator runs it: for tests that must kill the
/// gateway (SIGKILL, no shutdown code runs) or run several instances.
///
/// Output goes to a log file in the test's directory (shown when a test fails), never to the test's own output.
public final class GatehouseProcess: @unchecked Sendable {
    // @unchecked: `process` is only touched from the test task that owns this value (start, kill, wait).
    public let port: Int
    public let environment: [String: String]
    public let logFile: String
    private var process: Process?

    /// The `gatehouse` built next to the test bundle (`swift build --build-tests` builds every product).
    public static var executable: String {
        get throws {
            let directory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
            let candidates = [directory, directory.deletingLastPathComponent()].map { $0.appendingPathComponent("gatehouse").path }
            guard let found = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
                throw HarnessError(description: "no gatehouse executable next to the tests (looked at \(candidates)); run `swift build --build-tests`")
            }
            return found
        }
    }

    public init(port: Int, environment: [String: String], logFile: String) {
        self.port = port
        self.environment = environment
        self.logFile = logFile
    }

    public var baseURL: String { "http://127.0.0.1:\(port)" }

    /// Runs a one-shot command (`owner create --json`, `migrate`…) with this instance's environment; returns stdout.
    public func command(_ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try Self.executable)
        process.arguments = arguments
        process.environment = environment
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle(forWritingAtPath: logFile) ?? FileHandle.nullDevice
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw HarnessError(description: "gatehouse \(arguments.first ?? "") exited \(process.terminationStatus); see \(logFile)")
        }
        return String(decoding: data, as: UTF8.self)
    }

    /// Starts `gatehouse serve` and waits until `/health` answers.
    public func start(timeout: Duration = .seconds(60)) async throws {
        precondition(process == nil, "already running")
        if !FileManager.default.fileExists(atPath: logFile) { FileManager.default.createFile(atPath: logFile, contents: nil) }
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: logFile))
        log.seekToEndOfFile()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try Self.executable)
        process.arguments = ["serve", "--host", "127.0.0.1", "--port", String(port)]
        process.environment = environment
        process.standardOutput = log
        process.standardError = log
        try process.run()
        self.process = process
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            guard process.isRunning else {
                throw HarnessError(description: "gatehouse serve exited \(process.terminationStatus) while starting; see \(logFile)")
            }
            if let response = try? await HTTPClient.shared.execute(HTTPClientRequest(url: baseURL + "/health"), timeout: .seconds(1)),
                response.status == .ok
            {
                return
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw HarnessError(description: "gatehouse serve did not answer /health within \(timeout); see \(logFile)")
    }

    /// SIGKILL: the process ends at once, mid-request, mid-transaction, mid-SMTP conversation.
    public func kill() {
        guard let process, process.isRunning else { return }
        Glibc.kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        self.process = nil
    }

    /// SIGTERM and wait: the graceful path.
    public func stop() {
        guard let process else { return }
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
        }
        self.process = nil
    }

    deinit {
        if let process, process.isRunning { Glibc.kill(process.processIdentifier, SIGKILL) }
    }

    // MARK: HTTP

    public struct Answer: Sendable {
        public let status: Int
        public let body: String
        public var json: JSONValue? { try? JSONValue(parsing: Array(body.utf8)) }
    }

    public func request(_ method: NIOHTTP1.HTTPMethod, _ path: String, bearer: String? = nil, body: String? = nil) async throws -> Answer {
        var request = HTTPClientRequest(url: baseURL + path)
        request.method = method
        if let bearer { request.headers.add(name: "Authorization", value: "Bearer \(bearer)") }
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(string: body))
        }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
        let bytes = try await response.body.collect(upTo: 1 << 20)
        return Answer(status: Int(response.status.code), body: String(buffer: bytes))
    }
}

/// A loopback port that was free a moment ago (bound to port 0, read back, closed).
public func freeLoopbackPort() throws -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw HarnessError(description: "socket() failed") }
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = 0
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
    guard bound == 0 else { throw HarnessError(description: "bind() failed") }
    let named = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
    }
    guard named == 0 else { throw HarnessError(description: "getsockname() failed") }
    return Int(UInt16(bigEndian: address.sin_port))
}
