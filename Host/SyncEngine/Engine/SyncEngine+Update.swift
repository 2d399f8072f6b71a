import Foundation
import HostServices
import JSONCore
import PluginRuntime

/// What `integrations update` changes; nil leaves a setting as it is.
public struct IntegrationChanges: Sendable {
    /// The whole new configuration, secrets included: it replaces the old one and its sealed secrets.
    public var configuration: JSON?
    public var mapping: JSON?
    /// `.some(nil)` removes the schedule.
    public var schedule: String??
    public var realtime: Bool?
    public var eventTypes: [String]?
    public var environment: String?
    /// Source-of-truth entries laid over the default policy; they replace the integration's policy.
    public var sourceOfTruth: JSON?
    /// The plugin version to run: `.some(nil)` the newest loaded, `.some("1.2.0")` that one (a pin).
    public var versionPin: String??
    /// The plugin id `--plugin` named with the version: it must be the integration's own.
    public var pluginID: String?
    public var testConnection = true

    public init() {}

    /// The settings given, by the option that gives them, for saying what changed.
    public var named: [String] {
        [
            configuration.map { _ in "configuration" }, mapping.map { _ in "mapping" },
            schedule.map { _ in "schedule" }, realtime.map { _ in "real time" }, eventTypes.map { _ in "events" },
            environment.map { _ in "environment" }, sourceOfTruth.map { _ in "source of truth" },
            versionPin.map { _ in "plugin version" },
        ].compactMap { $0 }
    }
}

/// An updated integration and what happened on the way.
public struct UpdatedIntegration: Sendable {
    public let integration: Integration
    /// The secrets sealed anew; nil when the configuration was kept.
    public let sealedSecrets: [String]?
    /// The connection test's message; nil when the test was skipped.
    public let connectionTest: String?
    /// Whether a pause for refused credentials was lifted by the new configuration.
    public let resumed: Bool
    /// Whether the mapping changed, so the next push sends every record again, mapped anew.
    public let remapped: Bool
}

extension SyncEngine {
    /// `configuration` with each secret `integrations show` masked put back as stored, so show, edit and update
    /// keeps it; the mask where no secret is stored is refused, as it is no secret.
    private func unmasked(_ configuration: JSON, of integration: Integration) throws -> JSON {
        var result = configuration
        let masked = Self.paths(in: configuration) { $0 == .string(Integration.secretMask) }
        guard !masked.isEmpty else { return configuration }
        // A kept secret goes only where it went: else anyone who may edit the configuration could send it to a host
        // of their own without knowing it.
        // Compared without the masked values, which the stored configuration (secrets sealed apart) lacks.
        let unmaskedConfiguration = Self.removing(masked, from: configuration)
        for path in Self.destinationPaths
        where unmaskedConfiguration[path: path] != integration.configuration[path: path] {
            throw IntegrationSetupError(
                "\(masked.joined(separator: ", ")) \(masked.count == 1 ? "is" : "are") \"\(Integration.secretMask)\", "
                    + "but \(path) changed: give the secret itself to send it there")
        }
        let stored = try sealedSecrets(of: integration)
        for path in masked {
            guard let secret = stored[path] else {
                throw IntegrationSetupError(
                    "\(path) is \"\(Integration.secretMask)\", the mask `integrations show` prints for a stored "
                        + "secret, and this integration has none there; give the secret itself")
            }
            result = result.setting(path: path, to: .string(secret))
        }
        return result
    }

    /// The settings that decide where a secret is sent and whom the host trusts to receive it.
    private static let destinationPaths = [
        "base_url", "auth.token_url", "tls", "proxy", "additional_origins", "follow_redirects",
    ]

    /// `json` without the values at `paths` (an object left empty goes too, as the stored configuration has none).
    private static func removing(_ paths: [String], from json: JSON) -> JSON {
        func without(_ keys: ArraySlice<Substring>, in value: JSON) -> JSON? {
            guard let key = keys.first.map(String.init), var object = value.objectValue else { return value }
            if keys.count == 1 {
                object[key] = nil
            } else if let inner = object[key] {
                object[key] = without(keys.dropFirst(), in: inner)
            }
            return object.isEmpty ? nil : .object(object)
        }
        return paths.reduce(json) { without($1.split(separator: ".")[...], in: $0) ?? [:] }
    }

