// Copyright (c) the Gatehouse authors
public import AsyncHTTPClient
public import Hummingbird
public import Logging
import NIOCore
import PayOS
public import ServiceLifecycle

/// A local payOS: the merchant API at the root of its address (`/v2/payment-requests…`, `/confirm-webhook`), a
/// checkout page (`/web/{paymentLinkId}`) and its own control API (`/sandbox/…`). State lives in memory for the
/// sandbox's lifetime. Faithful enough that the official payOS Python SDK 1.x cannot tell it from payOS
/// (`scripts/payos-interop` proves it).
///
/// Run it as a ``Service`` (in `gatehouse dev`'s service group or a test's task group) and ask for its address:
/// ```swift
/// let sandbox = PayOSSandbox(configuration: .init(channels: [channel]), logger: logger)
/// try await withThrowingTaskGroup(of: Void.self) { group in
///     group.addTask { try await sandbox.run() }
///     let baseURL = try await sandbox.baseURL()      // "http://127.0.0.1:54321"
///     …
///     group.cancelAll()
/// }
/// ```
/// A sandbox runs once; make a new one to run again.
public struct PayOSSandbox: Service {
    /// How it was configured.
    public let configuration: Configuration
    let state: SandboxState
    private let dispatcher: WebhookDispatcher
    private let sender: WebhookSender
    private let logger: Logger

    /// - Parameters:
    ///   - configuration: Address, channels, retry and fault settings.
    ///   - httpClient: Client for webhooks and confirm-webhook probes; ``webhookHTTPClient`` by default.
    ///   - logger: Logger for requests and deliveries (keys are never logged).
    public init(configuration: Configuration, httpClient: HTTPClient = PayOSSandbox.webhookHTTPClient, logger: Logger) {
        let (jobs, continuation) = AsyncStream<WebhookJob>.makeStream()
        let state = SandboxState(configuration: configuration, jobs: continuation)
        let sender = WebhookSender(httpClient: httpClient, timeout: configuration.webhookTimeout)
        self.configuration = configuration
        self.state = state
        self.sender = sender
        self.logger = logger
        self.dispatcher = WebhookDispatcher(jobs: jobs, state: state, sender: sender, retry: configuration.webhookRetry, logger: logger)
    }

    // MARK: Running

    /// Binds, serves, and delivers webhooks until cancelled or gracefully shut down.
    public func run() async throws {
        do {
            try await makeApplication().run()
            await state.serverStopped(error: PayOSSandboxError.notRunning)
        } catch {
            await state.serverStopped(error: error)
            throw error
        }
    }

    /// The Hummingbird application (server plus webhook dispatcher), e.g. for HummingbirdTesting. It records its bound
    /// port for ``baseURL()`` and `checkoutUrl`.
    public func makeApplication() -> some ApplicationProtocol {
        let state = self.state
        let host = configuration.host
        return Application(
            router: buildRouter(),
            configuration: .init(address: .hostname(host, port: configuration.port), serverName: nil),
            services: [dispatcher],
            onServerRunning: { channel in
                await state.serverBound(host: host, port: channel.localAddress?.port ?? 0)
            },
            logger: logger
        )
    }

    /// The router with every route: payOS endpoints behind authentication and fault injection, the checkout page,
    /// and the control API.
    public func buildRouter() -> Router<SandboxRequestContext> {
        let router = Router(context: SandboxRequestContext.self)
        router.addRoutes(CheckoutController(state: state).endpoints, atPath: "/web")
        router.addRoutes(SandboxControlController(state: state).endpoints, atPath: "/sandbox")
        let payOS = router.group()
            .add(middleware: PayOSAuthMiddleware(state: state))
            .group(context: ChannelRequestContext.self)
            .add(middleware: FaultInjectionMiddleware(state: state))
        payOS.addRoutes(PaymentRequestsController(state: state).endpoints, atPath: "/v2/payment-requests")
        payOS.addRoutes(ConfirmWebhookController(state: state, sender: sender).endpoints, atPath: "/confirm-webhook")
        return router
    }

