// Copyright (c) the Gatehouse authors
import Admin
import Logging
import ServiceLifecycle
import GatehouseCore

/// Refreshes the admin consoles' statistics (``AdminStatsRefresher``) at start and then every minute, under
/// ServiceLifecycle; the owners list and overview are at most that old.
struct AdminStatsService: Service {
    let refresher: AdminStatsRefresher
    var interval: Duration = AdminStatsRefresher.interval
    let logger: Logger

    func run() async throws {
        await PeriodicTask(interval: interval, failureMessage: "admin statistics refresh failed", logger: logger).run {
            try await refresher.refresh(logger: logger)
        }
    }
}
