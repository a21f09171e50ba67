// swift-tools-version:6.1
// Copyright (c) the Gatehouse authors
import PackageDescription

/// Settings shared by every Swift target: Swift 6 language mode (strict concurrency) plus the
/// upcoming features Hummingbird itself builds with.
let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

// Module graph, one way, lowest floor first. A module imports only modules on floors below its own, and exactly the
// target dependencies declared for it (scripts/lib/module_graph.py checks both, from this comment, in scripts/test).
//   1. CSodium, CMariaDB, CSQLite, CQREncode, CCurl      C system libraries (Debian -dev packages)
//   2. GatehouseCore                                     shared value types: typed ids, errors, audit context, clock, VND, Vietnam time;
//                                                        the pollers' periodic loop (PeriodicTask)
//   3. Sodium, Storage, QRCode, Mailer                   libsodium, SQL (SQLite + MariaDB), QR codes, SMTP
//   4. PayOS, Vault                                      the payOS protocol and client; sealed owner credentials and the audit log
//   5. Tenancy, Notifications                            owners, keys, limits, key access; the e-mail outbox and web notifications
//   6. Payments                                          bookings, payments, webhooks, reconciliation (no HTTP framework up to here)
//   7. GatehouseHTTP                                     the shared HTTP layer: contexts, errors, authentication, rate-limit middleware,
//                                                        the HTTP server's connection timeouts
//   8. Gateway, Admin, PayOSSandbox                      owner API and renter pages; admin API and dashboard; the local payOS
//   9. GatehouseApp                                      configuration and the composition root
//  10. GatehouseCLI, GatehouseBench                      the `gatehouse` and `gatehouse-bench` executables
let package = Package(
    name: "gatehouse",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "gatehouse", targets: ["GatehouseCLI"]),
        .executable(name: "gatehouse-bench", targets: ["GatehouseBench"]),
        // The modules that read bytes from strangers, for the fuzz package under fuzz/ (it depends on this package by
        // path); nothing in this package uses the product.
        .library(name: "GatehouseParsers", targets: ["GatehouseCore", "PayOS", "Storage", "Mailer", "Tenancy", "Payments", "GatehouseHTTP"]),
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache.git", from: "2.1.1"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.35.2"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        // Tests only: property tests of the parsers.
        .package(url: "https://github.com/x-sheep/swift-property-based.git", exact: "2.0.1"),
    ],
    targets: [
        // MARK: C system libraries (Debian -dev packages)
        .systemLibrary(name: "CSodium", pkgConfig: "libsodium", providers: [.apt(["libsodium-dev"])]),
        .systemLibrary(name: "CMariaDB", pkgConfig: "libmariadb", providers: [.apt(["libmariadb-dev"])]),
        .systemLibrary(name: "CSQLite", pkgConfig: "sqlite3", providers: [.apt(["libsqlite3-dev"])]),
        .systemLibrary(name: "CQREncode", pkgConfig: "libqrencode", providers: [.apt(["libqrencode-dev"])]),
        .systemLibrary(name: "CCurl", pkgConfig: "libcurl", providers: [.apt(["libcurl4-openssl-dev"])]),

        // MARK: Floor 2: shared value types
        .target(
            name: "GatehouseCore",
            dependencies: [
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),

        // MARK: Floor 3: libraries (no HTTP framework)
        .target(name: "Sodium", dependencies: ["CSodium", "GatehouseCore"], swiftSettings: swiftSettings),
        .target(
            name: "Storage",
            dependencies: [
                "CSQLite",
                "CMariaDB",
                "GatehouseCore",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(name: "QRCode", dependencies: ["GatehouseCore", "CQREncode"], swiftSettings: swiftSettings),
        .target(
            name: "PayOS",
            dependencies: [
                "GatehouseCore",
                "Sodium",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "Mailer",
            dependencies: [
                "GatehouseCore",
                "CCurl",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),

        // MARK: Floor 4: the vault
        .target(
            name: "Vault",
            dependencies: [
                "GatehouseCore",
                "Sodium",
                "Storage",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),

        // MARK: Floors 5 and 6: tenants, notifications, payments (no HTTP framework)
        .target(
            name: "Tenancy",
            dependencies: [
                "GatehouseCore",
                "Sodium",
                "Storage",
                "Vault",
                "PayOS",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "Notifications",
            dependencies: [
                .product(name: "Metrics", package: "swift-metrics"),
                "GatehouseCore",
                "Mailer",
                "Storage",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "Payments",
            dependencies: [
                "Mailer",
                "GatehouseCore",
                "Notifications",
                "PayOS",
                "Sodium",
                "Storage",
                "Tenancy",
                "Vault",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),

        // MARK: Floor 7: the shared HTTP layer
        .target(
            name: "GatehouseHTTP",
            dependencies: [
                "GatehouseCore",
                "Payments",
                "PayOS",
                "Storage",
                "Tenancy",
                "Vault",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
            ],
            swiftSettings: swiftSettings
        ),

        // MARK: Floor 8: HTTP-facing modules
        .target(
            name: "PayOSSandbox",
            dependencies: [
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                "GatehouseCore",
                "PayOS",
                "QRCode",
                "Sodium",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "Gateway",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio"),
                "GatehouseCore",
                "GatehouseHTTP",
                "Notifications",
                "Payments",
                "PayOS",
                "QRCode",
                "Storage",
                "Tenancy",
                "Vault",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Mustache", package: "swift-mustache"),
                .product(name: "Logging", package: "swift-log"),
            ],
            resources: [.copy("Templates"), .copy("OpenAPI")],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "Admin",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio"),
                "GatehouseCore",
                "GatehouseHTTP",
                "Notifications",
                "Payments",
                "Storage",
                "Tenancy",
                "Vault",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Mustache", package: "swift-mustache"),
                .product(name: "Logging", package: "swift-log"),
            ],
            resources: [.copy("Templates")],
            swiftSettings: swiftSettings
        ),

        // MARK: Wiring and executables
        .target(
            name: "GatehouseApp",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio"),
                "Sodium",
                "GatehouseCore",
                "GatehouseHTTP",
                "Gateway",
                "Admin",
                "Mailer",
                "Notifications",
                "Payments",
                "Storage",
                "Vault",
                "Tenancy",
                "PayOS",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "GatehouseCLI",
            dependencies: [
                .product(name: "Hummingbird", package: "hummingbird"),
                "GatehouseCore",
                "Payments",
                "GatehouseApp",
                "Sodium",
                "Storage",
                "Vault",
                "Tenancy",
                "PayOSSandbox",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "GatehouseBench",
            dependencies: [
                "GatehouseCore",
                "Payments",
                "GatehouseApp",
                "Admin",
                "Storage",
                "Vault",
                "Sodium",
                "Tenancy",
                "PayOSSandbox",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "bench/GatehouseBench",
            swiftSettings: swiftSettings
        ),

        // MARK: Tests
        // Shared test support: opens a fresh SQLite file or a fresh MariaDB database for each test.
        .target(
            name: "StorageTestSupport",
            dependencies: [
                "GatehouseApp",
                "Storage",
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Tests/Support/StorageTestSupport",
            swiftSettings: swiftSettings
        ),
        // Shared test support: an in-memory log capture (every log record, searchable for secrets).
        .target(
            name: "LogTestSupport",
            dependencies: [
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Tests/Support/LogTestSupport",
            swiftSettings: swiftSettings
        ),
        // Shared test support: one way to start Gatehouse, in-process (TestGatehouse on a GatehouseTestBed: database,
        // payOS sandbox, live HTTP server) or as a `gatehouse serve` child process (GatehouseProcess); the API contract
        // (the OpenAPI document and a JSON-Schema validator) every harness holds responses to.
        .target(
            name: "GatehouseTestSupport",
            dependencies: [
                "GatehouseApp",
                "Gateway",
                "LogTestSupport",
                "PayOS",
                "PayOSSandbox",
                "Storage",
                "StorageTestSupport",
                "Vault",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            path: "Tests/Support/GatehouseTestSupport",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "GatehouseCoreTests",
            dependencies: [
                .product(name: "PropertyBased", package: "swift-property-based"),
                "GatehouseCore",
                "LogTestSupport",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "ServiceLifecycleTestKit", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "SodiumTests",
            dependencies: ["GatehouseCore", "Sodium"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "StorageTests",
            dependencies: [
                .product(name: "PropertyBased", package: "swift-property-based"),
                "GatehouseApp",
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                "StorageTestSupport",
                "Storage",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "VaultTests",
            dependencies: [
                "GatehouseApp",
                "GatehouseCore",
                "StorageTestSupport",
                "Vault",
                "Storage",
                "Sodium",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "PayOSTests",
            dependencies: [
                .product(name: "PropertyBased", package: "swift-property-based"),
                "GatehouseCore",
                "LogTestSupport",
                "PayOS",
                "Sodium",
                .product(name: "Logging", package: "swift-log"),
            ],
            resources: [.copy("Fixtures"), .copy("Scripts")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "PayOSSandboxTests",
            dependencies: [
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                "QRCode",
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                "GatehouseCore",
                "LogTestSupport",
                "PayOSSandbox",
                "PayOS",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
            ],
            exclude: ["Interop"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "MailerTests",
            dependencies: [
                .product(name: "PropertyBased", package: "swift-property-based"),
                "Mailer",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "TenancyTests",
            dependencies: [
                "GatehouseApp",
                "Sodium",
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                "GatehouseCore",
                "Payments",
                "Notifications",
                "Mailer",
                "StorageTestSupport",
                "Tenancy",
                "Storage",
                "Vault",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "PaymentsTests",
            dependencies: [
                .product(name: "CoreMetrics", package: "swift-metrics"),
                "GatehouseCore",
                "Notifications",
                "Payments",
                "PayOS",
                "PayOSSandbox",
                "Sodium",
                "Storage",
                "StorageTestSupport",
                "Tenancy",
                "Vault",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "GatewayTests",
            dependencies: [
                .product(name: "PropertyBased", package: "swift-property-based"),
                "Sodium",
                .product(name: "HTTPTypes", package: "swift-http-types"),
                "GatehouseCore",
                "GatehouseHTTP",
                "GatehouseTestSupport",
                "LogTestSupport",
                "Payments",
                "Notifications",
                "StorageTestSupport",
                "GatehouseApp",
                "Gateway",
                "Admin",
                "Tenancy",
                "Storage",
                "Vault",
                "PayOS",
                "PayOSSandbox",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
            ],
            exclude: ["OwnerConsole/Browser"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "AdminTests",
            dependencies: [
                .product(name: "HTTPTypes", package: "swift-http-types"),
                "GatehouseCore",
                "GatehouseTestSupport",
                "Payments",
                "Notifications",
                "StorageTestSupport",
                "GatehouseApp",
                "Admin",
                "GatehouseHTTP",
                "Tenancy",
                "Storage",
                "Vault",
                "PayOS",
                "PayOSSandbox",
                "Sodium",
                .product(name: "Logging", package: "swift-log"),
            ],
            exclude: ["Browser"],
            swiftSettings: swiftSettings
        ),
    ]
)
