import ArgumentParser
import Foundation
import PluginRuntime

/// Where the host finds plugins and keeps its data; shared by every command that touches either.
struct HostOptions: ParsableArguments {
    @Option(
        name: .customLong("plugins-dir"),
        help: "Directory searched (recursively) for plugin .so files. Default: $CRYPTOCONNECT_PLUGINS_DIR or ./plugins")
    var pluginsDirectory: String?

    @Option(
        name: .customLong("data-dir"),
        help: "Directory for the store and the plugin cache. Default: $CRYPTOCONNECT_DATA_DIR or ./data")
    var dataDirectory: String?

    var resolvedPluginsDirectory: String {
        pluginsDirectory ?? environment("CRYPTOCONNECT_PLUGINS_DIR") ?? "./plugins"
    }

    var resolvedDataDirectory: String {
        dataDirectory ?? environment("CRYPTOCONNECT_DATA_DIR") ?? "./data"
    }

    var discovery: PluginDiscovery {
        PluginDiscovery(
            cache: PluginCache(
                directory: URL(fileURLWithPath: resolvedDataDirectory).appendingPathComponent("plugin-cache")))
    }

    private func environment(_ name: String) -> String? {
        guard let value = ProcessInfo.processInfo.environment[name], !value.isEmpty else { return nil }
        return value
    }
}
