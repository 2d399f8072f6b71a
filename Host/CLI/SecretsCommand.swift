import ArgumentParser
import Foundation
import HostServices

struct Secrets: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Manage the master key that seals integration secrets at rest.",
        subcommands: [GenerateKey.self, Rotate.self, List.self])
}

extension Secrets {
    struct GenerateKey: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "generate-key",
            abstract: "Print a new random master key (base64). Keep it apart from the data, e.g. in a secrets manager.")

        func run() { print(MasterKey.generate()) }
    }

    struct Rotate: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Re-seal every stored secret under a new master key, in one transaction.",
            discussion: "Afterwards configure the new key (CRYPTOCONNECT_MASTER_KEY or --master-key-file).")

        @OptionGroup var host: HostOptions
        @OptionGroup var key: MasterKeyOptions
        @Option(name: .customLong("new-key-file"), help: "File holding the new base64 master key.") var newKeyFile:
            String

        func run() throws {
            let current = try key.load()
            let next: MasterKey
            do {
                next = try MasterKey.load(file: newKeyFile)
            } catch {
                throw CLIError(error.description)
            }
            let count = try SecretVault(store: try host.openStore(), key: current).rotate(to: next)
            print("Re-sealed \(count) secrets: master key \(current.id) -> \(next.id).")
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List stored secrets by owner and name, with the key that sealed them. Values are never shown.")

        @OptionGroup var host: HostOptions

        func run() throws {
            let secrets = try host.openExistingStore().allSecrets()
            guard !secrets.isEmpty else { return print("No secrets stored.") }
            print(Console.table(["OWNER", "NAME", "MASTER KEY"], secrets.map { [$0.owner, $0.name, $0.keyID] }))
        }
    }
}
