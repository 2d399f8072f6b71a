import BenchmarkSupport
import Foundation
import HostServices
import JSONCore
import PluginABI
import PluginRuntime

// The cost of isolation: the same calls through `none` (in-process) and `process` (a worker), measured in one run,
// alternating between the two so that machine noise hits both alike.
// Run: swift build -c release && "$(swift build -c release --show-bin-path)/isolation-benchmark"

let bin = Bench.binDirectory
HostExecutable.path = bin + "/cryptoconnect"
let cache = FileManager.default.temporaryDirectory.appendingPathComponent("cc-bench-\(getpid())")
defer { try? FileManager.default.removeItem(at: cache) }
let discovery = PluginDiscovery(cache: PluginCache(directory: cache))

func load(_ product: String) -> PluginBuild {
    let found = discovery.inspect(file: bin + "/lib\(product).so")
    guard let build = PluginBuild(found) else { fatalError(found.message ?? "cannot load \(product)") }
    return build
}

let noop = load("bench-noop-c")
let sink = load("bench-sink")
var configuration = SupervisorConfiguration()
configuration.workersPerPool = 1
let supervisor = PluginSupervisor(configuration: configuration, log: StandardErrorLog(minimumLevel: .warning))
defer { supervisor.shutdown() }
let services = IntegrationServices(
    source: "bench", http: nil, log: StandardErrorLog(minimumLevel: .warning), redactor: Redactor())
let instance = InstanceSpec(key: "bench", tenant: nil, configuration: Array("{}".utf8))
let emptyBatch = Array(#"{"records":[]}"#.utf8)

func call(_ build: PluginBuild, _ isolation: IsolationLevel, _ input: [UInt8], keys: [String]) {
    do {
        let outcome = try supervisor.call(
            build, instance: instance, isolation: isolation, operation: .push, input: input, expectedKeys: keys,
            services: services)
        precondition(outcome.status == .ok && outcome.results.count == keys.count, "benchmark call failed")
    } catch {
        fatalError("\(error)")
    }
}

/// A record of about 500 bytes once serialised, shaped like a mapped inventory record.
func record(_ index: Int) -> JSON {
    [
        "key": .string("asset-\(index)-tls-443"), "operation": "upsert", "table": "cmdb_ci_server",
        "fields": [
            "name": .string("web\(index).prod.example.com"), "ip_address": .string("10.\(index % 250).3.17"),
            "u_crypto_protocol": "TLS", "u_crypto_protocol_version": "1.2",
            "u_crypto_cipher_suite": "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", "u_crypto_key_size": 2048,
            "u_crypto_risk_score": 42, "u_crypto_compliance": "non_compliant",
            "u_certificate_common_name": .string("web\(index).prod.example.com"),
            "u_certificate_issuer": "CN=Example Issuing CA 2, O=Example Corp, C=US",
            "u_certificate_expires": "2027-03-14", "u_certificate_key_algorithm": "RSA",
            "correlation_id": .string("cc-\(index)-a8f3e2b1c9d04e5f"),
        ],
    ]
}

func batch(_ size: Int) -> (input: [UInt8], keys: [String]) {
    let records = (0..<size).map(record)
    let document: JSON = ["records": .array(records)]
    return (document.serializedBytes(), records.map { $0["key"]!.stringValue! })
}

print(
    "Isolation benchmark (best of 60 alternating runs for batches; release build; \(ProcessInfo.processInfo.activeProcessorCount) cores)\n"
)

// Per-call overhead with a plugin that does nothing.
call(noop, .none, emptyBatch, keys: [])
call(noop, .process, emptyBatch, keys: [])
call(sink, .process, emptyBatch, keys: [])
let noopNone = Bench.perIteration(iterations: 200_000) { call(noop, .none, emptyBatch, keys: []) }
let noopProcess = Bench.perIteration(iterations: 20_000) { call(noop, .process, emptyBatch, keys: []) }
let sdkNone = Bench.perIteration(iterations: 100_000) { call(sink, .none, emptyBatch, keys: []) }
let sdkProcess = Bench.perIteration(iterations: 20_000) { call(sink, .process, emptyBatch, keys: []) }
print("No-op push, per call:")
print(
    Bench.table(
        ["plugin", "none (in-process)", "process (worker)", "process − none"],
        [
            [
                "C no-op (the ABI floor)", Bench.format(noopNone), Bench.format(noopProcess),
                Bench.format(noopProcess - noopNone),
            ],
            [
                "Swift SDK, empty batch", Bench.format(sdkNone), Bench.format(sdkProcess),
                Bench.format(sdkProcess - sdkNone),
            ],
        ]))

// Batch throughput with the SDK sink, which parses every record it receives.
print("\nPush throughput, records of \(record(0).serializedBytes().count) bytes, Swift SDK sink:")
var rows: [[String]] = []
for size in [1, 100, 1000] {
    let (input, keys) = batch(size)
    call(sink, .none, input, keys: keys)
    call(sink, .process, input, keys: keys)
    let (none, process) = Bench.interleaved(
        iterations: max(3, 3_000 / size), runs: 60, { call(sink, .none, input, keys: keys) },
        { call(sink, .process, input, keys: keys) })
    let ratio = Bench.nanoseconds(process) / Bench.nanoseconds(none)
    rows.append([
        "\(size)", Bench.rate(size, per: none), Bench.rate(size, per: process), Bench.format(none),
        Bench.format(process),
        String(format: "%.2f", ratio), String(format: "%+.0f%%", (ratio - 1) * 100),
    ])
}
print(
    Bench.table(
        [
            "batch", "records/s none", "records/s process", "call none", "call process", "ratio process/none",
            "isolation cost",
        ], rows))

// What moving a 1000-record batch across the channel costs, without any plugin work.
let (bigInput, _) = batch(1000)
let (transferNone, transferProcess) = Bench.interleaved(
    iterations: 50, { call(noop, .none, bigInput, keys: []) }, { call(noop, .process, bigInput, keys: []) })
print(
    "\nChannel transfer of a \(bigInput.count / 1024) KiB batch to the C no-op: none \(Bench.format(transferNone)), "
        + "process \(Bench.format(transferProcess))")
