import Foundation
import HostServices
import Inventory
import JSONCore
import PluginRuntime
import Store
import SyncEngine
import TestSupport

/// A clock tests move by hand.
final class ManualClock: @unchecked Sendable {
    private let lock = NSLock()
    private var current: Date

    init(_ start: Date = ISODates.parse("2026-11-26T09:00:00Z")!) { current = start }

    var now: Date { lock.withLock { current } }
    func advance(_ seconds: TimeInterval) { lock.withLock { current = current.addingTimeInterval(seconds) } }
}

/// A store, a plugins folder with the REST sink connector, a running sink, and an engine with a manual clock.
final class EngineFixture {
    let folder = TemporaryDirectory("engine")
    let store: Store
    let sink: RecordSinkServer
    let clock = ManualClock()
    let engine: SyncEngine
    let log = CollectingLog()
    let key: MasterKey

    init(busyTimeout: TimeInterval = Store.busyTimeout) throws {
        PackagePaths.useBuiltHost()
        store = try Store(path: folder.path + "/cc.sqlite", busyTimeout: busyTimeout)
        sink = try RecordSinkServer()
        let plugins = folder.directory("plugins")
        folder.copy(PackagePaths.plugin("fixture-rest-sink"), to: "plugins/libfixture-rest-sink.so")
        let catalog = PluginCatalog(
            directory: plugins,
            discovery: PluginDiscovery(cache: PluginCache(directory: folder.url.appendingPathComponent("cache"))))
        try catalog.refresh()
        key = try MasterKey(base64: MasterKey.generate(), source: "test")
        var configuration = SupervisorConfiguration()
        configuration.restartBackoff = .milliseconds(10)
        let clock = self.clock
        engine = SyncEngine(
            store: store, catalog: catalog, supervisor: PluginSupervisor(configuration: configuration, log: log),
            vault: SecretVault(store: store, key: key), log: log, clock: { clock.now })
        engine.batchSize = 50
    }

    deinit { engine.supervisor.shutdown() }

    /// Another host of the same store, as a second process would be: its own supervisor and log, and its plugins
    /// from `plugins` (a folder of the fixture's, scanned now) or the fixture's own catalog. Shut its supervisor
    /// down when done.
    func otherHost(plugins: String? = nil) throws -> (engine: SyncEngine, log: CollectingLog) {
        var catalog = engine.catalog
        if let plugins {
            catalog = PluginCatalog(
                directory: plugins,
                discovery: PluginDiscovery(cache: PluginCache(directory: folder.url.appendingPathComponent("cache"))))
            try catalog.refresh()
        }
        let log = CollectingLog()
        let other = SyncEngine(
            store: store, catalog: catalog, supervisor: PluginSupervisor(log: log),
            vault: SecretVault(store: store, key: key), log: log)
        return (other, log)
    }

    /// Adds a tenant (if new) and an integration of the REST sink connector for it, the way `integrations add` does.
    @discardableResult
    func integration(
        tenant: String = "acme", id: String? = nil, path: String = "/records", token: String? = nil,
        realtime: Bool = false,
        schedule: String? = nil, mapping: JSON? = nil, sinkURL: String? = nil, sourceOfTruth: JSON? = nil
    ) throws -> Integration {
        try engine.integrations.ensureTenant(tenant)
        var configuration: [String: JSON] = [
            "base_url": .string(sinkURL ?? sink.baseURL), "path": .string(path),
            "retry": ["base_delay_ms": 10, "max_attempts": 2],
        ]
        configuration["auth"] = token.map { ["type": "bearer", "token": .string($0)] } ?? ["type": "none"]
        var request = IntegrationRequest(
            tenant: tenant, plugin: "fixture-rest-sink", configuration: .object(configuration), mapping: mapping,
            id: id ?? "\(tenant)-sink")
        request.schedule = schedule
        request.realtime = realtime
        request.sourceOfTruth = sourceOfTruth
        request.testConnection = false
        return try engine.addIntegration(request).integration
    }

    @discardableResult
    func ingest(_ records: [JSON], tenant: String = "acme") throws -> IngestReport {
        try engine.integrations.ensureTenant(tenant)
        return try Ingestor(store: store, now: { [clock] in clock.now }).ingest(records: records, tenant: tenant)
    }

    /// Queues a manual push and runs every due job.
    func push(_ integration: String, full: Bool = false) throws -> Job {
        let found = try engine.integrations.integration(integration)!
        try engine.enqueueSync(found, trigger: .manual, full: full, kinds: [.push])
        try engine.drain(owner: "test")
        return try engine.queue.jobs(integration: integration, limit: 1).first!
    }
}

/// A standard-schema record for host `host`.
func asset(
    _ host: String, risk: Int = 3, environment: String = "production", serial: String? = nil,
    suite: String = "TLS_AES_256_GCM_SHA384"
) -> JSON {
    var asset: [String: JSON] = ["hostname": .string(host), "environment": .string(environment)]
    if let serial { asset["serial_number"] = .string(serial) }
    return [
        "asset": .object(asset),
        "crypto_implementation": [
            "protocol": "TLS", "protocol_version": "1.3", "cipher_suite": .string(suite), "port": 443,
            "risk_score": JSON(risk),
        ],
    ]
}
