// Copyright (c) the Gatehouse authors
import Logging
import ServiceLifecycle
import Vault
import GatehouseCore

/// Destroys owners' previous payOS checksum keys once their grace window has ended (they verify webhooks
/// only until then), once per `interval`, under ServiceLifecycle; stops at graceful shutdown.
struct VaultMaintenanceService: Service {
    let vault: Vault
    var interval: Duration = .seconds(300)
    let logger: Logger

    func run() async throws {
        await PeriodicTask(interval: interval, failureMessage: "vault maintenance failed", logger: logger).run {
            let destroyed = try await vault.destroyExpiredPreviousKeys(audit: AuditContext(actor: "system:vault-maintenance"), logger: logger)
            if destroyed > 0 { logger.info("destroyed expired previous checksum keys", metadata: ["vault.destroyed": "\(destroyed)"]) }
        }
    }
}
