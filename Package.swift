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
            name: "CairnCLI",
            dependencies: [
                "CairnStore",
                "CairnDomain",
                "CairnService",
                "CairnProjections",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "cairn",
            dependencies: ["CairnCLI"],
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
            name: "CairnCLITests",
            dependencies: ["CairnCLI", "CairnStore", "cairn"],
            swiftSettings: swiftSettings
        ),
    ]
)
