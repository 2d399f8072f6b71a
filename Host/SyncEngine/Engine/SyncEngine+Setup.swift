import Foundation
import HostServices
import Inventory
import JSONCore
import PluginABI
import PluginRuntime

/// What a user asks for when enabling a connector for a tenant (`integrations add`, the demo, tests).
public struct IntegrationRequest: Sendable {
    public var tenant: String
    /// A plugin id, optionally pinned: `servicenow-cmdb` or `servicenow-cmdb@1.2.0`.
    public var plugin: String
    /// The configuration as the user wrote it, secrets included; they are sealed, never stored in clear.
    public var configuration: JSON
    /// The field mapping; nil takes the plugin's default mapping.
    public var mapping: JSON?
    public var id: String?
    public var schedule: String?
    public var realtime = false
    public var eventTypes = Integration.defaultEventTypes
    public var environment = "prod"
    public var isolation = IsolationLevel.process
    public var testConnection = true

    public init(tenant: String, plugin: String, configuration: JSON, mapping: JSON? = nil, id: String? = nil) {
        self.tenant = tenant
        self.plugin = plugin
        self.configuration = configuration
        self.mapping = mapping
        self.id = id
    }
}

/// A saved integration and what happened on the way.
public struct AddedIntegration: Sendable {
    public let integration: Integration
    public let build: PluginBuild
    public let sealedSecrets: [String]
    /// The connection test's message; nil when the test was skipped.
    public let connectionTest: String?
}

/// Why an integration could not be added; nothing was saved.
public struct IntegrationSetupError: Error, Sendable, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

extension SyncEngine {
    /// Validates the configuration against the plugin's schema and the mapping against the standard schema, runs
    /// the plugin's connection test, then saves the integration and seals its secrets. Saves nothing on failure.
    public func addIntegration(_ request: IntegrationRequest) throws -> AddedIntegration {
        let parts = request.plugin.split(separator: "@", maxSplits: 1, omittingEmptySubsequences: false).map(
            String.init)
        guard !parts[0].isEmpty, parts.count == 1 || !parts[1].isEmpty else {
            throw IntegrationSetupError("--plugin \"\(request.plugin)\" must be a plugin id, optionally @VERSION")
        }
        let pin = parts.count > 1 ? parts[1] : nil
        let build: PluginBuild
        do { build = try catalog.resolve(parts[0], pin: pin) } catch {
            throw IntegrationSetupError(error.description)
        }
        guard try integrations.tenantExists(request.tenant) else {
            throw IntegrationSetupError(
                "no tenant \(request.tenant); add it with `cryptoconnect tenants add \(request.tenant)`")
        }
        let prepared: PreparedConfiguration
        do {
            prepared = try PreparedConfiguration(request.configuration, schema: build.manifest.configSchema)
        } catch {
            throw IntegrationSetupError("configuration: \(error)")
        }
        let mapping = request.mapping ?? build.manifest.defaultMapping
        do { _ = try FieldMapping(json: mapping) } catch {
            throw IntegrationSetupError(
                "mapping\(request.mapping == nil ? " (the plugin's default)" : ""):\n\(error.description)")
        }
        let id = request.id ?? "\(request.tenant)-\(build.manifest.id)"
        let secretNames = prepared.secrets.keys.sorted()
        if !secretNames.isEmpty, vault == nil {
            throw IntegrationSetupError(
                "the configuration holds secrets (\(secretNames.joined(separator: ", "))), which are stored sealed: "
                    + "set \(MasterKey.environmentVariable) or \(MasterKey.fileEnvironmentVariable) first")
        }
        redactor.register(prepared.secrets.values)
        let testMessage =
            request.testConnection
            ? try testConnection(build: build, prepared: prepared, id: id, request: request) : nil
        let integration = Integration(
            id: id, tenant: request.tenant, pluginID: build.manifest.id, versionPin: pin,
            configuration: prepared.pluginConfiguration, mapping: mapping, schedule: request.schedule,
            realtime: request.realtime, eventTypes: request.eventTypes, environment: request.environment,
            isolation: request.isolation, eventCursor: try inventory.latestEventSequence())
        do { try integrations.add(integration) } catch { throw IntegrationSetupError("\(error)") }
        if let vault, !prepared.secrets.isEmpty { try vault.save(owner: id, secrets: prepared.secrets) }
        return AddedIntegration(
            integration: integration, build: build, sealedSecrets: secretNames, connectionTest: testMessage)
    }

    /// Runs the plugin's connection test with a configuration that is not saved yet; returns the plugin's message.
    private func testConnection(
        build: PluginBuild, prepared: PreparedConfiguration, id: String, request: IntegrationRequest
    ) throws -> String {
        let http = prepared.settings.map {
            IntegrationHTTP(
                integration: id, settings: $0, redactor: redactor, userAgent: "CryptoConnect/1.0 \(build.label)",
                log: log)
        }
        let services = IntegrationServices(
            source: "plugin \(build.label) \(id)", http: http, log: log, redactor: redactor)
        let instance = InstanceSpec(
            key: id + "#test", tenant: request.tenant, configuration: prepared.pluginConfiguration.serializedBytes())
        let outcome: CallOutcome
        do {
            outcome = try supervisor.call(
                build, instance: instance, isolation: request.isolation, operation: .test, services: services)
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
