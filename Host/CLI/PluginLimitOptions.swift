import ArgumentParser
import PluginRuntime
import SyncEngine

/// The limits `serve` holds plugins to. The defaults suit most hosts; a plugin that needs more memory or longer
/// calls, or a far target that wants more batches in flight, is given them here.
struct PluginLimitOptions: ParsableArguments {
    @Option(help: "Heap limit of each plugin worker, in MiB (0: none).")
    var pluginMemoryLimit = 512

    @Option(help: "Seconds a push or pull call may run before its worker is stopped and the call fails.")
    var callTimeout = 300

    @Option(help: "Workers per plugin (per tenant with tenant isolation): how many of its calls run at once.")
    var workersPerPlugin = 2

    @Option(help: "Batches a push keeps with its plugin at once (at most --workers-per-plugin).")
    var batchesInFlight = 2

    @Option(help: "Faults in a row (crash, hang, memory, protocol) after which a plugin is quarantined.")
    var quarantineAfter = 5

    @Option(help: "Seconds a quarantine lasts before one call is let through to try the plugin again.")
    var quarantineSeconds = 300

    /// Below this a worker cannot load the Swift runtime and a plugin: every call would fail as out of memory.
    static let smallestMemoryLimit = 128

    func validate() throws {
        func refuse(_ option: String, _ rule: String, _ value: Int) -> ValidationError {
            ValidationError("--\(option) must be \(rule), got \(value)")
        }
        if pluginMemoryLimit != 0 && pluginMemoryLimit < Self.smallestMemoryLimit {
            throw refuse(
                "plugin-memory-limit", "0 (no limit) or at least \(Self.smallestMemoryLimit) MiB", pluginMemoryLimit)
        }
        guard (1...86_400).contains(callTimeout) else {
            throw refuse("call-timeout", "1 to 86400 seconds", callTimeout)
        }
        guard (1...64).contains(workersPerPlugin) else {
            throw refuse("workers-per-plugin", "1 to 64", workersPerPlugin)
        }
        guard (1...workersPerPlugin).contains(batchesInFlight) else {
            throw refuse("batches-in-flight", "1 to --workers-per-plugin (\(workersPerPlugin))", batchesInFlight)
        }
        guard quarantineAfter >= 1 else { throw refuse("quarantine-after", "at least 1", quarantineAfter) }
        guard (1...86_400).contains(quarantineSeconds) else {
            throw refuse("quarantine-seconds", "1 to 86400", quarantineSeconds)
        }
    }

    var supervisor: SupervisorConfiguration {
        var configuration = SupervisorConfiguration()
        configuration.memoryLimitBytes = pluginMemoryLimit == 0 ? nil : pluginMemoryLimit << 20
        configuration.timeouts[.push] = .seconds(callTimeout)
        configuration.timeouts[.pull] = .seconds(callTimeout)
        configuration.workersPerPool = workersPerPlugin
        configuration.quarantineAfter = quarantineAfter
        configuration.quarantineDuration = .seconds(quarantineSeconds)
        return configuration
    }

    /// The limits in a line for the log, so an operator sees what the host runs with.
    var summary: String {
        let memory = pluginMemoryLimit == 0 ? "no memory limit" : "\(pluginMemoryLimit) MiB of memory"
        return "plugin limits: \(memory), calls of \(callTimeout) s, \(workersPerPlugin) workers per plugin, "
            + "\(batchesInFlight) batches in flight, quarantine after \(quarantineAfter) faults for \(quarantineSeconds) s"
    }
}
