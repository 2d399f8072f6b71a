// swift-tools-version: 6.1
import PackageDescription

// CryptoConnect: a host that loads connector plugins (.so) through one C ABI and runs them in isolation.
// PluginAPI/ is what plugin authors depend on; Host/ is the runtime; Plugins/ are first-party connectors, each its
// own dynamic library product, built exactly as a partner's would be.

let package = Package(
    name: "CryptoConnect",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "cryptoconnect", targets: ["CryptoConnectCLI"]),
        .library(name: "PluginSDK", targets: ["PluginSDK"]),
        .library(name: "PluginSDKTesting", targets: ["PluginSDKTesting"]),
        .library(name: "file-export", type: .dynamic, targets: ["FileExportPlugin"]),
        .library(name: "servicenow-cmdb", type: .dynamic, targets: ["ServiceNowCMDBPlugin"]),
        .library(name: "lansweeper", type: .dynamic, targets: ["LansweeperPlugin"]),
        .library(name: "device42", type: .dynamic, targets: ["Device42Plugin"]),

        // Fixture plugins for benchmarks (not shipped; they live under Tests/).
        .library(name: "bench-noop-c", type: .dynamic, targets: ["NoopCPlugin"]),
        .library(name: "bench-sink", type: .dynamic, targets: ["BenchmarkSinkPlugin"]),
        .library(name: "fixture-rest-sink", type: .dynamic, targets: ["RestSinkPlugin"]),
        .executable(name: "isolation-benchmark", targets: ["IsolationBenchmark"]),
        .executable(name: "inventory-benchmark", targets: ["InventoryBenchmark"]),
        .executable(name: "sync-benchmark", targets: ["SyncBenchmark"]),
        .executable(name: "connector-benchmark", targets: ["ConnectorBenchmark"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
    ],
    targets: [
        // PluginAPI: the C header (the contract), its Swift view, and the SDK for plugin authors.
        .target(name: "CCPluginAPI", path: "PluginAPI/CCPluginAPI"),
        .target(name: "JSONCore", path: "PluginAPI/JSONCore"),
        .target(name: "PluginABI", dependencies: ["CCPluginAPI", "JSONCore"], path: "PluginAPI/PluginABI"),
        .target(name: "PluginSDK", dependencies: ["PluginABI", "JSONCore"], path: "PluginAPI/PluginSDK"),
        .target(
            name: "PluginSDKTesting", dependencies: ["PluginSDK", "PluginABI"], path: "PluginAPI/PluginSDKTesting"),

        // Host: loading, isolation, host services, inventory, sync, and the `cryptoconnect` command.
        .target(name: "CSystemShims", path: "Host/CSystemShims"),
        .target(
            name: "PluginRuntime",
            dependencies: [
                "PluginABI", "JSONCore", "CSystemShims",
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            path: "Host/PluginRuntime"
        ),
        .target(name: "LoopbackHTTP", path: "Host/LoopbackHTTP"),
        .target(name: "Sandbox", dependencies: ["LoopbackHTTP", "JSONCore"], path: "Host/Sandbox"),
        .target(name: "CCurl", path: "Host/CCurl", linkerSettings: [.linkedLibrary("curl")]),
        .target(
            name: "Store",
            dependencies: [
                "CSystemShims", .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
            ],
            path: "Host/Store"
        ),
        .target(
            name: "Inventory",
            dependencies: [
                "JSONCore", "PluginABI", "Store", .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "GRDBSQLite", package: "GRDB.swift"), .product(name: "Crypto", package: "swift-crypto"),
            ],
            path: "Host/Inventory"
        ),
        .target(
            name: "SyncEngine",
            dependencies: [
                "Inventory", "HostServices", "PluginRuntime", "PluginABI", "Store", "JSONCore", "CSystemShims",
                .product(name: "GRDB", package: "GRDB.swift"),
            ],
            path: "Host/SyncEngine"
        ),
        .target(
            name: "HostServices",
            dependencies: [
                "CCurl", "CSystemShims", "PluginABI", "JSONCore", "Store", "PluginRuntime",
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            path: "Host/HostServices"
        ),
        .executableTarget(
            name: "CryptoConnectCLI",
            dependencies: [
                "PluginRuntime", "JSONCore", "HostServices", "Store", "Inventory", "SyncEngine", "Sandbox",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Host/CLI"
        ),

        // First-party connectors.
        .target(
            name: "FileExportPlugin", dependencies: ["PluginSDK"], path: "Plugins/FileExport",
            exclude: ["README.md", "sample-config.json"]),
        .target(
            name: "ServiceNowCMDBPlugin", dependencies: ["PluginSDK"], path: "Plugins/ServiceNowCMDB",
            exclude: ["README.md", "sample-config.json"]),
        .target(
            name: "LansweeperPlugin", dependencies: ["PluginSDK"], path: "Plugins/Lansweeper",
            exclude: ["README.md", "sample-config.json"]),
        .target(
            name: "Device42Plugin", dependencies: ["PluginSDK"], path: "Plugins/Device42",
            exclude: ["README.md", "sample-config.json"]),

        // Tests, fixtures and benchmarks.
        .target(name: "NoopCPlugin", dependencies: ["CCPluginAPI"], path: "Tests/Fixtures/NoopCPlugin"),
        .target(name: "BenchmarkSinkPlugin", dependencies: ["PluginSDK"], path: "Tests/Fixtures/BenchmarkSinkPlugin"),
        .target(name: "RestSinkPlugin", dependencies: ["PluginSDK"], path: "Tests/Fixtures/RestSinkPlugin"),
        .target(name: "BenchmarkSupport", path: "Tests/Benchmarks/BenchmarkSupport"),
        .executableTarget(
            name: "IsolationBenchmark",
            dependencies: ["BenchmarkSupport", "PluginRuntime", "HostServices", "JSONCore", "PluginABI"],
            path: "Tests/Benchmarks/IsolationBenchmark"
        ),
        .executableTarget(
            name: "InventoryBenchmark",
            dependencies: [
                "BenchmarkSupport", "Inventory", "JSONCore", "Store", .product(name: "GRDB", package: "GRDB.swift"),
            ],
            path: "Tests/Benchmarks/InventoryBenchmark"
        ),
        .executableTarget(
            name: "SyncBenchmark",
            dependencies: [
                "BenchmarkSupport", "SyncEngine", "Inventory", "HostServices", "PluginRuntime", "PluginABI", "Store",
                "JSONCore", "TestSupport", .product(name: "GRDB", package: "GRDB.swift"),
            ],
            path: "Tests/Benchmarks/SyncBenchmark"
        ),
        .executableTarget(
            name: "ConnectorBenchmark",
            dependencies: [
                "BenchmarkSupport", "Sandbox", "SyncEngine", "Inventory", "HostServices", "PluginRuntime", "Store",
                "JSONCore",
            ],
            path: "Tests/Benchmarks/ConnectorBenchmark"
        ),
        .target(
            name: "TestSupport",
            dependencies: [
                "PluginRuntime", "JSONCore", "PluginABI", "LoopbackHTTP",
            ],
            path: "Tests/TestSupport"
        ),
        .testTarget(name: "JSONCoreTests", dependencies: ["JSONCore"], path: "Tests/JSONCoreTests"),
        .testTarget(
            name: "PluginSDKTests",
            dependencies: ["PluginSDK", "PluginSDKTesting", "FileExportPlugin"],
            path: "Tests/PluginSDKTests"
        ),
        .testTarget(
            name: "HostServicesTests",
            dependencies: ["HostServices", "Store", "TestSupport", "JSONCore", "PluginABI"],
            path: "Tests/HostServicesTests"
        ),
        .testTarget(
            name: "InventoryTests",
            dependencies: ["Inventory", "Store", "TestSupport", "JSONCore"],
            path: "Tests/InventoryTests"
        ),
        .testTarget(
            name: "SyncEngineTests",
            dependencies: [
                "SyncEngine", "Inventory", "HostServices", "PluginRuntime", "Store", "TestSupport", "JSONCore",
                "CSystemShims",
                .product(name: "GRDB", package: "GRDB.swift"),
            ],
            path: "Tests/SyncEngineTests"
        ),
        .testTarget(
            name: "ConnectorTests",
            dependencies: [
                "Sandbox", "SyncEngine", "Inventory", "HostServices", "PluginRuntime", "Store", "TestSupport",
                "JSONCore", "PluginABI",
            ],
            path: "Tests/ConnectorTests"
        ),
        .testTarget(
            name: "PluginRuntimeTests",
            dependencies: ["PluginRuntime", "TestSupport", "JSONCore", "LoopbackHTTP"],
            path: "Tests/PluginRuntimeTests"
        ),
    ]
)
