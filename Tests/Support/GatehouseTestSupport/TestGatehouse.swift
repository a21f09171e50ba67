// Copyright (c) the Gatehouse authors
public import GatehouseApp
public import HTTPTypes
public import Logging
public import LogTestSupport
public import PayOSSandbox
public import StorageTestSupport
public import Testing

/// A Gatehouse running in-process on a live loopback port, on a ``GatehouseTestBed``: its components (services and
/// database, for arranging state and reading it back) and its port.
public struct TestGatehouse: Sendable {
    /// The public URL instances get unless a test gives another (tests call the paths directly).
    public static let publicURL = "http://gatehouse.test"

    /// For tests that sweep every route with wrong credentials from one address: the budget of failed
    /// authentications per address (tested on its own) would otherwise turn their 401s into 429s.
    public static let sweepingWrongCredentials = ["GATEHOUSE_AUTH_FAILURE_BURST": "10000"]

    public let bed: GatehouseTestBed
    public let components: GatehouseComponents
    /// The live port on localhost.
    public let port: Int

    public init(bed: GatehouseTestBed, components: GatehouseComponents, port: Int) {
        self.bed = bed
        self.components = components
        self.port = port
    }

    public var baseURL: String { "http://localhost:\(port)" }
    public var sandbox: PayOSSandbox { bed.sandbox }
    public var logger: Logger { bed.logger }

    /// One Gatehouse on a bed of its own: the common case (see ``GatehouseTestBed/run(_:sandbox:tapPayOS:logs:_:)`` and
    /// ``GatehouseTestBed/serve(publicURL:environment:_:)``).
    public static func run<T: Sendable>(
        _ backend: TestBackend, sandbox: PayOSSandbox.Configuration, tapPayOS: Bool = false, logs: LogCapture? = nil,
        environment: [String: String] = [:], _ body: @Sendable (TestGatehouse) async throws -> T
    ) async throws -> T {
        try await GatehouseTestBed.run(backend, sandbox: sandbox, tapPayOS: tapPayOS, logs: logs) { bed in
            try await bed.serve(environment: environment, body)
        }
    }

    /// One request on a fresh connection (see ``HTTPResult/fetch(port:_:_:headers:body:)``), its answer held to the API
    /// contract (``APIContract``).
    public func send(
        _ method: HTTPRequest.Method, _ path: String, headers: HTTPFields = [:], body: String? = nil, sourceLocation: SourceLocation = #_sourceLocation
    ) async throws -> HTTPResult {
        let result = try await HTTPResult.fetch(port: port, method, path, headers: headers, body: body)
        APIContract.shared.expectConforms(method, path, result, sourceLocation: sourceLocation)
        return result
    }
}
