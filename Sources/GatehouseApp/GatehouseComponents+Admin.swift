// Copyright (c) the Gatehouse authors
public import Admin
public import GatehouseHTTP

extension GatehouseComponents {
    /// Every admin operation, shared by the `/admin` JSON API and the dashboard.
    public var adminOperations: AdminOperations {
        AdminOperations(
            database: database,
            owners: AdminOwnerService(database: database, owners: owners, apiKeys: apiKeys, credentials: credentials, clock: clock),
            vault: vault, outbox: notifications.outbox, audit: AdminAuditQuery(database: database), limits: rateLimits, limiter: rateLimiter,
            clock: clock)
    }

    /// The statistics the admin overview and owners list read, refreshed by ``AdminStatsService``.
    public var adminStats: AdminStatsRefresher {
        AdminStatsRefresher(database: database, clock: clock)
    }

    /// The `/admin` JSON API over these components.
    public var adminController: AdminController {
        AdminController(operations: adminOperations)
    }

    /// The `/admin` dashboard over these components; failed sign-ins spend `authFailures`, the admin API's budget.
    public func dashboardController(authFailures: AuthFailureLimiter) -> DashboardController {
        DashboardController(
            sessions: AdminSessionRepository(database: database, hasher: hasher, clock: clock), operations: adminOperations,
            series: PaymentMetricsSeries(metrics: paymentMetrics),
            ownerList: AdminOwnerList(database: database, refresher: adminStats), database: database, pages: adminPages,
            secureCookies: configuration.publicURL.lowercased().hasPrefix("https://"), authFailures: authFailures, clock: clock)
    }
}
