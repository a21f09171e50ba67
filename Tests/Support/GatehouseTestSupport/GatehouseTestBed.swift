// Copyright (c) the Gatehouse authors
import Foundation
import GatehouseApp
import Hummingbird
import Synchronization
import ServiceLifecycle
public import Logging
public import LogTestSupport
public import PayOSSandbox
import Storage
public import StorageTestSupport
import Testing
import Vault

/// What one or more test Gatehouses share, started and torn down together: a fresh database of the backend (an SQLite
/// file or a new MariaDB database, named by URL), an in-process ``PayOSSandbox`` on 127.0.0.1:0, optionally a
/// ``PayOSTap`` in front of it, one master key ring, and a scratch directory.
///
/// From a bed, ``serve(publicURL:environment:_:)`` starts a Gatehouse in-process (as `gatehouse serve` builds it) and
/// ``process(port:publicURL:environment:)`` prepares one as a child process; both read the same configuration,
/// ``environment(publicURL:dataDirectory:extra:)``. Most tests need one instance: ``TestGatehouse/run(_:sandbox:tapPayOS:logs:environment:_:)``.
public struct GatehouseTestBed: Sendable {
    public let backend: TestBackend
    public let databaseURL: String
    public let sandbox: PayOSSandbox
    /// The sandbox's own address.
    public let sandboxURL: String
    /// Records and can cut off the gateway's calls to payOS, when the bed was started with `tapPayOS`.
    public let payOSTap: PayOSTap?
    /// `GATEHOUSE_MASTER_KEYS` of every instance (they share the vault).
    public let masterKeys: String
    /// A scratch directory removed with the bed; each instance's data directory is inside it.
    public let directory: String
    /// Where the instances log (a ``LogCapture``'s logger when the bed was given one).
    public let logger: Logger

    /// Where instances reach payOS: the tap when there is one, else the sandbox.
    public var payOSURL: String { payOSTap?.baseURL ?? sandboxURL }

    /// Starts the bed, runs `body`, and tears everything down (also when `body` throws).
    /// - Parameters:
    ///   - sandbox: the sandbox's channels (payOS accounts) and settings.
    ///   - tapPayOS: serve the sandbox's payOS API through a ``PayOSTap`` and point the instances at it.
    ///   - logs: where the instances' log records go (the sandbox keeps logging to `TestDatabases.logger`).
    public static func run<T: Sendable>(
        _ backend: TestBackend, sandbox configuration: PayOSSandbox.Configuration, tapPayOS: Bool = false, logs: LogCapture? = nil,
        _ body: @Sendable (GatehouseTestBed) async throws -> T
    ) async throws -> T {
        let logger = logs?.logger ?? TestDatabases.logger
        return try await TestDatabaseURL.withURL(backend, logger: logger) { databaseURL in
            let sandbox = PayOSSandbox(configuration: configuration, logger: TestDatabases.logger)
            let sandboxService = BackgroundServices([sandbox], name: "the payOS sandbox", logger: TestDatabases.logger)
            var tap: PayOSTap?
            // Each teardown step is logged (debug), so a hung teardown names its step.
            func tearDown(_ outcome: String) async {
                logger.debug("test bed: \(outcome); stopping the payOS tap")
                await tap?.stop()
                logger.debug("test bed: tap stopped; stopping the sandbox")
                await sandboxService.stop()
                logger.debug("test bed: sandbox stopped")
            }
            do {
                let sandboxURL = try await sandbox.baseURL()
                let directory = FileManager.default.temporaryDirectory.appendingPathComponent("gh-test-\(UUID().uuidString)")
                try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
                defer { try? FileManager.default.removeItem(at: directory) }
                tap = tapPayOS ? try await PayOSTap.start(sandbox: sandbox, logger: TestDatabases.logger) : nil
                let bed = GatehouseTestBed(
                    backend: backend, databaseURL: databaseURL, sandbox: sandbox, sandboxURL: sandboxURL, payOSTap: tap,
                    masterKeys: MasterKeyRing.generateEntry(version: 1), directory: directory.path, logger: logger)
                let result = try await body(bed)
                await tearDown("body returned")
                return result
            } catch {
                await tearDown("body threw")
                throw error
            }
        }
    }

    /// An instance's configuration as environment variables: this bed's database, master keys and payOS (its checkout
    /// the sandbox's, as in `gatehouse dev`), the given public URL and data directory; `extra` wins over all of them.
    public func environment(publicURL: String, dataDirectory: String, extra: [String: String] = [:]) -> [String: String] {
        extra.merging([
            "GATEHOUSE_DATABASE_URL": databaseURL,
            "GATEHOUSE_MASTER_KEYS": masterKeys,
            "GATEHOUSE_PAYOS_BASE_URL": payOSURL,
            "GATEHOUSE_PAYOS_CHECKOUT_URL": sandboxURL + "/web/",
            "GATEHOUSE_PUBLIC_URL": publicURL,
            "GATEHOUSE_DATA_DIR": dataDirectory,
            // Tests share two cores with browsers and other suites: a wait for the database is not what they test, so
            // it may last far longer than production's 5 s before it fails them.
            "GATEHOUSE_DATABASE_ACQUIRE_TIMEOUT_MS": "\(TestDatabases.patientWaitMilliseconds)",
            "GATEHOUSE_SQLITE_BUSY_TIMEOUT_MS": "\(TestDatabases.patientWaitMilliseconds)",
        ]) { given, _ in given }
    }

