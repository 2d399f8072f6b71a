import Foundation
import HostServices
import Inventory
import JSONCore
import PluginABI
import PluginRuntime
import Store

/// The sync engine: turns inventory changes and schedules into jobs, and runs each job through the integration's
/// plugin, in isolation, with nothing lost. Thread-safe; several runners may execute jobs at once.
public final class SyncEngine: @unchecked Sendable {
    public let store: Store
    public let queue: JobQueue
    public let integrations: IntegrationRepository
    public let delivery: DeliveryRepository
    public let inventory: InventoryRepository
    public let supervisor: PluginSupervisor
    public let catalog: PluginCatalog
    public let redactor: Redactor
    public let log: HostLog
    /// Opens sealed secrets; nil when no master key is configured (integrations without secrets still run).
    public let vault: SecretVault?
    public var clock: @Sendable () -> Date
    /// Records per push call.
    public var batchSize = 100
    /// Push batches with the plugin at once, each in a worker of its own (at most the supervisor's workers per
    /// pool): a target far away answers one while the next is built and sent. A push starts with two, and widens
    /// to this many once the target has taken `SyncEngine.batchesBeforeWidening` (one at a time while a target's
    /// pause lasts).
    public var batchesInFlight = 4
    /// Records asked for per pull call.
    public var pageSize = 200
    /// Attempts before a job that keeps failing for retryable reasons is given up.
    public var maximumAttempts = 10
    public var lease: Duration = .seconds(60)
    /// How often a job that runs on says how long it has run (a hung plugin shows in the log before its deadline).
    public var longRunningNotice: Duration = .seconds(120)

    private let lock = NSLock()
    private var runtimes: [String: IntegrationRuntime] = [:]
    private let stopFlag = LockedFlag()
    private let abandonFlag = LockedFlag()

    /// Set when the host is stopping: running jobs stop at their next batch boundary and go back to the queue.
    public var stopRequested: Bool {
        get { stopFlag.isSet }
        set { newValue ? stopFlag.set() : stopFlag.clear() }
    }

    /// Gives up on the jobs still running after a stop's grace: their plugin calls end (the workers are killed,
    /// the jobs go back to the queue) and so do the HTTP requests the host has out for them. For good: the host
    /// then shuts the supervisor down.
    public func abandonRunningCalls() {
        abandonFlag.set()
        supervisor.abandonCalls()
    }

    public init(
        store: Store, catalog: PluginCatalog, supervisor: PluginSupervisor, vault: SecretVault?, log: HostLog,
        redactor: Redactor? = nil, clock: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.store = store
        self.catalog = catalog
        self.supervisor = supervisor
        self.vault = vault
        self.redactor = redactor ?? vault?.redactor ?? Redactor()
        self.log = RedactingLog(log, redactor: self.redactor)
        self.clock = clock
        catalog.onChange = { [log = self.log] build, loaded in
            let message =
                loaded
                ? "loaded \(build.label) from the plugins directory"
                : "unloaded \(build.label): its file is gone from the plugins directory"
            log.write(LogEntry(level: loaded ? .info : .warning, source: "sync", message: message))
            if loaded { try? JobQueue(store: store).makeDue(plugin: build.manifest.id) }
        }
        queue = JobQueue(store: store)
        integrations = IntegrationRepository(store: store)
        delivery = DeliveryRepository(store: store)
        inventory = InventoryRepository(store: store)
    }

