import Foundation
import JSONCore
import PluginABI
import PluginRuntime

/// Where an instance's checkpoint and key-value state live: memory for one-off calls, the store for integrations.
public protocol IntegrationState: AnyObject, Sendable {
    func checkpoint() -> String?
    func setCheckpoint(_ checkpoint: String) -> Bool
    func value(forKey key: String) -> String?
    func setValue(_ value: String?, forKey key: String) -> Bool
}

/// State kept in memory, for `plugins call` and tests.
public final class MemoryState: IntegrationState, @unchecked Sendable {
    private let lock = NSLock()
    private var storedCheckpoint: String?
    private var values: [String: String] = [:]

    public init() {}

    public func checkpoint() -> String? { lock.withLock { storedCheckpoint } }
    public func setCheckpoint(_ checkpoint: String) -> Bool {
        lock.withLock { storedCheckpoint = checkpoint }
        return true
    }
    public func value(forKey key: String) -> String? { lock.withLock { values[key] } }
    public func setValue(_ value: String?, forKey key: String) -> Bool {
        lock.withLock { values[key] = value }
        return true
    }
}

/// The host-service table as one integration's plugin instance sees it: HTTP through the integration's
/// `IntegrationHTTP` (credentials injected by the host), logs tagged with plugin and integration and redacted, state
/// scoped to the integration, and the host's clock.
public final class IntegrationServices: HostServiceHandler, @unchecked Sendable {
    public let http: IntegrationHTTP?
    private let state: IntegrationState
    private let log: HostLog
    private let source: String
    private let clock: @Sendable () -> Int64

    public init(
        source: String, http: IntegrationHTTP?, state: IntegrationState = MemoryState(), log: HostLog,
        redactor: Redactor, clock: @escaping @Sendable () -> Int64 = { Int64(Date().timeIntervalSince1970 * 1000) }
    ) {
        self.source = source
        self.http = http
        self.state = state
        self.log = RedactingLog(log, redactor: redactor)
        self.clock = clock
    }

    public func log(level: PluginLogLevel, message: String) {
        log.write(LogEntry(level: level, source: source, message: message))
    }

    public func http(_ request: PluginHTTPRequest) -> PluginHTTPResult {
        guard let http else {
            return .failure(.config, "the configuration has no base_url, so this integration has no HTTP target")
        }
        return http.send(request)
    }

    public func checkpoint() -> String? { state.checkpoint() }

    public func setCheckpoint(_ checkpoint: String) -> PluginStatus {
        state.setCheckpoint(checkpoint) ? .ok : .internal
    }

    /// Keys that begin with `__` are the host's (its pause, the build a job ran with, pull cursors): a plugin
    /// neither reads nor writes them.
    public func value(forKey key: String) -> String? { key.hasPrefix("__") ? nil : state.value(forKey: key) }

    public func setValue(_ value: String?, forKey key: String) -> PluginStatus {
        guard !key.hasPrefix("__"), key.utf8.count <= 256, (value?.utf8.count ?? 0) <= 1 << 20 else { return .data }
        return state.setValue(value, forKey: key) ? .ok : .internal
    }

    public func nowMilliseconds() -> Int64 { clock() }
}

/// An integration's configuration prepared for use: validated against the plugin's schema, split into what the
/// plugin may see and the secrets, with the HTTP stack built when it has a target.
public struct PreparedConfiguration: Sendable {
    public let pluginConfiguration: JSON
    public let secrets: [String: String]
    public let settings: HTTPSettings?

    public init(_ configuration: JSON, schema: JSON) throws {
        let checked = ConfigurationSchema(schema)
        let (publicPart, secrets) = try checked.split(checked.applyingDefaults(to: configuration))
        try self.init(stored: publicPart, secrets: secrets)
    }

    /// A configuration validated when it was saved: its public part and its opened secrets.
    public init(stored publicPart: JSON, secrets: [String: String]) throws {
        pluginConfiguration = publicPart
        self.secrets = secrets
        settings = publicPart["base_url"] == nil ? nil : try HTTPSettings(configuration: publicPart, secrets: secrets)
    }
}