    /// `http://host:port` once the server listens (waits until then). With ``Configuration/publicBaseURL`` set,
    /// `checkoutUrl`s use that instead; this is always the bound address.
    /// - Throws: ``PayOSSandboxError/notRunning`` if the server stopped or failed to bind.
    public func baseURL() async throws -> String {
        try await state.boundURL()
    }

    // MARK: In-process control (the same operations as `/sandbox/…`)

    /// Adds a channel (or replaces one with the same client id when `replace` is true).
    public func addChannel(_ channel: SandboxChannel, replace: Bool = false) async throws(SandboxControlError) {
        _ = try await state.addChannel(channel, replace: replace)
    }

    /// Replaces a channel's faults; ``SandboxFaults/off`` clears them.
    public func setFaults(_ faults: SandboxFaults, clientId: String) async throws(SandboxControlError) {
        try await state.setFaults(faults, clientId: clientId)
    }

    public func faults(clientId: String) async throws(SandboxControlError) -> SandboxFaults {
        try await state.faults(clientId: clientId)
    }

    /// A link by payment link id, or by order code (with `clientId` when several channels use it).
    public func paymentLink(_ id: String, clientId: String? = nil) async throws(SandboxControlError) -> SandboxPaymentLink {
        try await state.resolve(controlID: id, clientId: clientId)
    }

    /// Simulates a bank transfer to a link (default: the remaining amount) and queues its webhook.
    /// - Parameter late: a transfer the bank completed as the link was being cancelled or expired (the renter paid
    ///   in the gap): credited to a cancelled or expired link too, which keeps its status.
    /// - Returns: The transaction recorded.
    @discardableResult
    public func pay(_ id: String, amount: Int64? = nil, clientId: String? = nil, late: Bool = false) async throws(SandboxControlError) -> PaymentTransaction {
        let link = try await state.resolve(controlID: id, clientId: clientId)
        return try await state.pay(linkID: link.id, amount: amount, payer: .init(), late: late).transaction
    }

    /// Forces a link to `PROCESSING` or `FAILED` (as `POST /sandbox/payment-requests/{id}/status`).
    @discardableResult
    public func forceStatus(_ id: String, to status: PaymentLinkStatus, clientId: String? = nil) async throws(SandboxControlError)
        -> SandboxPaymentLink
    {
        let link = try await state.resolve(controlID: id, clientId: clientId)
        return try await state.forceStatus(linkID: link.id, to: status)
    }

    /// The payOS API calls received, oldest first (the newest 1 000), with the fault injected into each.
    public func apiCalls(clientId: String? = nil) async -> [SandboxAPICall] {
        await state.apiCalls(clientId: clientId)
    }

    /// Sends a channel's held (reordered) webhooks now, newest first. Returns how many were released.
    @discardableResult
    public func flushHeldWebhooks(clientId: String) async throws(SandboxControlError) -> Int {
        try await state.flushHeld(clientId: clientId)
    }

    /// The webhook delivery log, oldest first.
    public func deliveries(clientId: String? = nil) async -> [WebhookDelivery] {
        await state.deliveries(clientId: clientId)
    }
}

/// Errors about the sandbox process itself.
public struct PayOSSandboxError: Error, Hashable, CustomStringConvertible {
    private enum Base: Hashable {
        case notRunning
        case channelsFile(String)
        case invalidOption(String)
    }

    private let base: Base

    /// The server is not running (stopped, or failed to bind).
    public static let notRunning = Self(base: .notRunning)
    /// The channels file could not be read or parsed; the text says why (paths and field names, never keys).
    public static func channelsFile(_ reason: String) -> Self { Self(base: .channelsFile(reason)) }
    /// A command-line option is unusable; the text names it.
    public static func invalidOption(_ reason: String) -> Self { Self(base: .invalidOption(reason)) }

    public var code: String {
        switch base {
        case .notRunning: "sandbox.not_running"
        case .channelsFile: "sandbox.channels_file"
        case .invalidOption: "sandbox.invalid_option"
        }
    }

    public var description: String {
        switch base {
        case .notRunning: "the payOS sandbox is not running"
        case .channelsFile(let reason): "cannot load sandbox channels: \(reason)"
        case .invalidOption(let reason): "invalid sandbox option: \(reason)"
        }
    }
}
