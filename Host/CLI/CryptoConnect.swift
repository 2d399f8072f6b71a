import ArgumentParser

/// `cryptoconnect`: the host's one command. Subcommands live in their own files as extensions.
@main
struct CryptoConnect: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cryptoconnect",
        abstract: "Feeds crypto inventory into the systems an enterprise already runs, through connector plugins.",
        subcommands: [
            Plugins.self, Secrets.self, HTTPRequestCommand.self, MetricsCommand.self, ScanPlugin.self, Worker.self,
        ]
    )
}
