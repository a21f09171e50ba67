// Copyright (c) the Gatehouse authors
import Admin
import Gateway
import HTTPTypes
public import Hummingbird
public import NIOCore
public import Logging
import PayOS
public import ServiceLifecycle
import Storage
import Tenancy
import Vault
import GatehouseCore
import Payments
public import GatehouseHTTP

/// Builds the Gatehouse application: the composition root.
///
/// - Parameters:
///   - components: opened by ``GatehouseComponents/open(configuration:masterKeys:httpClient:clock:logger:)``.
///   - logger: the process logger.
///   - extraServices: run with the application before the server starts accepting requests (e.g. the dev sandbox).
///   - beforeServerStarts: work that needs the services running but must finish before the first request.
///   - onServerRunning: called once the server listens, with its channel (e.g. to learn the bound port).
/// - Returns: an application to `runService()` (graceful shutdown on SIGTERM/SIGINT).
public func buildApplication(
    components: GatehouseComponents,
    logger: Logger,
    extraServices: [any Service] = [],
    beforeServerStarts: (@Sendable () async throws -> Void)? = nil,
    onServerRunning: @escaping @Sendable (any Channel) async -> Void = { _ in }
) -> some ApplicationProtocol {
    let configuration = components.configuration
    let (router, refreshStatus) = buildRoutes(components: components)
    let changeFeed = PaymentChangeFeed(
        repository: components.paymentRepository, view: components.statusView, clock: components.clock, logger: logger)
    let rateLimitReloader = RateLimitReloader(
        repository: components.rateLimits, limiter: components.rateLimiter, clock: components.clock, logger: logger)
    let instances = InstanceRegistry(
        database: components.database, limiter: components.rateLimiter, clock: components.clock,
        heartbeatInterval: .seconds(configuration.instanceHeartbeatSeconds), logger: logger)
    var app = Application(
        responder: GatehouseResponder(router: router.buildResponder(), refreshStatus: refreshStatus),
        // Slow and silent clients cannot hold sockets: idle connections and unfinished request heads are closed.
        server: .gatehouse(
            idleTimeout: .seconds(configuration.idleTimeoutSeconds), requestHeadTimeout: .seconds(configuration.requestHeadTimeoutSeconds),
            metrics: components.observability.factory),
        configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "Gatehouse"),
        services: [components.database] + extraServices + [
            changeFeed,
            rateLimitReloader,
            instances,
            ReconciliationService(
                payments: components.payments, repository: components.paymentRepository, clock: components.clock,
                configuration: .init(
                    pollInterval: .seconds(configuration.reconcileIntervalSeconds),
                    firstIntervalMillis: Int64(configuration.reconcileFirstCheckSeconds) * 1_000,
                    leaseMillis: Int64(configuration.reconcileLeaseSeconds) * 1_000),
                logger: logger),
            VaultMaintenanceService(vault: components.vault, logger: logger),
            AdminStatsService(refresher: components.adminStats, logger: logger),
            components.notifications.worker,
            WebhookInboxWorker(
                webhooks: components.webhooks,
                configuration: .init(concurrency: configuration.webhookWorkers, burstHoldback: .milliseconds(configuration.webhookBurstHoldbackMillis)),
                logger: logger),
            WebhookRefusalFlusher(tally: components.webhooks.refusals, interval: .seconds(configuration.keyUseFlushSeconds), logger: logger),
        ] + keyCacheServices(components: components, logger: logger),
        onServerRunning: onServerRunning,
        // Request loggers get metadata on every request (request id, client address); format it only for lines that
        // are logged, not on each set.
        logger: logger.deferringMetadataFormatting()
    )
    // Stored limits are in force from the first request, and this instance's share counts the instances already live.
    app.beforeServerStarts {
        try await rateLimitReloader.loadAll()
        try await instances.announce()
    }
    if let beforeServerStarts { app.beforeServerStarts(perform: beforeServerStarts) }
    return app
}

/// The router with every route and the edge middleware.
public func buildRouter(components: GatehouseComponents) -> Router<GatehouseRequestContext> {
    buildRoutes(components: components).router
}

