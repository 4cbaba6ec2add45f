// swift-tools-version:6.1
import PackageDescription

// One set of settings for every target, as Hummingbird does: imports are internal unless a file
// says `public import` on purpose, existentials are spelled `any`, and member lookup only sees
// what a file imports.
let swiftSettings: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "Cairn",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "cairn", targets: ["cairn"]),
        .library(name: "CairnStore", targets: ["CairnStore"]),
        .library(name: "CairnDomain", targets: ["CairnDomain"]),
        .library(name: "CairnService", targets: ["CairnService"]),
        .library(name: "CairnProjections", targets: ["CairnProjections"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/x-sheep/swift-property-based", from: "2.0.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        // Already in the graph through Hummingbird; named so CairnHTTP can spell header names.
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
    ],
    targets: [
        .systemLibrary(
            name: "CLMDB",
            pkgConfig: "lmdb",
            providers: [.apt(["liblmdb-dev"])]
        ),
        .systemLibrary(
            name: "CCrypto",
            pkgConfig: "libcrypto",
            providers: [.apt(["libssl-dev"])]
        ),
        .target(
            name: "CairnStore",
            dependencies: ["CLMDB", "CCrypto"],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "CairnDomain",
            swiftSettings: swiftSettings
        ),
        .target(
            name: "CairnService",
            dependencies: ["CairnStore", "CairnDomain", "CairnProjections"],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "CairnProjections",
            dependencies: ["CairnStore", "CairnDomain"],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "CairnHTTP",
            dependencies: [
                "CairnService",
                "CairnStore",
                "CairnDomain",
                "CairnProjections",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "CairnCLI",
            dependencies: [
                "CairnStore",
                "CairnDomain",
                "CairnService",
                "CairnProjections",
                "CairnHTTP",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "cairn",
            dependencies: ["CairnCLI"],
            swiftSettings: swiftSettings
        ),
        // Child processes for tests, without Foundation's `Process`; only test targets depend on it.
        .target(
            name: "CairnTestSupport",
            path: "Tests/CairnTestSupport",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "CairnStoreTests",
            dependencies: ["CairnStore", "CLMDB"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "CairnDomainTests",
            dependencies: [
                "CairnDomain",
                "CairnTestSupport",
                .product(name: "PropertyBased", package: "swift-property-based"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "CairnServiceTests",
            dependencies: ["CairnService", "CairnStore", "CairnDomain", "CairnProjections"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "CairnProjectionsTests",
            dependencies: ["CairnProjections", "CairnStore", "CairnDomain"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "CairnHTTPTests",
            dependencies: [
                "CairnHTTP",
                "CairnService",
                "CairnStore",
                "CairnDomain",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "CairnCLITests",
            dependencies: ["CairnCLI", "CairnStore", "CairnTestSupport", "cairn"],
            swiftSettings: swiftSettings
        ),
    ]
)
