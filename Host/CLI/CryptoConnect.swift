import ArgumentParser

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
            ScanPlugin.self, Worker.self,
        ]
    )
}
