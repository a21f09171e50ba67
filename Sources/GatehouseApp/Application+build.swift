// Copyright (c) the Gatehouse authors
public import Hummingbird
public import Logging
import ServiceLifecycle

/// The request context of every Gatehouse route.
public typealias AppRequestContext = BasicRequestContext

/// Builds the Gatehouse application from its configuration: the composition root.
///
/// - Parameters:
///   - configuration: validated configuration.
///   - logger: the process logger (bootstrapped by the executable).
/// - Returns: an application to `runService()` (graceful shutdown on SIGTERM/SIGINT).
public func buildApplication(configuration: GatehouseConfiguration, logger: Logger) async throws -> some ApplicationProtocol {
    let router = Router(context: AppRequestContext.self)
    router.addRoutes(HealthController<AppRequestContext>().endpoints)
    return Application(
        router: router,
        configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "Gatehouse"),
        logger: logger
    )
}
