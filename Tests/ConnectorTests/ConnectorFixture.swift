import Foundation
import HostServices
import Inventory
import JSONCore
import PluginRuntime
import Sandbox
import Store
import SyncEngine
import TestSupport

/// A first-party ITAM connector and the simulator it talks to.
enum Connector: String, CaseIterable, Sendable, CustomStringConvertible {
    case serviceNow = "servicenow-cmdb"
    case lansweeper
    case device42

    var simulator: String { self == .serviceNow ? "servicenow" : rawValue }
    /// The plugin's folder under `Plugins/`.
    var folder: String { ["servicenow-cmdb": "ServiceNowCMDB", "lansweeper": "Lansweeper"][rawValue] ?? "Device42" }
    var description: String { rawValue }
    /// Where the risk score lands (scaled to 100 by the default mapping).
    var riskField: String {
        switch self {
        case .serviceNow: return "u_crypto_risk_score"
        case .lansweeper: return "custom3"
        case .device42: return "crypto_risk_score"
        }
    }
}

/// One connector against a live sandbox: the plugin's built `.so` in a plugins folder, a fresh SQLite store, the
/// sync engine with process isolation, and the sample estate's scanner records ready to ingest.
final class ConnectorFixture {
    let connector: Connector
    let folder = TemporaryDirectory("connector")
    let sandbox: Sandbox
    let engine: SyncEngine
    let log = CollectingLog()
    let tenant = "acme"
    var integrationID: String { "\(tenant)-\(connector.rawValue)" }

    init(_ connector: Connector, hosts: Int = 40) throws {
        PackagePaths.useBuiltHost()
        self.connector = connector
        sandbox = try Sandbox(port: 0, estate: SampleEstate(hosts: hosts))
        folder.copy(PackagePaths.plugin(connector.rawValue), to: "plugins/lib\(connector.rawValue).so")
        engine = try SyncEngine.local(
            directory: folder.path, plugins: folder.directory("plugins"),
            key: try MasterKey(base64: MasterKey.generate(), source: "test"), log: log)
        engine.batchSize = 10
        engine.pageSize = 25
        try engine.integrations.ensureTenant(tenant)
    }

    deinit {
        engine.supervisor.shutdown()
        sandbox.stop()
    }

    /// The sandbox's connection settings with fast retries, so failure tests take milliseconds per retry.
    func configuration(_ changes: [String: JSON] = [:]) -> JSON {
        var configuration = sandbox.configuration(for: connector.simulator).objectValue!
        configuration["rate_limit"] = ["requests_per_second": 500, "burst": 100]
        configuration["retry"] = ["base_delay_ms": 10, "max_delay_ms": 100, "max_attempts": 4]
        for (key, value) in changes { configuration[key] = value }
        return .object(configuration)
    }

    @discardableResult
    func enable(_ configuration: JSON? = nil) throws -> AddedIntegration {
        try engine.addIntegration(
            IntegrationRequest(
                tenant: tenant, plugin: connector.rawValue, configuration: configuration ?? self.configuration()))
    }

    /// The estate's scanner records (hosts not only described by the CBOM).
    var scannerRecords: [JSON] { sandbox.estate.scannerRecords }

    @discardableResult
    func ingest(_ records: [JSON]) throws -> IngestReport {
        try Ingestor(store: engine.store).ingest(records: records, tenant: tenant)
    }

    /// Queues one job of `kind` for the integration and runs everything due; returns that job as it ended.
    @discardableResult
    func run(_ kind: Job.Kind, full: Bool = false) throws -> Job {
        let integration = try engine.integrations.integration(integrationID)!
        try engine.enqueueSync(integration, trigger: .manual, full: full, kinds: [kind])
        try engine.drain(owner: "test")
        return try engine.queue.jobs(integration: integrationID, limit: 1).first!
    }

    /// Runs a job until it ends, waiting out the backoff of each retry (at most `attempts` of them).
    func runUntilDone(_ kind: Job.Kind, attempts: Int = 4) throws -> Job {
        var job = try run(kind)
        for _ in 1..<attempts where job.state == .queued {
            if let notBefore = job.notBefore { Thread.sleep(until: notBefore) }
            try engine.drain(owner: "test")
            job = try engine.queue.job(job.id)!
        }
        return job
    }

    /// The simulator's records by short host name (`web-fra-014`), each with every record of that name.
    func targetRecords() -> [String: [TargetRecord]] {
        Dictionary(grouping: sandbox.records(in: connector.simulator)) { Self.shortName($0.name) }
    }

    /// Hosts of `records` that are not exactly one record carrying crypto context in the simulator.
    func hostsNotWrittenOnce(_ records: [JSON]) -> [String] {
        let written = targetRecords()
        return Self.hosts(records).filter {
            written[$0]?.count != 1 || written[$0]?.first?.cryptoContext.isEmpty != false
        }.sorted()
    }

    /// A fixture with the integration enabled and the estate's scanner records ingested.
    static func ingested(_ connector: Connector, hosts: Int = 30) throws -> (ConnectorFixture, [JSON]) {
        let fixture = try ConnectorFixture(connector, hosts: hosts)
        try fixture.enable()
        let records = fixture.scannerRecords
        try fixture.ingest(records)
        return (fixture, records)
    }

    static func shortName(_ name: String) -> String { String(name.split(separator: ".").first ?? "").lowercased() }

    /// Short names of the hosts the records describe.
    static func hosts(_ records: [JSON]) -> Set<String> {
        Set(records.compactMap { $0["asset"]?["hostname"]?.stringValue.map(shortName) })
    }

    func setFaults(_ json: JSON) throws { try sandbox.setFaults(try Faults(json: json), for: connector.simulator) }

    var requests: [ServedRequest] { sandbox.requests(to: connector.simulator) }
}

extension Job {
    func count(_ key: String) -> Int { stats?[key]?.intValue ?? 0 }
}
