// Copyright (c) the Gatehouse authors
public import Gateway
public import GatehouseHTTP

extension GatehouseComponents {
    /// The `/owner` console over these components; failed sign-ins spend `authFailures`, the owner API's budget.
    public func ownerConsoleController(authFailures: AuthFailureLimiter) -> OwnerConsoleController {
        OwnerConsoleController(
            database: database, hasher: hasher, owners: owners, credentials: credentials, onboarding: onboarding, pages: consolePages,
            secureCookies: configuration.publicURL.lowercased().hasPrefix("https://"), authFailures: authFailures, clock: clock)
    }
}
