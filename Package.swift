// swift-tools-version: 6.1
import PackageDescription

/// One set of compiler settings for every target: Swift 6 language mode with strict concurrency.
let swiftSettings: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "faxd",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "faxd", targets: ["faxd"]),
        .executable(name: "faxd-bench", targets: ["FaxdBench"]),
        .executable(name: "faxd-fuzz", targets: ["faxd-fuzz"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-collections", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-distributed-tracing", from: "1.7.3"),
        // Only the OTLP/HTTP exporter: the gRPC one would build grpc-swift too.
        .package(url: "https://github.com/swift-otel/swift-otel", from: "1.6.0", traits: ["OTLPHTTP"]),
        .package(url: "https://github.com/jpsim/Yams", from: "5.0.1"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
    ],
    targets: [
        // System libraries: a module map and one shim header each, found by pkg-config.
        .systemLibrary(
            name: "CLibrdkafka",
            pkgConfig: "rdkafka",
            providers: [.apt(["librdkafka-dev"])]
        ),
        .systemLibrary(
            name: "CLibcurl",
            pkgConfig: "libcurl",
            providers: [.apt(["libcurl4-openssl-dev"])]
        ),

        // The Kafka adapter: the only importer of CLibrdkafka.
        .target(
            name: "FaxdKafka",
            dependencies: [
                "CLibrdkafka",
                .product(name: "DequeModule", package: "swift-collections"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        // The HTTP client over the curl multi interface: the only importer of CLibcurl.
        .target(
            name: "FaxdHTTP",
            dependencies: [
                "CLibcurl",
                "FaxdCore",
                .product(name: "DequeModule", package: "swift-collections"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        // The domain core: values in, decisions out, no I/O.
        .target(
            name: "FaxdCore",
            dependencies: [
                .product(name: "Crypto", package: "swift-crypto")
            ],
            swiftSettings: swiftSettings
        ),
        // The mintfax API: requests, responses, keys, Standard Webhooks signing and verification.
        .target(
            name: "FaxdMintfax",
            dependencies: [
                "FaxdCore",
                "FaxdHTTP",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
            ],
            swiftSettings: swiftSettings
        ),
        // The mintfax sandbox emulator: a Hummingbird application with all state in memory.
        .target(
            name: "FaxdSandbox",
            dependencies: [
                "FaxdCore",
                "FaxdHTTP",
                "FaxdMintfax",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "DequeModule", package: "swift-collections"),
                .product(name: "HeapModule", package: "swift-collections"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Yams", package: "Yams"),
            ],
            swiftSettings: swiftSettings
        ),
        // The worker: configuration, tenants, and the services wired together.
        .target(
            name: "FaxdWorker",
            dependencies: [
                "FaxdCore",
                "FaxdHTTP",
                "FaxdKafka",
                "FaxdMintfax",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "DequeModule", package: "swift-collections"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
                .product(name: "Yams", package: "Yams"),
            ],
            swiftSettings: swiftSettings
        ),
        // The command line: thin — parse, load config, bootstrap logging, run.
        .executableTarget(
            name: "faxd",
            dependencies: [
                "FaxdCore",
                "FaxdKafka",
                "FaxdSandbox",
                "FaxdWorker",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "OTel", package: "swift-otel"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings,
            // jemalloc in place of glibc's malloc, for every role of the binary: allocation and
            // freeing were a fifth of the worker's CPU per job, and jemalloc took 9 % off it
            // (docs/benchmarks.md, 2026-12-04 evening).
            linkerSettings: [.linkedLibrary("jemalloc")]
        ),
        // Every input faxd reads from outside as one function each: libFuzzer's targets and the corpus replay.
        .target(
            name: "FaxdFuzzTargets",
            dependencies: ["FaxdCore", "FaxdHTTP", "FaxdMintfax", "FaxdSandbox", "FaxdWorker"],
            swiftSettings: swiftSettings
        ),
        // libFuzzer's driver, declared for `faxd-fuzz` (defined by the fuzzer runtime `make fuzz` links).
        .target(name: "CFuzzerDriver"),
        // C for the tests: posix_spawn's close-from action (FaxdTestSupport.ManagedProcess) and the
        // crashed thread's frames on a fatal signal (FAXD_TEST_CRASH_FRAMES).
        .target(name: "CTestSupport"),
        .executableTarget(
            name: "faxd-fuzz",
            dependencies: ["CFuzzerDriver", "FaxdFuzzTargets"],
            swiftSettings: swiftSettings
        ),
        // Shared fixtures for the test targets and the benchmarks.
        .target(
            name: "FaxdTestSupport",
            dependencies: [
                "CTestSupport",
                "FaxdKafka",
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Hummingbird", package: "hummingbird"),
            ],
            swiftSettings: swiftSettings,
            // The crashed thread's frames (CTestSupport) name Swift functions only if the test
            // binary exports its symbols.
            linkerSettings: [.unsafeFlags(["-Xlinker", "--export-dynamic"])]
        ),
        .executableTarget(
            name: "FaxdBench",
            dependencies: [
                "FaxdCore",
                "FaxdKafka",
                "FaxdHTTP",
                "FaxdMintfax",
                "FaxdSandbox",
                "FaxdTestSupport",
                "FaxdWorker",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            path: "Benchmarks/FaxdBench",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "FaxdCoreTests",
            dependencies: ["FaxdCore"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "FaxdKafkaTests",
            dependencies: ["FaxdCore", "FaxdKafka", "FaxdTestSupport"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "FaxdHTTPTests",
            dependencies: ["FaxdHTTP", "FaxdTestSupport"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "FaxdMintfaxTests",
            dependencies: ["FaxdMintfax"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "FaxdSandboxTests",
            dependencies: [
                "FaxdHTTP",
                "FaxdMintfax",
                "FaxdSandbox",
                "FaxdTestSupport",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "FaxdWorkerTests",
            dependencies: [
                "FaxdCore", "FaxdKafka", "FaxdSandbox", "FaxdTestSupport", "FaxdWorker",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Yams", package: "Yams"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "FaxdFuzzTests",
            dependencies: ["FaxdFuzzTargets"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "FaxdEndToEndTests",
            dependencies: ["FaxdCore", "FaxdHTTP", "FaxdKafka", "FaxdTestSupport"],
            swiftSettings: swiftSettings
        ),
    ]
)