    /// The runtime for an integration, rebuilt when its configuration, secrets, policy or plugin build changed.
    public func runtime(for integration: Integration) throws -> IntegrationRuntime {
        let build = try catalog.resolve(integration.pluginID, pin: integration.versionPin)
        let secrets = try sealedSecrets(of: integration)
        let fingerprint = [
            build.sha256, integration.configuration.serialized(), integration.mapping.serialized(),
            integration.sourceOfTruth.serialized(),  // pulls read the policy from the runtime's integration
            JSON.object(secrets.mapValues(JSON.string)).serialized().hashValue.description,
        ].joined(separator: "\n")
        // Metrics the runtime counted that are no longer saved: the integration was removed (by another process)
        // and this one is added again under its name, whose runtime starts afresh.
        let saved = try store.metricsDocument(integration: integration.id)
            .flatMap { try? JSON.parse($0) }.map(HTTPMetricsSnapshot.init(json:))
        let cached = lock.withLock { runtimes[integration.id] }
        let replaced = saved == nil && (cached?.http?.metrics.snapshot.attempts ?? 0) > 0
        if let cached, cached.fingerprint == fingerprint, !replaced {
            if let http = cached.http { keepStoredPause(http, integration.id) }  // another process may have heard one
            return cached
        }

        let mapping = try FieldMapping(json: integration.mapping, stored: true)
        // The build's defaults for what the stored configuration leaves out: an integration saved before its plugin
        // named one (Lansweeper's rate limit) runs with it too. (Defaults present when it was saved were stored.)
        let configuration = ConfigurationSchema(build.manifest.configSchema).applyingDefaults(
            to: integration.configuration)
        var http: IntegrationHTTP?
        if configuration["base_url"] != nil {
            let settings = try HTTPSettings(configuration: configuration, secrets: secrets)
            // The metrics go on from the runtime this one replaces (newer than the saved ones).
            let previous = replaced ? nil : cached?.http?.metrics
            http = IntegrationHTTP(
                integration: integration.id, settings: settings, redactor: redactor,
                userAgent: "CryptoConnect/1.0 \(build.label)",
                metrics: previous ?? saved.map(HTTPMetrics.init(restoring:)) ?? HTTPMetrics(), log: log)
        }
        if let http {
            sharePauses(of: http, integration.id)
            keepStoredPause(http, integration.id)
            http.isStopping = { [stopFlag] in stopFlag.isSet }  // a stop does not wait out the target's pause
            http.isAbandoned = { [abandonFlag] in abandonFlag.isSet }
        }
        let services = IntegrationServices(
            source: "plugin \(build.label) \(integration.id)", http: http,
            state: StoredIntegrationState(store: store, integration: integration.id), log: log, redactor: redactor,
            clock: { [clock] in Int64(clock().timeIntervalSince1970 * 1000) })
        let runtime = IntegrationRuntime(
            integration: integration, build: build,
            instance: InstanceSpec(
                key: integration.id, tenant: integration.tenant, configuration: configuration.serializedBytes()),
            services: services, mapping: mapping, fingerprint: fingerprint)
        lock.withLock { runtimes[integration.id] = runtime }
        // Which build an integration pinned to no version runs, for `integrations show`.
        _ = StoredIntegrationState(store: store, integration: integration.id)
            .setValue(build.label, forKey: StoredIntegrationState.buildKey)
        saveMetrics(runtime)  // saved from the start, so metrics that are not saved were removed with the integration
        return runtime
    }

    func sealedSecrets(of integration: Integration) throws -> [String: String] {
        let sealed = try store.secrets(owner: integration.id)
        guard !sealed.isEmpty else { return [:] }
        guard let vault else {
            throw UnopenedSecrets(
                description: "integration \(integration.id) has sealed secrets, but no master key is configured "
                    + "(set \(MasterKey.environmentVariable) or \(MasterKey.fileEnvironmentVariable))")
        }
        do {
            return try vault.secrets(owner: integration.id)
        } catch {
            throw UnopenedSecrets(description: "\(error)")
        }
    }

    /// An integration's credentials that the configured master key (or no key) cannot open: the host's to fix, not
    /// the job's, which waits for it.
    struct UnopenedSecrets: Error, CustomStringConvertible {
        let description: String
    }

    /// A pause a target asks for (Retry-After) holds for every process of the store, not only the one that heard
    /// it: a job handed back to a `--wait` runner, a host's next job, or an `integrations update` test keeps to it.
    /// Kept in the store when heard...
    func sharePauses(of http: IntegrationHTTP, _ integration: String) {
        let state = StoredIntegrationState(store: store, integration: integration)
        http.onPause = { end in
            try? state.raise(StoredIntegrationState.pausedUntilKey, to: IntegrationRepository.milliseconds(end))
        }
    }

    /// ...and kept to before each job (a stored pause already over changes nothing).
    func keepStoredPause(_ http: IntegrationHTTP, _ integration: String) {
        let stored = StoredIntegrationState(store: store, integration: integration)
            .value(forKey: StoredIntegrationState.pausedUntilKey).flatMap(Int64.init)
        if let stored { http.keepPause(until: IntegrationRepository.date(stored)) }
    }

    /// Saves an integration's HTTP metrics to the store (after each job).
    func saveMetrics(_ runtime: IntegrationRuntime) {
        guard let http = runtime.http else { return }
        try? store.saveMetrics(
            integration: runtime.integration.id, document: http.metrics.snapshot.json.serialized(), ifStored: true)
    }

    public func note(_ level: PluginLogLevel, _ message: String) {
        log.write(LogEntry(level: level, source: "sync", message: message))
    }
}
