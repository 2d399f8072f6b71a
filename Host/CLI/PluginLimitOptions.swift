import ArgumentParser
import Foundation
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
    var workersPerPlugin = 4

    @Option(
        help:
            "Batches a push keeps with its plugin at once (at most --workers-per-plugin); it starts with two and widens once the target keeps up."
    )
    var batchesInFlight = 4

    @Option(help: "Faults in a row (crash, hang, memory, protocol) after which a plugin is quarantined.")
    var quarantineAfter = 5

    @Option(help: "Seconds a quarantine lasts before one call is let through to try the plugin again.")
    var quarantineSeconds = 300

    @Flag(
        help: ArgumentHelp(
            "Confine plugin workers (Linux landlock): they read only system libraries, and write nowhere but the "
                + "folders --plugin-sandbox-allow names; the store and the master key are out of their reach."))
    var pluginSandbox = false

    @Option(help: "A folder sandboxed plugins may read and write (a connector that writes files); repeatable.")
    var pluginSandboxAllow: [String] = []

    /// Below this a worker cannot load the Swift runtime and a plugin: every call would fail as out of memory.
    static let smallestMemoryLimit = 128

    func validate() throws {
        func refuse(_ option: String, _ rule: String, _ value: Int) -> ValidationError {
            ValidationError("--\(option) must be \(rule), got \(value)")
        }
        if pluginMemoryLimit != 0 && !(Self.smallestMemoryLimit...(1 << 20)).contains(pluginMemoryLimit) {
            throw refuse(
                "plugin-memory-limit", "0 (no limit) or \(Self.smallestMemoryLimit) MiB to 1 TiB", pluginMemoryLimit)
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
        if !pluginSandboxAllow.isEmpty && !pluginSandbox {
            throw ValidationError("--plugin-sandbox-allow needs --plugin-sandbox")
        }
        if pluginSandbox && !FileSandbox.isAvailable {
            throw ValidationError(
                "--plugin-sandbox needs Linux landlock of ABI 3 (Linux 6.2 or later, enabled), which this kernel lacks")
        }
    }

    /// Refuses a sandbox that would leave `secrets` (the store, the master key) within a plugin's reach, or `code`
    /// (the plugins and the host's copies of them, which the host loads) within its writing.
    func checkSandbox(keeps secrets: [String], code: [String]) throws {
        guard pluginSandbox else { return }
        func standard(_ path: String) -> String { (absolute(path) as NSString).standardizingPath }
        let allowed = pluginSandboxAllow.map(standard)
        func isAllowed(_ path: String) -> Bool {
            allowed.contains { path == $0 || path.hasPrefix($0.hasSuffix("/") ? $0 : $0 + "/") }
        }
        let secrets = secrets.map(standard)
        if let exposed = FileSandbox.readablePath(among: secrets) ?? secrets.first(where: isAllowed) {
            throw CLIError(
                "--plugin-sandbox would leave \(exposed) within plugins' reach (system folders and the folders "
                    + "--plugin-sandbox-allow names are readable): keep the store and the master key elsewhere")
        }
        if let writable = code.map(standard).first(where: isAllowed) {
            throw CLIError(
                "--plugin-sandbox-allow would let plugins write in \(writable), whose plugins the host loads: "
                    + "allow a folder of their own")
        }
        if let missing = allowed.first(where: { !FileManager.default.fileExists(atPath: $0) }) {
            throw CLIError("--plugin-sandbox-allow \(missing): no such folder (create it first)")
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
        if pluginSandbox { configuration.sandbox = FileSandbox(writable: pluginSandboxAllow.map(absolute)) }
        return configuration
    }

    /// The limits in a line for the log, so an operator sees what the host runs with.
    var summary: String {
        let memory = pluginMemoryLimit == 0 ? "no memory limit" : "\(pluginMemoryLimit) MiB of memory"
        return "plugin limits: \(memory), calls of \(callTimeout) s, \(workersPerPlugin) workers per plugin, "
            + "\(batchesInFlight) batches in flight, quarantine after \(quarantineAfter) faults for \(quarantineSeconds) s"
            + (pluginSandbox ? ", sandboxed" + pluginSandboxAllow.map { " (may write in \($0))" }.joined() : "")
            + (pluginSandbox && !FileSandbox.refusesNetwork ? "; this kernel cannot refuse plugins TCP" : "")
            + (pluginSandbox && !FileSandbox.refusesSignals
                ? "; this kernel cannot refuse plugins signals to the host" : "")
    }

    private func absolute(_ path: String) -> String {
        path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
    }
}
