import ArgumentParser
import Foundation
import HostServices
import Inventory
import JSONCore
import PluginRuntime
import Sandbox
import Store
import SyncEngine

/// The main job on an embedded default: the sandbox, a fresh store, one tenant with the three ITAM connectors,
/// the sample estate ingested, asset context pulled, crypto context pushed, and what landed where.
struct DemoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Run the whole pipeline against the sandbox: ingest a sample estate, pull asset context, push crypto "
            + "context to ServiceNow, Lansweeper and Device42, and show the results.",
        discussion: """
            Everything runs on 127.0.0.1 in a temporary directory (removed at the end unless --keep-running or \
            --data-dir). The plugins are the connector .so files next to this executable, or --plugins-dir.
            """)

    @Option(help: "Hosts in the sample estate.") var hosts = 300
    @Option(help: "Tenant to create.") var tenant = "acme"
    @Option(help: "Sandbox port (0 picks a free one).") var port = 0
    @Option(name: .customLong("plugins-dir"), help: "Directory holding the connector plugins.") var pluginsDirectory:
        String?
    @Option(name: .customLong("data-dir"), help: "Keep the store, the inventory files and the sandbox state here.")
    var dataDirectory: String?
    @Flag(name: .customLong("keep-running"), help: "Leave the host and the sandbox running until SIGTERM/SIGINT.")
    var keepRunning = false

    /// Each connector and the simulator it talks to, in the order the demo runs them.
    static let connectors = [
        (plugin: "servicenow-cmdb", simulator: "servicenow"), (plugin: "lansweeper", simulator: "lansweeper"),
        (plugin: "device42", simulator: "device42"),
    ]

    func validate() throws {
        guard (1...20_000).contains(hosts) else { throw ValidationError("--hosts must be 1 to 20000, got \(hosts)") }
        guard Names.isValid(tenant) else {
            throw ValidationError("tenant \"\(tenant)\" must be 1-64 letters, digits, '-' or '_'")
        }
    }

    func run() throws {
        let started = ContinuousClock.now
        let directory = try DemoWorkspace(path: dataDirectory, keep: keepRunning)
        let sandbox: Sandbox
        do {
            sandbox = try Sandbox(
                port: port, stateDirectory: directory.path("sandbox"), estate: SampleEstate(hosts: hosts))
        } catch { throw CLIError("sandbox: \(error)") }
        print("Sandbox (ServiceNow, Lansweeper, Device42 simulators) on \(sandbox.baseURL)")

        let plugins = try pluginFolder(in: directory)
        let engine = try directory.engine(plugins: plugins)
        defer { engine.supervisor.shutdown() }
        try engine.integrations.ensureTenant(tenant)
        print("Store \(directory.path("cryptoconnect.sqlite")); tenant \(tenant)\n")

        for connector in Self.connectors { try enable(connector, engine: engine, sandbox: sandbox) }
        try ingest(sandbox.estate, into: engine, directory: directory)

        for (kind, verb) in [(Job.Kind.pull, "Pulling asset context"), (.push, "Pushing crypto context")] {
            print("\n\(verb)")
            for (plugin, _) in Self.connectors {
                let integration = try engine.integrations.integration("\(tenant)-\(plugin)")!
                try engine.enqueueSync(integration, trigger: .manual, full: false, kinds: [kind])
                try engine.drain(owner: "demo")
                if let job = try engine.queue.jobs(integration: integration.id, limit: 1).first {
                    print("  " + DemoReport.jobLine(job))
                }
            }
        }

        print("\nIntegration metrics")
        print(try engine.status(tenant: tenant).map(StatusBox.render).joined(separator: "\n"))
        print("\nWhat landed in each system")
        for (_, simulator) in Self.connectors { print(DemoReport.landed(sandbox.summary(of: simulator))) }
        print(String(format: "\nDemo finished in %.1f s.", (ContinuousClock.now - started).timeInterval))

        if keepRunning { try keepServing(engine: engine, sandbox: sandbox, directory: directory, plugins: plugins) }
        sandbox.stop()
    }

    private func enable(
        _ connector: (plugin: String, simulator: String), engine: SyncEngine, sandbox: Sandbox
    ) throws {
        let plugin = connector.plugin
        var configuration = sandbox.configuration(for: connector.simulator).objectValue!
        // The host paces each integration at 20 requests/s by default, a safe figure for a shared SaaS instance;
        // the sandbox is local, and Device42 takes one request per device.
        configuration["rate_limit"] = ["requests_per_second": 200, "burst": 50]
        var request = IntegrationRequest(tenant: tenant, plugin: plugin, configuration: .object(configuration))
        request.realtime = true
        let added: AddedIntegration
        do { added = try engine.addIntegration(request) } catch { throw CLIError("\(plugin): \(error)") }
        print(
            "Enabled \(added.build.label) as \(added.integration.id): \(added.connectionTest ?? "ok"); sealed "
                + added.sealedSecrets.joined(separator: ", "))
    }

    private func ingest(_ estate: SampleEstate, into engine: SyncEngine, directory: DemoWorkspace) throws {
        let ndjson = directory.path("inventory/scanner.ndjson")
        let cbom = directory.path("inventory/estate.cdx.json")
        try directory.write(estate.scannerRecords.map { $0.serialized() }.joined(separator: "\n") + "\n", to: ndjson)
        try directory.write(estate.cbom.prettyPrinted(), to: cbom)
        print("\nIngesting the sample estate (\(estate.hosts.count) hosts)")
        let ingestor = Ingestor(store: engine.store)
        for (file, format) in [(ndjson, IngestFormat.ndjson), (cbom, .cbom)] {
            let report: IngestReport
            do { report = try ingestor.ingest(file: file, tenant: tenant, format: format) } catch {
                throw CLIError("\(error)")
            }
            print("  " + DemoReport.ingestLine(report))
        }
        // The real-time trigger would queue pushes for these events; the demo runs pull first, then push.
        try engine.integrations.integrations(tenant: tenant).forEach {
            try engine.integrations.setEventCursor($0.id, try engine.inventory.latestEventSequence(tenant: tenant))
        }
    }

    /// The three connector builds, copied into a plugins folder of their own (the way a user drops them in).
    private func pluginFolder(in directory: DemoWorkspace) throws -> String {
        if let pluginsDirectory { return pluginsDirectory }
        let binaries = URL(fileURLWithPath: HostExecutable.path).deletingLastPathComponent().path
        let folder = directory.path("plugins")
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        for (plugin, _) in Self.connectors {
            let built = "\(binaries)/lib\(plugin).so"
            guard FileManager.default.fileExists(atPath: built) else {
                throw CLIError("\(built) not found: build the plugins first (`swift build`) or pass --plugins-dir")
            }
            let copy = "\(folder)/lib\(plugin).so"
            try? FileManager.default.removeItem(atPath: copy)
            try FileManager.default.copyItem(atPath: built, toPath: copy)
        }
        return folder
    }

    private func keepServing(engine: SyncEngine, sandbox: Sandbox, directory: DemoWorkspace, plugins: String) throws {
        let host = SyncHost(engine: engine)
        host.stopOnSignals()
        print(
            """

            Still running: sandbox on \(sandbox.baseURL) (admin API \(sandbox.baseURL)/_sandbox), host serving \
            \(directory.path("cryptoconnect.sqlite")).
            Try: cryptoconnect sync status --data-dir \(directory.root) --plugins-dir \(plugins)
            Ctrl-C stops.
            """)
        Console.flush()
        try host.run()
    }
}
