// swift-tools-version:6.0
import PackageDescription

// Layers point inward (DESIGN.md §2): clinic → Web → Views/Storage → Scheduling/Postgres/Passwords → C shims.
let package = Package(
    name: "clinic-portal",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "clinic", targets: ["clinic"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "3.12.3"),
    ],
    targets: [
        // MARK: - C libraries, one shim each, imported by exactly one Swift target
        .systemLibrary(name: "CLibPQ", path: "Sources/CLibPQ", pkgConfig: "libpq", providers: [.apt(["libpq-dev"])]),
        .systemLibrary(name: "CArgon2", path: "Sources/CArgon2", pkgConfig: "libargon2", providers: [.apt(["libargon2-dev"])]),
        .systemLibrary(name: "CLinux", path: "Sources/CLinux"),

        // MARK: - Infrastructure
        .target(name: "HTTPServer", dependencies: ["CLinux", .product(name: "Logging", package: "swift-log")]),
        .target(name: "Postgres", dependencies: ["CLibPQ", "CLinux", .product(name: "Logging", package: "swift-log")]),
        .target(name: "Passwords", dependencies: ["CArgon2", "CLinux"]),

        // MARK: - Domain and application
        .target(name: "Scheduling"),
        .target(name: "Storage", dependencies: [
            "Postgres", "Scheduling",
            .product(name: "Crypto", package: "swift-crypto"),
        ]),
        .target(name: "Views", dependencies: ["Scheduling"]),
        .target(name: "Web", dependencies: [
            "HTTPServer", "Storage", "Views", "Passwords", "Scheduling", "Postgres",
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        .executableTarget(name: "clinic", dependencies: [
            "Web", "Storage", "Postgres", "Passwords", "HTTPServer", "Views",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Logging", package: "swift-log"),
        ]),

        // MARK: - Tests
        // A throwaway PostgreSQL per test run and a fresh migrated database per test.
        .target(name: "TestSupport", dependencies: ["Postgres"], path: "Sources/TestSupport"),
        .testTarget(name: "HTTPServerTests", dependencies: ["HTTPServer", .product(name: "Logging", package: "swift-log")]),
        .testTarget(name: "PostgresTests", dependencies: ["Postgres", "TestSupport"]),
        .testTarget(name: "PasswordsTests", dependencies: ["Passwords", "CLinux"]),
        .testTarget(name: "SchedulingTests", dependencies: ["Scheduling"]),
        .testTarget(name: "ViewsTests", dependencies: ["Views"]),
        .testTarget(name: "WebTests", dependencies: ["Web", "HTTPServer", "Storage", "Postgres", "Views", "Passwords", "Scheduling", "TestSupport"]),
    ],
    swiftLanguageModes: [.v5]
)
