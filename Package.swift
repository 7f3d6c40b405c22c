// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "clsm-hub",
    platforms: [.macOS(.v14)],
    products: [
        .library(name: "HubDomain", targets: ["HubDomain"]),
        .library(name: "HubCore", targets: ["HubCore"]),
        .executable(name: "hub-workers", targets: ["Workers"]),
        .executable(name: "hub-admin", targets: ["hub-admin"]),
        .executable(name: "hub-bench", targets: ["hub-bench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "3.12.3"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
    ],
    targets: [
        // C libraries from Debian: librdkafka-dev and libpq-dev.
        .systemLibrary(name: "CKafka", providers: [.apt(["librdkafka-dev"])]),
        .systemLibrary(name: "CPostgres", providers: [.apt(["libpq-dev"])]),

        // The pure core: events, payloads, rules, state, notifications, reports, and the
        // records the hub reads and writes as plain values. Foundation and Crypto only: no
        // Kafka, no PostgreSQL, tested without servers (HubDomainTests).
        .target(
            name: "HubDomain",
            dependencies: [.product(name: "Crypto", package: "swift-crypto")]
        ),
        // The Kafka adapter: the only target that imports CKafka.
        .target(
            name: "HubKafka",
            dependencies: ["HubDomain", "CKafka", .product(name: "Logging", package: "swift-log")]
        ),
        // The PostgreSQL adapter and the hub's schema and state store: the only target that
        // imports CPostgres.
        .target(
            name: "HubPostgres",
            dependencies: [
                "HubDomain",
                "CPostgres",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        // Processing on top: batches with their inbox, the outbox and its relay, dead letters,
        // replay, status, configuration. Reaches Kafka and PostgreSQL only through the adapters.
        .target(
            name: "HubCore",
            dependencies: [
                "HubDomain",
                "HubKafka",
                "HubPostgres",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .executableTarget(
            name: "Workers",
            dependencies: [
                "HubDomain",
                "HubKafka",
                "HubPostgres",
                "HubCore",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Hummingbird", package: "hummingbird"),
            ]
        ),
        .executableTarget(
            name: "hub-admin",
            dependencies: [
                "HubDomain",
                "HubKafka",
                "HubPostgres",
                "HubCore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),

        // Synthetic national-scale territories and event streams (benchmark and fault tests).
        .target(name: "HubSimulation", dependencies: ["HubDomain"]),
        .executableTarget(
            name: "hub-bench",
            dependencies: [
                "HubDomain",
                "HubKafka",
                "HubPostgres",
                "HubCore",
                "HubSimulation",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),

        // The fuzz target over the decide path (scripts/fuzz.sh, docs/fuzzing.md): the
        // per-input function in a library the regression tests share, and its executable.
        .target(name: "HubFuzzing", dependencies: ["HubDomain", "HubPostgres", "HubCore"]),
        .executableTarget(name: "hub-fuzz", dependencies: ["HubFuzzing"]),

        // Pure tests: no server needed. HubDomainTests links the pure core alone.
        .testTarget(name: "HubDomainTests", dependencies: ["HubDomain", "HubSimulation", "HubTestSupport"]),
        // Fixtures the pure and the processing tests share (docs' examples, seeded events).
        .target(name: "HubTestSupport", dependencies: ["HubDomain", "HubSimulation"], path: "Tests/HubTestSupport"),
        .testTarget(
            name: "HubCoreTests",
            dependencies: ["HubDomain", "HubKafka", "HubPostgres", "HubCore", "HubSimulation", "HubFuzzing", "HubTestSupport"]
        ),
        // Tests against real PostgreSQL and Kafka-compatible servers (scripts/test.sh starts them).
        .testTarget(
            name: "IntegrationTests",
            dependencies: ["HubDomain", "HubKafka", "HubPostgres", "HubCore", "HubSimulation"]
        ),
    ]
)
