import Foundation
import HostServices
import Inventory
import JSONCore
import PluginABI
import PluginRuntime

/// The checks `integrations add` and `integrations update` share, so an integration is saved only in a state add
/// would have accepted.
extension SyncEngine {
    /// Validates `configuration` against the plugin's schema and splits off the secrets, which need a master key.
    func prepare(_ configuration: JSON, for build: PluginBuild) throws -> PreparedConfiguration {
        let prepared: PreparedConfiguration
        do { prepared = try PreparedConfiguration(configuration, schema: build.manifest.configSchema) } catch {
            throw IntegrationSetupError("configuration: \(error)")
        }
        let secretNames = prepared.secrets.keys.sorted()
        if !secretNames.isEmpty, vault == nil {
            throw IntegrationSetupError(
                "the configuration holds secrets (\(secretNames.joined(separator: ", "))), which are stored sealed: "
                    + "set \(MasterKey.environmentVariable) or \(MasterKey.fileEnvironmentVariable) first")
        }
        // From here on they may turn up in a plugin's answer or an error; they never leave the host in clear.
        redactor.register(prepared.secrets.values)
        return prepared
    }

    /// Validates what the configuration schema does not cover: the mapping against the standard schema, the
    /// schedule, the event types and the environment. (The source-of-truth policy is checked as it is laid over
    /// the default, by `SourceOfTruth.policy(laying:)`.)
    /// A mapping kept as it was (an update of other settings) is read as it was saved, so an upgrade's stricter
    /// checks never block rotating credentials; one being saved gets every check.
    func checkSettings(of integration: Integration, mappingNote: String = "", mappingKept: Bool = false) throws {
        let mapping: FieldMapping
        do { mapping = try FieldMapping(json: integration.mapping, stored: mappingKept) } catch {
            throw IntegrationSetupError("mapping\(mappingNote):\n\(error.description)")
        }
        if !mappingKept, mapping.entries.isEmpty,
            try catalog.resolve(integration.pluginID, pin: integration.versionPin).manifest.capabilities.contains(.push)
        {
            throw IntegrationSetupError(
                "mapping\(mappingNote): maps no field, so a push would send empty items; give --mapping")
        }
        if let schedule = integration.schedule {
            do { _ = try Schedule(schedule) } catch { throw IntegrationSetupError("--schedule: \(error)") }
        }
        let known = Set(InventoryEvent.Kind.allCases.map(\.rawValue))
        for event in integration.eventTypes where !known.contains(event) {
            throw IntegrationSetupError(
                "--events: \(event.isEmpty ? "an empty event type" : "unknown event type \"\(event)\"") (known: \(known.sorted().joined(separator: ", ")))"
            )
        }
        guard ["dev", "staging", "prod"].contains(integration.environment) else {
            throw IntegrationSetupError(
                "--environment must be dev, staging or prod; got \"\(integration.environment)\"")
        }
    }

    /// Runs the plugin's connection test with a configuration that is not saved yet; returns the plugin's message.
    func testConnection(
        build: PluginBuild, prepared: PreparedConfiguration, _ integration: Integration
    ) throws -> String {
        let http = prepared.settings.map {
            IntegrationHTTP(
                integration: integration.id, settings: $0, redactor: redactor,
                userAgent: "CryptoConnect/1.0 \(build.label)", log: log)
        }
        if let http {  // an update's test keeps to the target's pause
            sharePauses(of: http, integration.id)
            keepStoredPause(http, integration.id)
        }
        let services = IntegrationServices(
            source: "plugin \(build.label) \(integration.id)", http: http, log: log, redactor: redactor)
        let instance = InstanceSpec(
            key: integration.id + "#test", tenant: integration.tenant,
            configuration: prepared.pluginConfiguration.serializedBytes())
        let outcome: CallOutcome
        do {
            outcome = try supervisor.call(
                build, instance: instance, isolation: integration.isolation, operation: .test, services: services)
        } catch {
            throw IntegrationSetupError("connection test failed: \(error) (nothing was saved)")
        }
        guard outcome.status == .ok else {
            let failure = PluginFailure(status: outcome.status, output: outcome.output)
            throw IntegrationSetupError(
                "connection test failed: \(redactor.redact(failure.description)) (nothing was saved; --no-test skips the test)"
            )
        }
        return redactor.redact((try? JSON.parse(outcome.output))?["message"]?.stringValue ?? "ok")
    }
}
