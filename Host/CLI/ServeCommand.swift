import ArgumentParser
import Foundation
import HostServices
import SyncEngine

struct Serve: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the host: real-time and scheduled triggers, the job queue, and plugin workers.",
        discussion:
            "SIGTERM or SIGINT stops taking jobs; running jobs stop at their next batch and go back to the queue.")

    @OptionGroup var options: EngineOptions
    @OptionGroup(title: "Plugin limits") var limits: PluginLimitOptions
    @Option(help: "Job runners (concurrent jobs across integrations; one plugin's jobs take at most all but one).")
    var runners = 4

    func run() throws {
        // An empty variable is no file, as the master key reads it.
        let keyFile = (options.key.file ?? ProcessInfo.processInfo.environment[MasterKey.fileEnvironmentVariable])
            .flatMap { $0.isEmpty ? nil : $0 }
        try limits.checkSandbox(
            keeps: [options.host.resolvedDatabase] + [keyFile].compactMap { $0 },
            code: [options.host.resolvedPluginsDirectory, options.host.resolvedDataDirectory + "/plugin-cache"])
        let engine = try options.engine(runsJobs: true, limits: limits.supervisor)
        engine.batchesInFlight = limits.batchesInFlight
        let lock: Int32
        do { lock = try SyncHost.lock(store: options.host.resolvedDatabase) } catch { throw CLIError("\(error)") }
        defer { close(lock) }
        let host = SyncHost(engine: engine)
        host.runners = max(1, runners)
        host.stopOnSignals()
        let loaded = engine.catalog.builds.map(\.label).joined(separator: ", ")
        engine.note(
            .info,
            "serving \(options.host.resolvedDatabase) with plugins from \(options.host.resolvedPluginsDirectory): \(loaded.isEmpty ? "none" : loaded)"
        )
        engine.note(.info, limits.summary)
        try host.run()
        engine.note(.info, "stopped")
    }
}
