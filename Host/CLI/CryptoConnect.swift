import ArgumentParser
import HostServices
import PluginRuntime
import Store

/// `cryptoconnect`: the host's one command. Each subcommand lives in its own file.
@main
struct CryptoConnect: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cryptoconnect",
        abstract: "Feeds crypto inventory into the systems an enterprise already runs, through connector plugins.",
        subcommands: [
            Serve.self, Ingest.self, InventoryCommand.self, Tenants.self, Integrations.self, Sync.self,
            DeadLetters.self, Mapping.self, Plugins.self, HTTPRequestCommand.self, MetricsCommand.self, Secrets.self,
            SandboxCommand.self, DemoCommand.self,
            // Internal: the host re-executes itself in these modes.
            ScanPlugin.self,
        ]
    )

    /// ArgumentParser's entry point, with SQLite's "database is locked" told in an operator's words.
    static func main() {
        HostProcess.ignoreBrokenPipes()
        // A process given the master key in its environment is not dumpable from the start, whether or not the
        // command loads it (`plugins call` starts a worker without): a plugin's worker, running as the same user,
        // could otherwise read it from this process's /proc environ. (Workers start without the variable.)
        if MasterKey.isConfigured() { MasterKey.keepFromSameUser() }
        // A worker the supervisor started (`__worker`, internal): its arguments are read without ArgumentParser.
        let arguments = Array(CommandLine.arguments.dropFirst())
        if arguments.first == WorkerServer.command {
            guard let worker = WorkerArguments(arguments) else {
                exit(
                    withError: CLIError(
                        "\(WorkerServer.command) is the host's own: it takes the arguments the host writes"))
            }
            let code = WorkerServer.run(
                pluginPath: worker.pluginPath, channel: worker.channel, parent: worker.parent,
                memoryLimit: worker.memoryLimit, sandbox: worker.sandbox)
            exit(withError: code == 0 ? nil : ExitCode(code))
        }
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch  where Store.isBusy(error) {
            exit(
                withError: CLIError(
                    "the store is busy: another process (an ingest or a push) held its write lock too long; nothing was changed, try again when it is done"
                ))
        } catch {
            exit(withError: error)
        }
    }
}