    /// A fresh data directory for one instance, inside the bed's directory.
    public func makeDataDirectory(_ name: String = "instance") throws -> String {
        let path = (directory as NSString).appendingPathComponent("\(name)-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    /// Runs a Gatehouse in-process, built the way `gatehouse serve` builds it (`GatehouseComponents.open`,
    /// `buildApplication`) and served on a live loopback socket (`app.test(.live)`: cookies, redirects and the gateway's
    /// own HTTP calls are the real thing); runs `body` and shuts it down (also when `body` throws).
    /// - Parameters:
    ///   - publicURL: where renters and payOS reach it (``TestGatehouse/publicURL`` unless a test needs a real one).
    ///   - environment: further `GATEHOUSE_*` settings; they win over the bed's (e.g. another payOS URL or master keys).
    public func serve<T: Sendable>(
        publicURL: String = TestGatehouse.publicURL, environment extra: [String: String] = [:],
        _ body: @Sendable (TestGatehouse) async throws -> T
    ) async throws -> T {
        var configuration = try GatehouseConfiguration(
            environment: environment(publicURL: publicURL, dataDirectory: try makeDataDirectory(), extra: extra))
        // A free port of the system's choosing unless the test names one (the instance reports the one it got).
        if extra["GATEHOUSE_PORT"] == nil { configuration.port = 0 }
        let components = try await GatehouseComponents.open(
            configuration: configuration, masterKeys: try MasterKeyRing.load(configuration: configuration), logger: logger)
        do {
            let started = ServerStart()
            let app = buildApplication(components: components, logger: logger, onServerRunning: { channel in
                started.listening(port: channel.localAddress?.port)
            })
            let result = try await Self.live(app, started: started, logger: logger) { port in
                let result = try await body(TestGatehouse(bed: self, components: components, port: port))
                logger.debug("test bed: test body returned; shutting the instance down")
                return result
            }
            logger.debug("test bed: instance stopped; closing its database")
            await components.database.shutdown()
            logger.debug("test bed: instance's database closed")
            return result
        } catch {
            logger.debug("test bed: instance failed or its test threw; closing its database")
            await components.database.shutdown()
            throw error
        }
    }

    /// Runs `app` as `gatehouse serve` does (a `ServiceGroup`, stopped by a graceful shutdown), hands its port to `body`
    /// once it listens, then shuts it down.
    ///
    /// Not HummingbirdTesting's `.live`: that waits for the port without watching the application, so an instance
    /// whose start failed (a service or `beforeServerStarts` throwing) left its test waiting forever. Here a start
    /// that fails ends the wait with the application's error.
    private static func live<T: Sendable>(
        _ app: some ApplicationProtocol, started: ServerStart, logger: Logger, _ body: @Sendable (Int) async throws -> T
    ) async throws -> T {
        let serviceGroup = ServiceGroup(configuration: .init(services: [app], logger: logger))
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                do {
                    try await serviceGroup.run()
                    started.stopped(HarnessError(description: "the Gatehouse instance stopped before it listened"))
                } catch {
                    started.stopped(error)
                    throw error
                }
            }
            let result: Result<T, any Error>
            do {
                let port = try await started.port()
                result = .success(try await body(port))
            } catch {
                result = .failure(error)
            }
            await serviceGroup.triggerGracefulShutdown()
            try await group.waitForAll()
            return try result.get()
        }
    }

    /// A `gatehouse serve` child process on `port` with this bed's configuration (plus `environment`, which wins), its
    /// own data directory, and a log file there; not started yet (``GatehouseProcess/start(timeout:)``). Variables of
    /// the test's own environment are passed on, except `GATEHOUSE_*` ones.
    public func process(port: Int, publicURL: String? = nil, environment extra: [String: String] = [:]) throws -> GatehouseProcess {
        let dataDirectory = try makeDataDirectory("process")
        var environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("GATEHOUSE_") }
        environment.merge(
            self.environment(publicURL: publicURL ?? "http://127.0.0.1:\(port)", dataDirectory: dataDirectory, extra: extra)
        ) { $1 }
        return GatehouseProcess(
            port: port, environment: environment, logFile: (dataDirectory as NSString).appendingPathComponent("gatehouse.log"))
    }
}

/// The port an instance listens on, or why it never will: whichever comes first settles the wait.
final class ServerStart: Sendable {
    private enum State {
        case waiting([CheckedContinuation<Int, any Error>])
        case listening(Int)
        case failed(any Error)
    }

    private let state = Mutex(State.waiting([]))

    func listening(port: Int?) {
        settle(port.map(Result.success) ?? .failure(HarnessError(description: "the Gatehouse instance listens on no port")))
    }

    func stopped(_ error: any Error) { settle(.failure(error)) }

    func port() async throws -> Int {
        try await withCheckedThrowingContinuation { continuation in
            let settled = state.withLock { state -> Result<Int, any Error>? in
                switch state {
                case .waiting(var waiters):
                    waiters.append(continuation)
                    state = .waiting(waiters)
                    return nil
                case .listening(let port): return .success(port)
                case .failed(let error): return .failure(error)
                }
            }
            if let settled { continuation.resume(with: settled) }
        }
    }

    private func settle(_ result: Result<Int, any Error>) {
        let waiters = state.withLock { state -> [CheckedContinuation<Int, any Error>] in
            guard case .waiting(let waiters) = state else { return [] }
            switch result {
            case .success(let port): state = .listening(port)
            case .failure(let error): state = .failed(error)
            }
            return waiters
        }
        for waiter in waiters { waiter.resume(with: result) }
    }
}
