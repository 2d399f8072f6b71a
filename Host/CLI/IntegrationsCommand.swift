import ArgumentParser
import Foundation
import HostServices
import Inventory
import JSONCore
import PluginABI
import PluginRuntime
import SyncEngine

struct Integrations: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "integrations", abstract: "Enable connectors per tenant and manage them.",
        subcommands: [Add.self, Update.self, List.self, Show.self, Enable.self, Disable.self, Remove.self])
}

extension Integrations {
    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract:
                "Enable a connector for a tenant: validates the configuration and mapping, seals the secrets, and "
                + "tests the connection.")

        @OptionGroup var options: EngineOptions
        @Option(help: "The tenant.") var tenant: String
        @Option(help: "Plugin id, optionally pinned: servicenow-cmdb or servicenow-cmdb@1.2.0.") var plugin: String
        @Option(help: "Configuration JSON file (secrets included; they are sealed, never stored in clear).") var config:
            String
        @Option(help: "Field mapping JSON file (default: the plugin's default mapping).") var mapping: String?
        @Option(help: "hourly, daily, weekly, or a cron expression (UTC).") var schedule: String?
        @Flag(help: "Push in real time when an ingest raises an event.") var realtime = false
        @Option(name: .customLong("events"), help: "Event types real-time pushes react to (comma-separated).")
        var events: String = Integration.defaultEventTypes.joined(separator: ",")
        @Option(help: "dev, staging or prod.") var environment = "prod"
        @Option(help: "process (default), tenant or none.") var isolation = "process"
        @Option(
            name: .customLong("source-of-truth"),
            help: "JSON file mapping fields or sections to \"itam\" or \"platform\", laid over the default policy.")
        var sourceOfTruth: String?
        @Option(help: "Integration id (default: TENANT-PLUGIN).") var name: String?
        @Flag(name: .customLong("no-test"), help: "Skip the connection test.") var noTest = false

        // The engine checks the rest (schedule, events, environment, policy), the same way for add and update.
        func validate() throws {
            guard IsolationLevel(rawValue: isolation) != nil else {
                throw ValidationError("--isolation must be process, tenant or none; got \"\(isolation)\"")
            }
        }

        func run() throws {
            let engine = try options.engine()
            defer { engine.supervisor.shutdown() }
            var request = IntegrationRequest(
                tenant: tenant, plugin: plugin, configuration: try readJSON(config, "--config"),
                mapping: try mapping.map { try readJSON($0, "--mapping") }, id: name)
            request.schedule = schedule
            request.realtime = realtime
            request.eventTypes = Integrations.eventTypes(events)
            request.sourceOfTruth = try sourceOfTruth.map { try readJSON($0, "--source-of-truth") }
            request.environment = environment
            request.isolation = IsolationLevel(rawValue: isolation)!
            request.testConnection = !noTest
            let added: AddedIntegration
            do { added = try engine.addIntegration(request) } catch { throw CLIError("\(error)") }
            if let message = added.connectionTest { print("Connection test passed: \(message)") }
            let secrets = added.sealedSecrets
            print(
                "Added integration \(added.integration.id): \(added.build.label) for tenant \(tenant)"
                    + (secrets.isEmpty ? "." : "; sealed secrets: \(secrets.joined(separator: ", ")).")
            )
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List integrations.")
        @OptionGroup var host: HostOptions
        @Option var tenant: String?
        @Flag var json = false

        func run() throws {
            let store = try host.openExistingStore()
            if let tenant { try InventoryCommand.requireTenant(tenant, in: store) }
            let list = try IntegrationRepository(store: store).integrations(tenant: tenant)
            if json { return print(JSON.array(list.map(Integrations.summary)).prettyPrinted()) }
            guard !list.isEmpty else { return print("No integrations.") }
            print(
                Console.table(
                    ["ID", "TENANT", "PLUGIN", "ENV", "SCHEDULE", "REALTIME", "STATE"],
                    list.map {
                        [
                            $0.id, $0.tenant, $0.pluginReference, $0.environment, $0.schedule ?? "-",
                            $0.realtime ? "yes" : "no",
                            $0.pausedReason != nil ? "paused" : $0.enabled ? "enabled" : "disabled",
                        ]
                    }))
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show an integration: configuration (secrets masked), mapping, policy.",
            discussion:
                "A configuration edited from this output keeps each masked secret as stored when given to `integrations update --config`."
        )
        @OptionGroup var host: HostOptions
        @Argument var id: String

        func run() throws {
            let store = try host.openExistingStore()
            guard let integration = try IntegrationRepository(store: store).integration(id) else {
                throw CLIError("no integration \(id)")
            }
            var document = Integrations.summary(integration).objectValue ?? [:]
            var configuration = integration.configuration
            for secret in try store.secrets(owner: id) {
                configuration = configuration.setting(path: secret.name, to: .string(Integration.secretMask))
            }
            document["configuration"] = configuration
            document["mapping"] = integration.mapping
            document["source_of_truth"] = integration.sourceOfTruth
            document["event_types"] = JSON(integration.eventTypes)
            // The build its jobs last ran with: the newest loaded then, for one pinned to no version.
            document["last_run_with"] = JSON(StoredIntegrationState(store: store, integration: id).lastBuild)
            print(JSON.object(document).prettyPrinted())
        }
    }

    struct Enable: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Enable an integration (also resumes a paused one).")
        @OptionGroup var host: HostOptions
        @Argument var id: String

        func run() throws {
            do { try IntegrationRepository(store: try host.openExistingStore()).setEnabled(id, true) } catch {
                throw CLIError("\(error)")
            }
            print("Enabled \(id).")
        }
    }

    struct Disable: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Disable an integration: no jobs run until it is enabled.")
        @OptionGroup var host: HostOptions
        @Argument var id: String

        func run() throws {
            do { try IntegrationRepository(store: try host.openExistingStore()).setEnabled(id, false) } catch {
                throw CLIError("\(error)")
            }
            print("Disabled \(id).")
        }
    }

    struct Remove: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Remove an integration with its jobs, state and secrets.")
        @OptionGroup var host: HostOptions
        @Argument var id: String
        @Flag(
            help:
                "Remove an integration that has sent records or holds dead letters or jobs (without it, the command says what it holds)."
        )
        var yes = false

        func run() throws {
            let repository = IntegrationRepository(store: try host.openExistingStore())
            guard try repository.integration(id) != nil else { throw CLIError("no integration \(id)") }
            // What goes with it, said before anything is lost: a typo here costs a full resend.
            let held = try repository.holdings(of: id)
            guard yes else {
                throw CLIError(
                    "\(id) has sent \(held.sent) record(s) (added again, it sends them all anew), and holds its "
                        + "configuration, sealed credentials, \(held.openLetters) open dead letter(s) and "
                        + "\(held.pendingJobs) queued or running job(s); add --yes to remove it with them")
            }
            do { try repository.remove(id) } catch { throw CLIError("\(error)") }
            print("Removed \(id).")
        }
    }

    static func summary(_ integration: Integration) -> JSON {
        [
            "id": .string(integration.id), "tenant": .string(integration.tenant),
            "plugin": .string(integration.pluginReference),
            "environment": .string(integration.environment), "schedule": JSON(integration.schedule),
            "realtime": .bool(integration.realtime), "isolation": .string(integration.isolation.rawValue),
            "enabled": .bool(integration.enabled), "paused_reason": JSON(integration.pausedReason),
            "next_run_at": JSON(integration.nextScheduledRun(after: Date()).map(ISODates.dateTime)),
        ]
    }

    /// `--events` as listed; an empty item stays, so the engine names it instead of dropping it.
    static func eventTypes(_ list: String) -> [String] {
        var seen: Set<String> = []
        return list.split(separator: ",", omittingEmptySubsequences: false)
            .map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { seen.insert($0).inserted }  // `alert,alert` is one subscription
    }

}

/// A JSON file a user wrote (a configuration, a mapping, a policy); errors name the option and the file. A UTF-8
/// byte order mark, as some Windows editors write, is skipped, as an ingest skips it.
func readJSON(_ path: String, _ option: String? = nil) throws -> JSON {
    let named = option.map { "\($0) \(path)" } ?? path
    guard let data = FileManager.default.contents(atPath: path) else { throw CLIError("\(named): cannot be read") }
    do {
        return try JSON.parse(Array(IngestFormat.withoutByteOrderMark(data)), duplicateKeys: .refused)
    } catch {
        throw CLIError("\(named): \(error)")
    }
}
