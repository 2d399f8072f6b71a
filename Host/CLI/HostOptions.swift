import ArgumentParser
import Foundation
import HostServices
import PluginRuntime
import Store

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

    @Option(name: .customLong("db"), help: "The SQLite store. Default: <data-dir>/cryptoconnect.sqlite")
    var database: String?

    var resolvedDatabase: String { database ?? Store.defaultPath(dataDirectory: resolvedDataDirectory) }

    func openStore(busyTimeout: TimeInterval = Store.busyTimeout) throws -> Store {
        do {
            return try Store(path: resolvedDatabase, busyTimeout: busyTimeout)
        } catch {
            throw CLIError("cannot open the store \(resolvedDatabase): \(error)")
        }
    }

    /// The store for a command that only reads: a path with no store is a mistyped --db, not a new empty store.
    func openExistingStore(busyTimeout: TimeInterval = Store.busyTimeout) throws -> Store {
        guard FileManager.default.fileExists(atPath: resolvedDatabase) else {
            throw CLIError("no store at \(resolvedDatabase); check --db or --data-dir")
        }
        return try openStore(busyTimeout: busyTimeout)
    }

    var resolvedPluginsDirectory: String {
        pluginsDirectory ?? environment("CRYPTOCONNECT_PLUGINS_DIR") ?? "./plugins"
    }

    var resolvedDataDirectory: String {
        dataDirectory ?? environment("CRYPTOCONNECT_DATA_DIR") ?? "./data"
    }

    var discovery: PluginDiscovery { discovery(sandbox: nil) }

    /// With `sandbox`, manifest scans are confined as workers are (loading a plugin runs its code).
    func discovery(sandbox: FileSandbox?) -> PluginDiscovery {
        PluginDiscovery(
            cache: PluginCache(
                directory: URL(fileURLWithPath: resolvedDataDirectory).appendingPathComponent("plugin-cache")),
            scanner: ManifestScanner(sandbox: sandbox.map { _ in FileSandbox() }))
    }

    private func environment(_ name: String) -> String? {
        guard let value = ProcessInfo.processInfo.environment[name], !value.isEmpty else { return nil }
        return value
    }
}

/// A failure the CLI reports in one line on stderr and exits non-zero for.
struct CLIError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Where the master key comes from, for commands that touch secrets.
struct MasterKeyOptions: ParsableArguments {
    @Option(
        name: .customLong("master-key-file"),
        help: "File holding the base64 master key. Default: $CRYPTOCONNECT_MASTER_KEY_FILE or $CRYPTOCONNECT_MASTER_KEY"
    )
    var file: String?

    func load() throws -> MasterKey {
        do {
            return try MasterKey.load(file: file)
        } catch {
            throw CLIError(error.description)
        }
    }
}