/// The router, and the renter's plain poll answered before it (``GatehouseResponder``) with the same controller's parts.
func buildRoutes(components: GatehouseComponents) -> (router: Router<GatehouseRequestContext>, refreshStatus: RefreshStatusFastPath) {
    let router = Router(context: GatehouseRequestContext.self)
    let pages = components.pages
    // Outermost, so it sees the status the client gets; labelled by route template (`context.endpointPath`), never the
    // raw path, so webhook keys, payment ids and tokens never become label values.
    router.add(middleware: MetricsMiddleware())
    let trustedProxies = components.configuration.trustedProxyNetworks
    // One set of owner labels for both groups' limiters, so the series bound holds for the process.
    let rateLimitMetrics = RateLimitMetrics(factory: components.observability.factory)
    router.add(middleware: ClientAddressMiddleware(trustedProxies: trustedProxies))
    router.add(middleware: PayOSDeadlineMiddleware())
    router.add(
        middleware: ErrorMiddleware { request, error in
            // Page requests get the localized HTML error page with the real status; API requests get JSON.
            guard request.method == .get, !request.wantsJSONError else { return nil }
            let nonce = HTMLPage.makeNonce()
            let page = PageContext(locale: request.pageLocaleForErrors, nonce: nonce)
            let model: ErrorPageModel =
                switch error.status.code {
                case 404: .paymentNotFound(page: page)
                case 429: .rateLimited(page: page)
                case 500...: .serverError(page: page)
                default: .init(page: page, statusCode: Int(error.status.code), message: .custom(error.message))
                }
            var headers = error.headers
            for field in HTMLPage.headers(nonce: nonce) { headers[field.name] = field.value }
            return Response(status: error.status, headers: headers, body: .init(byteBuffer: .init(string: pages.errorPage(model))))
        })
    router.addRoutes(HealthController<GatehouseRequestContext>().endpoints)
    router.addRoutes(OpenAPIController<GatehouseRequestContext>(document: components.apiDocument).endpoints)
    router.addRoutes(
        PrometheusController<GatehouseRequestContext>(
            registry: components.observability.registry,
            gauges: DatabaseGauges(
                registry: components.observability.registry, database: components.database, clock: components.clock,
                instanceStaleAfterMillis: Int64(components.configuration.instanceHeartbeatSeconds) * 1000 * Int64(InstanceRegistry.defaultMissedBeats)),
            bearerToken: components.configuration.metricsToken
        ).endpoints)
    router.addRoutes(
        PaymentHealthController<GatehouseRequestContext>(
            database: components.database, httpClient: PayOSClient.sharedHTTPClient, payOSBaseURL: components.configuration.payOSBaseURL,
            publicURL: components.configuration.publicURL
        ).endpoints)

    // One owner authenticator (one suspension rule) for every route that reads owner API keys.
    // Failed owner and admin authentications share one budget per client address.
    // Refusals of a spent budget (address or webhook key) are held before they are answered: one tarpit for both.
    let refusalHold = RefusalHold(delay: .milliseconds(components.configuration.authRefusalDelayMillis))
    let authFailures = AuthFailureLimiter(
        policy: components.configuration.authFailureLimit, trustedProxies: trustedProxies, metrics: components.observability.factory,
        hold: refusalHold)
    let authenticator = OwnerAuthenticator(apiKeys: components.apiKeys, owners: components.owners, failures: authFailures)
    let access = RenterAccess(
        statusView: components.statusView, tokens: components.renterTokens, authenticator: authenticator,
        secureCookies: components.configuration.publicURL.lowercased().hasPrefix("https://"))
    let paymentController = PaymentController(
        payments: components.payments, access: access, pages: pages, longPolls: components.longPolls,
        redirects: components.redirectConfirmations, clock: components.clock)
    // Renter traffic: the grant is made once (renter token, or the owner's key), then charged to the payment's own renter
    // bucket (valid renter token) or else the client IP; routes that need the grant run in its context (404 without one).
    let renter = router.group()
        .add(middleware: access)
        .add(middleware: RateLimitMiddleware(limiter: components.rateLimiter, trustedProxies: trustedProxies, metrics: rateLimitMetrics))
    renter.group(context: RenterRequestContext.self).addRoutes(paymentController.renterEndpoints)
    renter.addRoutes(paymentController.redirectEndpoints)
    renter.group(context: NotificationReaderContext.self).addRoutes(components.notifications.controller.endpoints)
    router.addRoutes(
        WebhookController(
            webhooks: components.webhooks, failures: authFailures,
            keyFailures: WebhookKeyFailureGuard(trustedProxies: trustedProxies, hold: refusalHold)
        ).endpoints)
    router.addRoutes(components.onboardingPage.endpoints)

    // Owner API: `Authorization: Bearer <API key>`, charged to the owner.
    let owner = router.group()
        .add(middleware: authenticator)
        .add(middleware: RateLimitMiddleware(limiter: components.rateLimiter, trustedProxies: trustedProxies, metrics: rateLimitMetrics))
        .group(context: OwnerRequestContext.self)
    owner.addRoutes(BookingController(bookings: components.bookings).endpoints)
    owner.addRoutes(paymentController.ownerEndpoints)
    owner.addRoutes(OwnerController(credentials: components.credentials, onboarding: components.onboarding, apiKeys: components.apiKeys).endpoints)

    // Platform admins: `Authorization: Bearer <admin token>` on every /admin API route; the dashboard's pages use
    // their own session cookie.
    let operations = components.adminOperations
    let admin = router.group("admin").add(middleware: AdminAuthMiddleware(tokens: components.adminTokens, failures: authFailures)).group(context: AdminRequestContext.self)
    admin.addRoutes(AdminController(operations: operations).endpoints)
    // The metrics controller's routes carry their full path (`/admin/metrics`).
    router.group().add(middleware: AdminAuthMiddleware(tokens: components.adminTokens, failures: authFailures)).group(context: AdminRequestContext.self)
        .addRoutes(MetricsController<AdminRequestContext>(metrics: components.paymentMetrics, owners: components.owners, now: { components.clock.now() }).endpoints)
    router.addRoutes(components.dashboardController(authFailures: authFailures).endpoints)
    // Owners' console: its own session cookie (signed in with an owner API key); wrong keys spend the same budget.
    router.addRoutes(components.ownerConsoleController(authFailures: authFailures).endpoints)
    return (router, paymentController.refreshStatusFastPath(limiter: components.rateLimiter))
}

