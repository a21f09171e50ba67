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

// Module graph (one way, lowest first):
//   C shims (CSodium, CMariaDB, CSQLite, CQREncode, CCurl)
//   → Sodium, Storage, QRCode, PayOS, Mailer    (no HTTP framework)
//   → Vault                                      (no HTTP framework)
//   → Tenancy                                    (no HTTP framework)
//   → Gateway, Admin, PayOSSandbox               (Hummingbird)
//   → GatehouseApp (wiring, configuration)       → GatehouseCLI (the `gatehouse` executable)
let package = Package(
    name: "gatehouse",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "gatehouse", targets: ["GatehouseCLI"]),
        .executable(name: "gatehouse-bench", targets: ["GatehouseBench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache.git", from: "2.1.1"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
    ],
    targets: [
        // MARK: C system libraries (Debian -dev packages)
        .systemLibrary(name: "CSodium", pkgConfig: "libsodium", providers: [.apt(["libsodium-dev"])]),
        .systemLibrary(name: "CMariaDB", pkgConfig: "libmariadb", providers: [.apt(["libmariadb-dev"])]),
        .systemLibrary(name: "CSQLite", pkgConfig: "sqlite3", providers: [.apt(["libsqlite3-dev"])]),
        .systemLibrary(name: "CQREncode", pkgConfig: "libqrencode", providers: [.apt(["libqrencode-dev"])]),
        .systemLibrary(name: "CCurl", pkgConfig: "libcurl", providers: [.apt(["libcurl4-openssl-dev"])]),

        // MARK: Leaf libraries
        .target(name: "CivilTime", swiftSettings: swiftSettings),
        .target(
            name: "Sodium",
            dependencies: ["CSodium"],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "Storage",
            dependencies: [
                "CSQLite",
                "CMariaDB",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "QRCode",
            dependencies: ["CQREncode"],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "PayOS",
            dependencies: [
                "CivilTime",
                "Sodium",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOFoundationCompat", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "Mailer",
            dependencies: [
                "CivilTime",
                "CCurl",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "Vault",
            dependencies: [
                "Sodium",
                "Storage",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "Tenancy",
            dependencies: [
                "CivilTime",
                "Mailer",
                "Sodium",
                "Storage",
                "Vault",
                "PayOS",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),

        // MARK: HTTP-facing modules
        .target(
            name: "PayOSSandbox",
            dependencies: [
                "CivilTime",
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
                "CivilTime",
                "Tenancy",
                "Vault",
                "Storage",
                "PayOS",
                "QRCode",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Mustache", package: "swift-mustache"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
            ],
            resources: [.copy("Templates")],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "Admin",
            dependencies: [
                "Gateway",
                "Tenancy",
                "Vault",
                "Storage",
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
                "Sodium",
                "Gateway",
                "Admin",
                "PayOSSandbox",
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
                "GatehouseApp",
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
                "Storage",
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Tests/Support/StorageTestSupport",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "CivilTimeTests",
            dependencies: ["CivilTime"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "SodiumTests",
            dependencies: ["Sodium"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "StorageTests",
            dependencies: [
                "StorageTestSupport",
                "Storage",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "VaultTests",
            dependencies: [
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
                "PayOS",
                .product(name: "Logging", package: "swift-log"),
            ],
            resources: [.copy("Fixtures"), .copy("Scripts")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "PayOSSandboxTests",
            dependencies: [
                "PayOSSandbox",
                "PayOS",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
            ],
            exclude: ["Interop"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "MailerTests",
            dependencies: [
                "Mailer",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "TenancyTests",
            dependencies: [
                "StorageTestSupport",
                "Tenancy",
                "Storage",
                "Vault",
                "PayOS",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "GatewayTests",
            dependencies: [
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
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                "Sodium",
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "AdminTests",
            dependencies: [
                "StorageTestSupport",
                "GatehouseApp",
                "Admin",
                "Gateway",
                "Tenancy",
                "Storage",
                "Vault",
                "PayOS",
                "PayOSSandbox",
                "Sodium",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
            ],
            exclude: ["Browser"],
            swiftSettings: swiftSettings
        ),
    ]
)
