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
    /// Source-of-truth entries laid over the default policy (`{"asset.environment": "platform"}`); nil keeps it.
    public var sourceOfTruth: JSON?

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

/// Why an integration could not be added or updated; nothing was saved.
public struct IntegrationSetupError: Error, Sendable, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

extension SyncEngine {
    /// `--plugin ID[@VERSION]`: the plugin id, and the version pinned if one is given.
    public static func pluginReference(_ text: String) throws(IntegrationSetupError) -> (id: String, pin: String?) {
        let parts = text.split(separator: "@", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
        guard !parts[0].isEmpty, parts.count == 1 || !parts[1].isEmpty else {
            throw IntegrationSetupError("--plugin \"\(text)\" must be a plugin id, optionally @VERSION")
        }
        return (parts[0], parts.count > 1 ? parts[1] : nil)
    }

    /// Validates the configuration against the plugin's schema, the mapping against the standard schema, the
    /// schedule, event types, environment and source-of-truth policy, runs the plugin's connection test, then saves
    /// the integration with its secrets sealed. Saves nothing on failure.
    public func addIntegration(_ request: IntegrationRequest) throws -> AddedIntegration {
        let (pluginID, pin) = try Self.pluginReference(request.plugin)
        let build: PluginBuild
        do { build = try catalog.resolve(pluginID, pin: pin) } catch {
            throw IntegrationSetupError(error.description)
        }
        guard try integrations.tenantExists(request.tenant) else {
            throw IntegrationSetupError(
                "no tenant \(request.tenant); add it with `cryptoconnect tenants add \(request.tenant)`")
        }
        // A configuration copied from `integrations show` carries the mask where a secret was: no secret to send.
        let masked = Self.paths(in: request.configuration) { $0 == .string(Integration.secretMask) }
        guard masked.isEmpty else {
            throw IntegrationSetupError(
                "\(masked.joined(separator: ", ")) \(masked.count == 1 ? "is" : "are") \"\(Integration.secretMask)\", "
                    + "the mask `integrations show` prints for a stored secret, and a new integration has none: give "
                    + "the secret itself")
        }
        let prepared = try prepare(request.configuration, for: build)
        let id = request.id ?? "\(request.tenant)-\(build.manifest.id)"
        let integration = Integration(
            id: id, tenant: request.tenant, pluginID: build.manifest.id, versionPin: pin,
            configuration: prepared.pluginConfiguration, mapping: request.mapping ?? build.manifest.defaultMapping,
            schedule: request.schedule, realtime: request.realtime, eventTypes: request.eventTypes,
            environment: request.environment, isolation: request.isolation,
            sourceOfTruth: try request.sourceOfTruth.map(SourceOfTruth.policy(laying:))
                ?? Integration.defaultSourceOfTruth,
            eventCursor: try inventory.latestEventSequence(tenant: request.tenant))
        try checkSettings(of: integration, mappingNote: request.mapping == nil ? " (the plugin's default)" : "")
        let testMessage =
            request.testConnection ? try testConnection(build: build, prepared: prepared, integration) : nil
        let sealed = try vault?.seal(owner: id, secrets: prepared.secrets) ?? []
        do { try integrations.add(integration, secrets: sealed) } catch { throw IntegrationSetupError("\(error)") }
        return AddedIntegration(
            integration: integration, build: build, sealedSecrets: prepared.secrets.keys.sorted(),
            connectionTest: testMessage)
    }
}
