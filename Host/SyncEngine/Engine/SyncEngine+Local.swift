import Foundation
import HostServices
import PluginRuntime
import Store

extension SyncEngine {
    /// An engine over one directory, the way the demo, the benchmarks and the connector tests run it: the store at
    /// `{directory}/cryptoconnect.sqlite`, the plugin cache at `{directory}/plugin-cache`, the plugins found in
    /// `plugins`, and secrets sealed under `key`. Fails if the plugins directory is missing.
    public static func local(
        directory: String, plugins: String, key: MasterKey, log: HostLog,
        supervisor configuration: SupervisorConfiguration = SupervisorConfiguration()
    ) throws -> SyncEngine {
        let store = try Store(path: directory + "/cryptoconnect.sqlite")
        let catalog = PluginCatalog(
            directory: plugins,
            discovery: PluginDiscovery(
                cache: PluginCache(directory: URL(fileURLWithPath: directory).appendingPathComponent("plugin-cache"))))
        try catalog.refresh()
        return SyncEngine(
            store: store, catalog: catalog, supervisor: PluginSupervisor(configuration: configuration, log: log),
            vault: SecretVault(store: store, key: key), log: log)
    }
}
