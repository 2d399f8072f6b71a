import BenchmarkSupport
import Foundation
import HostServices
import Inventory
import JSONCore
import PluginRuntime
import Sandbox
import Store
import SyncEngine

// Each ITAM connector against its simulator (the sandbox, in this process) through process-isolated workers: a
// full push of the estate and a full pull. The simulator logs how long it spent on every request, so each figure
// comes with its baseline from the same run: the time the target itself took. What remains is the host's and the
// plugin's share (mapping, the worker channel, libcurl, bookkeeping in SQLite).
// Run: swift build -c release && "$(swift build -c release --show-bin-path)/connector-benchmark"  [HOSTS=2000]

let bin = Bench.binDirectory
HostExecutable.path = bin + "/cryptoconnect"
let hosts = Int(ProcessInfo.processInfo.environment["HOSTS"] ?? "") ?? 2000
let folder = FileManager.default.temporaryDirectory.appendingPathComponent("cc-connector-bench-\(getpid())")
defer { try? FileManager.default.removeItem(at: folder) }
let sandbox = try Sandbox(port: 0, estate: SampleEstate(hosts: hosts))
let records = sandbox.estate.scannerRecords
Bench.report(
    "Connector benchmark, \(ProcessInfo.processInfo.activeProcessorCount) cores: \(hosts) hosts, \(records.count) "
        + "scanner records, process isolation, batches of 100, pages of 200\n")

/// Runs one job of `kind` and measures it against the simulator's own time for the requests it caused.
func measure(_ kind: Job.Kind, _ integration: Integration, _ engine: SyncEngine, simulator: String) throws -> [String] {
    let before = sandbox.requests(to: simulator).count
    try engine.enqueueSync(integration, trigger: .manual, full: true, kinds: [kind])
    let wall = try ContinuousClock().measure { try engine.drain(owner: "bench") }
    let job = try engine.queue.jobs(integration: integration.id, limit: 1).first!
    guard job.state == .succeeded else { throw BenchmarkFailure("\(integration.id) \(kind): \(job.error ?? "failed")") }
    let served = sandbox.requests(to: simulator).dropFirst(before)
    let target = served.reduce(Duration.zero) { $0 + $1.handlingTime }
    let count = job.stats?[kind == .push ? "acknowledged" : "pulled"]?.intValue ?? 0
    let hostShare = (Bench.nanoseconds(wall) - Bench.nanoseconds(target)) / Bench.nanoseconds(wall)
    return [
        integration.pluginID, kind.rawValue, "\(count)", Bench.format(wall), Bench.rate(count, per: wall),
        "\(served.count)", Bench.format(target), String(format: "%.0f%%", hostShare * 100),
    ]
}

struct BenchmarkFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

var rows: [[String]] = []
for (plugin, simulator) in [("servicenow-cmdb", "servicenow"), ("lansweeper", "lansweeper"), ("device42", "device42")] {
    let directory = folder.appendingPathComponent(plugin)
    try FileManager.default.createDirectory(
        at: directory.appendingPathComponent("plugins"), withIntermediateDirectories: true)
    try FileManager.default.copyItem(
        atPath: "\(bin)/lib\(plugin).so", toPath: directory.path + "/plugins/lib\(plugin).so")
    let engine = try SyncEngine.local(
        directory: directory.path, plugins: directory.path + "/plugins",
        key: try MasterKey(base64: MasterKey.generate(), source: "bench"), log: StandardErrorLog(minimumLevel: .warning)
    )
    try engine.integrations.ensureTenant("bench")
    var configuration = sandbox.configuration(for: simulator).objectValue!
    // The benchmark measures the pipeline, not the host's default pacing of 20 requests a second.
    configuration["rate_limit"] = ["requests_per_second": 1_000_000, "burst": 1000]
    let added = try engine.addIntegration(
        IntegrationRequest(tenant: "bench", plugin: plugin, configuration: .object(configuration)))
    _ = try Ingestor(store: engine.store).ingest(records: records, tenant: "bench")
    rows.append(try measure(.pull, added.integration, engine, simulator: simulator))
    rows.append(try measure(.push, added.integration, engine, simulator: simulator))
    engine.supervisor.shutdown()
}
Bench.report(
    Bench.table(
        ["connector", "job", "records", "wall time", "records/s", "requests", "simulator time", "host + plugin share"],
        rows))
sandbox.stop()