    /// The dotted paths of the values in `json`'s objects for which `matches` holds.
    static func paths(in json: JSON, prefix: String = "", where matches: (JSON) -> Bool) -> [String] {
        guard let object = json.objectValue else { return matches(json) && !prefix.isEmpty ? [prefix] : [] }
        return object.keys.sorted().flatMap { key in
            paths(in: object[key]!, prefix: prefix.isEmpty ? key : "\(prefix).\(key)", where: matches)
        }
    }

    /// Changes what `changes` gives and checks the result as `addIntegration` does (the configuration with its
    /// secrets sealed anew, the mapping, schedule, events, environment and policy), runs the connection test, and
    /// saves it all at once, or nothing on failure. Sync state, dead letters, jobs and the pull checkpoint stay, so
    /// the next push still sends only what changed, unless the mapping changed: then every record is sent again,
    /// mapped anew, to the target items it has. A new configuration lifts a pause for refused credentials.
    public func updateIntegration(_ id: String, _ changes: IntegrationChanges) throws -> UpdatedIntegration {
        guard let integration = try integrations.integration(id) else {
            throw IntegrationSetupError("no integration \(id)")
        }
        do { return try update(integration, changes) } catch {
            throw IntegrationSetupError("integration \(id) is unchanged: \(error)")
        }
    }

    private func update(_ integration: Integration, _ changes: IntegrationChanges) throws -> UpdatedIntegration {
        let remapped = changes.mapping.map { $0 != integration.mapping } ?? false
        var integration = integration
        let id = integration.id
        if let named = changes.pluginID, named != integration.pluginID {
            throw IntegrationSetupError(
                "--plugin: \(id) runs plugin \(integration.pluginID), whose version can be chosen; another plugin takes "
                    + "an integration of its own")
        }
        if let pin = changes.versionPin { integration.versionPin = pin }  // resolved, then tested, as the new build
        let build = try catalog.resolve(integration.pluginID, pin: integration.versionPin)
        let configuration = try changes.configuration.map { try prepare(unmasked($0, of: integration), for: build) }
        if let configuration { integration.configuration = configuration.pluginConfiguration }
        if let mapping = changes.mapping { integration.mapping = mapping }
        if let schedule = changes.schedule { integration.schedule = schedule }
        if let realtime = changes.realtime {
            // Switched to real time: it reacts to events from now on, not to the backlog since it was added.
            if realtime && !integration.realtime {
                integration.eventCursor = try inventory.latestEventSequence(tenant: integration.tenant)
            }
            integration.realtime = realtime
        }
        if let eventTypes = changes.eventTypes { integration.eventTypes = eventTypes }
        if let environment = changes.environment { integration.environment = environment }
        if let entries = changes.sourceOfTruth { integration.sourceOfTruth = try SourceOfTruth.policy(laying: entries) }
        try checkSettings(of: integration, mappingKept: changes.mapping == nil)
        var testMessage: String?
        if changes.testConnection {
            let prepared =
                try configuration
                ?? PreparedConfiguration(stored: integration.configuration, secrets: sealedSecrets(of: integration))
            testMessage = try testConnection(build: build, prepared: prepared, integration)
        }
        let sealed = try configuration.map { try vault?.seal(owner: id, secrets: $0.secrets) ?? [] }
        let resumed = try integrations.update(
            integration, secrets: sealed, resuming: configuration == nil ? nil : JobOutcome.refusedCredentials,
            resendingAll: remapped)
        if resumed { integration.pausedReason = nil }
        return UpdatedIntegration(
            integration: integration, sealedSecrets: configuration.map { $0.secrets.keys.sorted() },
            connectionTest: testMessage, resumed: resumed, remapped: remapped)
    }
}
