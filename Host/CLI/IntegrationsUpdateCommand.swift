import ArgumentParser
import Foundation
import SyncEngine

extension Integrations {
    struct Update: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract:
                "Change an integration's configuration, mapping, schedule, events, environment or source-of-truth "
                + "policy, checked as `add` checks them; its sync state, dead letters and jobs stay.",
            discussion: """
                Only what is given changes. --config replaces the whole configuration and its sealed secrets; a new \
                configuration resumes an integration paused because the target refused its credentials. The \
                connection test runs unless --no-test; if anything fails, nothing is saved.
                """)

        @OptionGroup var options: EngineOptions
        @Argument(help: "Integration id.") var id: String
        @Option(help: "New configuration JSON file (secrets included; they are sealed anew).") var config: String?
        @Option(help: "New field mapping JSON file.") var mapping: String?
        @Option(help: "hourly, daily, weekly, or a cron expression (UTC).") var schedule: String?
        @Flag(name: .customLong("no-schedule"), help: "Remove the schedule.") var noSchedule = false
        @Flag(
            inversion: .prefixedNo, exclusivity: .exclusive,
            help: "Push in real time when an ingest raises an event (or stop).")
        var realtime: Bool?
        @Option(name: .customLong("events"), help: "Event types real-time pushes react to (comma-separated).")
        var events: String?
        @Option(help: "dev, staging or prod.") var environment: String?
        @Option(
            name: .customLong("source-of-truth"),
            help: "JSON file mapping fields or sections to \"itam\" or \"platform\", laid over the default policy.")
        var sourceOfTruth: String?
        @Option(
            help:
                "ID@VERSION runs that version of the integration's plugin (a pin); the ID alone, the newest version loaded."
        )
        var plugin: String?
        @Flag(name: .customLong("no-test"), help: "Skip the connection test.") var noTest = false

        func validate() throws {
            if schedule != nil && noSchedule {
                throw ValidationError("--schedule and --no-schedule exclude each other")
            }
        }

        func run() throws {
            var changes = IntegrationChanges()
            changes.configuration = try config.map { try readJSON($0, "--config") }
            changes.mapping = try mapping.map { try readJSON($0, "--mapping") }
            changes.schedule = noSchedule ? .some(nil) : schedule.map { .some($0) }
            changes.realtime = realtime
            changes.eventTypes = events.map(Integrations.eventTypes)
            changes.environment = environment
            changes.sourceOfTruth = try sourceOfTruth.map { try readJSON($0, "--source-of-truth") }
            changes.testConnection = !noTest
            if let plugin {
                do {
                    let (pluginID, pin) = try SyncEngine.pluginReference(plugin)
                    (changes.pluginID, changes.versionPin) = (pluginID, .some(pin))
                } catch {
                    throw CLIError("\(error)")
                }
            }
            guard !changes.named.isEmpty else {
                throw CLIError(
                    "nothing to update for \(id): give --plugin, --config, --mapping, --schedule, --no-schedule, "
                        + "--realtime, --no-realtime, --events, --environment or --source-of-truth")
            }
            let engine = try options.engine(existingStore: true)
            defer { engine.supervisor.shutdown() }
            let updated: UpdatedIntegration
            do { updated = try engine.updateIntegration(id, changes) } catch { throw CLIError("\(error)") }
            if let message = updated.connectionTest { print("Connection test passed: \(message)") }
            let sealed = updated.sealedSecrets.map {
                $0.isEmpty ? "" : "; sealed secrets: \($0.joined(separator: ", "))"
            }
            print("Updated integration \(id): \(changes.named.joined(separator: ", "))\(sealed ?? "").")
            if updated.remapped {
                print("The mapping changed: the next push sends every record again, mapped anew.")
            }
            if updated.resumed {
                print(
                    "Resumed \(id): it was paused because the target refused its credentials, which the new configuration replaces."
                )
            }
        }
    }
}
