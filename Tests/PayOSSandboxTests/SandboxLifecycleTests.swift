// Copyright (c) the Gatehouse authors
import AsyncHTTPClient
import Logging
import NIOCore
import NIOHTTP1
import ServiceLifecycle
import Testing

@testable import PayOSSandbox

/// Running the sandbox as a ServiceLifecycle service.
@Suite struct SandboxLifecycleTests {
    // MARK: Tests

    @Test func gracefulShutdownStopsTheServer() async throws {
        let sandbox = PayOSSandbox(configuration: .init(channels: [channelA]), logger: TestSandbox.logger)
        let group = ServiceGroup(configuration: .init(services: [sandbox], logger: TestSandbox.logger))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            let url = try await sandbox.baseURL()
            var request = HTTPClientRequest(url: url + "/sandbox/channels")
            request.method = .GET
            let response = try await HTTPClient.shared.execute(request, timeout: .seconds(5))
            #expect(response.status == .ok)
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
        await #expect(throws: PayOSSandboxError.notRunning) { try await sandbox.baseURL() }
    }

    @Test func portInUseFailsRunAndBaseURL() async throws {
        try await TestSandbox.with { running in
            let portText = try #require(running.baseURL.split(separator: ":").last)
            let port = try #require(Int(portText))
            let second = PayOSSandbox(configuration: .init(port: port), logger: TestSandbox.logger)
            let waiter = Task { try await second.baseURL() }
            await #expect(throws: (any Error).self) { try await second.run() }
            await #expect(throws: (any Error).self) { try await waiter.value }
        }
    }
}
