// swift-tools-version:6.1
// Copyright (c) the Gatehouse authors
import PackageDescription

/// Coverage-guided fuzz targets (libFuzzer) for the code that reads bytes from strangers. A package of its own, so the
/// main build and CI never see `-sanitize=fuzzer`; it uses the root package's modules through its `GatehouseParsers`
/// product. Build and run with `scripts/fuzz` (see fuzz/README.md), which passes
/// `-sanitize=fuzzer,address -parse-as-library -enable-testing` (the last for the few internal parsers).
///
/// Each target is an executable whose `LLVMFuzzerTestOneInput` checks invariants and traps (a libFuzzer crash, with
/// the input saved) when one breaks.
let targets = [
    ("fuzz-payos-json", "FuzzPayOSJSON"),
    ("fuzz-payos-webhook", "FuzzPayOSWebhook"),
    ("fuzz-payos-response", "FuzzPayOSResponse"),
    ("fuzz-storage-text", "FuzzStorageText"),
    ("fuzz-mail-address", "FuzzMailAddress"),
    ("fuzz-access-tokens", "FuzzAccessTokens"),
]

let package = Package(
    name: "gatehouse-fuzz",
    platforms: [.macOS(.v15)],
    products: targets.map { .executable(name: $0.0, targets: [$0.1]) },
    dependencies: [
        .package(name: "gatehouse", path: ".."),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
    ],
    targets: [
        .target(name: "CLibFuzzer", path: "Sources/CLibFuzzer"),
        .target(name: "FuzzSupport", dependencies: ["CLibFuzzer"], path: "Sources/FuzzSupport"),
    ]
        + targets.map { _, name in
            .executableTarget(
                name: name,
                dependencies: [
                    "FuzzSupport",
                    .product(name: "GatehouseParsers", package: "gatehouse"),
                    .product(name: "Hummingbird", package: "hummingbird"),
                    .product(name: "HTTPTypes", package: "swift-http-types"),
                    .product(name: "NIOCore", package: "swift-nio"),
                    .product(name: "Logging", package: "swift-log"),
                ],
                path: "Sources/\(name)"
            )
        }
)
