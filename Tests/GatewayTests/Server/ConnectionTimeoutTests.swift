// Copyright (c) the Gatehouse authors
import Foundation
import GatehouseTestSupport
import StorageTestSupport
import Testing

extension GatewayAPITests {
    /// Slow and silent clients cannot hold the server's sockets: a request head must be complete within
    /// `GATEHOUSE_REQUEST_HEAD_TIMEOUT_SECONDS` of its first byte, and a connection with nothing in progress is closed
    /// after `GATEHOUSE_IDLE_TIMEOUT_SECONDS`; a slow client that does send its request is served.
    @Suite struct ConnectionTimeoutTests {
        /// Far more than any timeout set here: a close that has not come by then is not coming.
        static let patience: Duration = .seconds(20)

        static func environment(idle: Int, head: Int) -> [String: String] {
            ["GATEHOUSE_IDLE_TIMEOUT_SECONDS": String(idle), "GATEHOUSE_REQUEST_HEAD_TIMEOUT_SECONDS": String(head)]
        }

        // MARK: Tests

        @Test(arguments: TestDatabases.backends)
        func halfARequestHeadAndThenNothingIsClosedAfterTheHeadTimeout(backend: TestBackend) async throws {
            // The idle timeout is a minute: only the head timeout can close this connection within the patience.
            try await GatewayHarness.run(backend, environment: Self.environment(idle: 60, head: 1)) { gw in
                let connection = try await RawConnection.open(port: gw.port)
                try await connection.send("GET /health HTTP/1.1\r\nHost: localhost\r\nAccept: appl")
                let closedAfter = try await connection.waitForClose(within: Self.patience)
                let elapsed = try #require(closedAfter, "the server kept a half-sent request head open")
                #expect(elapsed >= .milliseconds(900), "closed after \(elapsed), before the 1 s head timeout")
                #expect(connection.received.isEmpty, "the server answered a request it never fully received")

                let metrics = try await gw.get("/metrics")
                #expect(PrometheusEndpointTests.sample(metrics.body, "gatehouse_http_request_head_timeouts_total") == 1)
            }
        }

        @Test(arguments: TestDatabases.backends)
        func aHeadTrickledByteByByteIsClosedAtTheHeadTimeoutWhateverTheTrickle(backend: TestBackend) async throws {
            try await GatewayHarness.run(backend, environment: Self.environment(idle: 60, head: 1)) { gw in
                let connection = try await RawConnection.open(port: gw.port)
                // A byte every 200 ms: each arrives well within the timeout, but the head never gets done.
                let trickle = Task {
                    for byte in "GET /health HTTP/1.1\r\nHost: localhost\r\nX-Padding: " + String(repeating: "a", count: 500) {
                        guard !connection.isClosed else { return }
                        try? await connection.send(String(byte))
                        try await Task.sleep(for: .milliseconds(200))
                    }
                }
                defer { trickle.cancel() }
                let closedAfter = try await connection.waitForClose(within: Self.patience)
                let elapsed = try #require(closedAfter, "a trickled request head kept the connection open")
                #expect(elapsed >= .milliseconds(900), "closed after \(elapsed), before the 1 s head timeout")
                #expect(connection.received.isEmpty)
            }
        }

        @Test(arguments: TestDatabases.backends)
        func anIdleKeepAliveConnectionIsClosedAfterTheIdleTimeout(backend: TestBackend) async throws {
            // The head timeout is a minute: only the idle timeout can close this connection within the patience.
            try await GatewayHarness.run(backend, environment: Self.environment(idle: 2, head: 60)) { gw in
                let connection = try await RawConnection.open(port: gw.port)
                try await connection.send("GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n")
                #expect(try await connection.waitToReceive("\r\n\r\n"))
                #expect(connection.received.hasPrefix("HTTP/1.1 200"))
                #expect(!connection.received.lowercased().contains("connection: close"))
                // Kept alive: a second request on the same connection is answered.
                try await connection.send("GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n")
                #expect(try await connection.waitToReceive("HTTP/1.1 200", occurrences: 2))

                let closedAfter = try await connection.waitForClose(within: Self.patience)
                let elapsed = try #require(closedAfter, "an idle keep-alive connection was never closed")
                #expect(elapsed >= .milliseconds(1_800), "closed after \(elapsed), before the 2 s idle timeout")
            }
        }

        @Test(arguments: TestDatabases.backends)
        func aSlowButCompleteRequestIsServed(backend: TestBackend) async throws {
            try await GatewayHarness.run(backend, environment: Self.environment(idle: 60, head: 2)) { gw in
                let connection = try await RawConnection.open(port: gw.port)
                // The head in three pieces, all within the head timeout…
                let body = #"{"not":"a webhook"}"#
                for piece in ["POST /webhook/payos HTTP/1.1\r\n", "Host: localhost\r\nContent-Type: application/json\r\n",
                    "Content-Length: \(body.utf8.count)\r\n\r\n"]
                {
                    try await connection.send(piece)
                    try await Task.sleep(for: .milliseconds(200))
                }
                // …then the body, slower than the head timeout: a body is not a head.
                try await connection.send(String(body.prefix(5)))
                try await Task.sleep(for: .milliseconds(2_500))
                #expect(!connection.isClosed, "the connection was closed while its body was arriving")
                try await connection.send(String(body.dropFirst(5)))
                #expect(try await connection.waitToReceive("\r\n\r\n"), "no answer; received: \(connection.received)")
                #expect(connection.received.hasPrefix("HTTP/1.1 "))
                #expect(!connection.received.hasPrefix("HTTP/1.1 5"))
                await connection.close()
            }
        }
    }
}

extension RawConnection {
    /// Waits until `text` occurs `occurrences` times in what the server sent, at most `limit`.
    func waitToReceive(_ text: String, occurrences: Int, within limit: Duration = .seconds(10)) async throws -> Bool {
        let deadline = ContinuousClock.now + limit
        while received.components(separatedBy: text).count - 1 < occurrences {
            guard ContinuousClock.now < deadline, !isClosed else { return false }
            try await Task.sleep(for: .milliseconds(5))
        }
        return true
    }
}
