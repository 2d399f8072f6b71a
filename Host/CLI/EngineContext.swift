import ArgumentParser
import Foundation
import HostServices
import PluginRuntime
import Store
import SyncEngine

/// Builds the sync engine a command works with: the store, the plugins directory, the supervisor and, when a
/// master key is configured, the vault that opens integration secrets.
struct EngineOptions: ParsableArguments {
    @OptionGroup var host: HostOptions
    @OptionGroup var key: MasterKeyOptions
    @Flag(name: .customLong("verbose"), help: "Log debug lines (plugin output, every HTTP answer).") var verbose = false

    /// `loadPlugins: false` for commands that only read the store (`sync status`): they work without a plugins
    /// directory, and a path with no store is an error, not a new empty store; `existingStore` asks the latter of
    /// a command that loads plugins but only changes what is stored (`integrations update`).
    /// `runsJobs` for a command that runs jobs itself (`serve`, `--wait`): the store's sealed secrets must open with
    /// the configured key, or it refuses to start rather than fail each job.
    /// `limits`: what the supervisor holds plugins to.
    func engine(
        requireKey: Bool = false, loadPlugins: Bool = true, existingStore: Bool = false, runsJobs: Bool = false,
        limits: SupervisorConfiguration = SupervisorConfiguration()
    ) throws -> SyncEngine {
        // The engine runs jobs (serve, --wait): its writes wait less than a job's lease (see `jobBusyTimeout`).
        let wait = Store.jobBusyTimeout
        let store =
            try loadPlugins && !existingStore
            ? host.openStore(busyTimeout: wait) : host.openExistingStore(busyTimeout: wait)
        let log = StandardErrorLog(minimumLevel: verbose ? .debug : .info)
        var vault: SecretVault?
        do {
            vault = SecretVault(store: store, key: try MasterKey.load(file: key.file))
            // The wrong key is said now, not by every job that fails.
            if runsJobs { try vault?.checkKeyMatchesStore() }
        } catch {
            // A key named but unusable is the operator's to fix before a job runs, not "no key" at the first sealed
            // secret (a command that only reads the store goes on without it).
            if requireKey || key.file != nil || (loadPlugins && MasterKey.isConfigured()) {
                throw CLIError("\(error)")
            }
        }
        // Without a key, every job of an integration with sealed credentials would fail (a service started
        // without its environment variable threw its queue away): said now instead.
        if vault == nil, runsJobs, try !store.secretKeyIDs().isEmpty {
            throw CLIError(
                "no master key is configured, and the store holds sealed secrets: set \(MasterKey.environmentVariable) "
                    + "or \(MasterKey.fileEnvironmentVariable), or pass --master-key-file")
        }
        let catalog = PluginCatalog(
            directory: host.resolvedPluginsDirectory, discovery: host.discovery(sandbox: limits.sandbox))
        do {
            if loadPlugins { try catalog.refresh() }
        } catch {
            throw CLIError("\(error)")
        }
        // What plugins print goes to the log through the supervisor: masked like the engine's own lines.
        let redactor = vault?.redactor ?? Redactor()
        return SyncEngine(
            store: store, catalog: catalog,
            supervisor: PluginSupervisor(configuration: limits, log: RedactingLog(log, redactor: redactor)),
            vault: vault, log: log, redactor: redactor)
    }
}