extension Request {
    /// Error answers are JSON for the API (and for anything that asks for JSON); pages get HTML.
    fileprivate var wantsJSONError: Bool {
        let path = uri.path
        if path.hasPrefix("/api/") || path.hasPrefix("/webhook/") || path.hasPrefix("/admin/") || path.hasPrefix("/health") || path == "/metrics"
            || path.hasPrefix("/payment/refresh-status/") || path.hasPrefix("/payment/qr/") || path == "/payment/process_payment"
        {
            return true
        }
        guard let accept = headers[.accept]?.lowercased() else { return false }
        return !accept.contains("text/html")
    }

    fileprivate var pageLocaleForErrors: PageLocale {
        PageLocale.negotiate(
            acceptLanguage: headers[.acceptLanguage], query: uri.queryParameters["lang"].map(String.init), cookie: cookies["gh_lang"]?.value)
    }
}

/// The key cache's invalidation poller and its usage flush (none when key access runs without a cache).
private func keyCacheServices(components: GatehouseComponents, logger: Logger) -> [any Service] {
    guard let cache = components.keyAccess.cache else { return [] }
    return [
        KeyInvalidationFollower(database: components.database, cache: cache, clock: components.clock, logger: logger),
        KeyCacheMaintenance(
            cache: cache, auditLog: AuditLog(clock: components.clock), database: components.database,
            interval: .seconds(components.configuration.keyUseFlushSeconds), logger: logger),
    ]
}
