import PluginABI

/// A call that failed because of how the plugin behaved, not because of what it answered: it crashed, hung, ran
/// out of memory, broke the protocol, or is quarantined. (A plugin answering "auth error" is a normal outcome.)
public struct PluginCallError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Code: String, Sendable {
        case crashed = "plugin_crashed"
        case timeout = "plugin_timeout"
        case memoryLimit = "plugin_memory_limit"
        case protocolError = "plugin_protocol_error"
        case quarantined = "plugin_quarantined"
        /// The worker could not be started or could not load the plugin.
        case unavailable = "plugin_unavailable"
    }

    public let code: Code
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code.rawValue): \(message)" }

    /// Failures that count towards quarantine: the plugin, not its configuration, misbehaved.
    var countsAsFault: Bool { code != .quarantined }
}

/// One build of a plugin the host can run: its validated manifest and the content-addressed copy to load.
public struct PluginBuild: Sendable, Hashable {
    public let manifest: PluginManifest
    public let cachedPath: String
    public let sha256: String

    public init(manifest: PluginManifest, cachedPath: String, sha256: String) {
        self.manifest = manifest
        self.cachedPath = cachedPath
        self.sha256 = sha256
    }

    public init?(_ discovered: DiscoveredPlugin) {
        guard let manifest = discovered.manifest, let path = discovered.cachedPath, let sha = discovered.sha256 else {
            return nil
        }
        self.init(manifest: manifest, cachedPath: path, sha256: sha)
    }

    /// "servicenow-cmdb@1.2.0"
    public var label: String { manifest.reference }

    public static func == (lhs: PluginBuild, rhs: PluginBuild) -> Bool { lhs.sha256 == rhs.sha256 }
    public func hash(into hasher: inout Hasher) { hasher.combine(sha256) }
}

/// Which instance of a plugin a call is for: usually one integration (a tenant's use of a connector).
public struct InstanceSpec: Sendable {
    public let key: String
    public let tenant: String?
    /// The configuration JSON the instance is created from (secrets removed).
    public let configuration: [UInt8]

    public init(key: String, tenant: String?, configuration: [UInt8]) {
        self.key = key
        self.tenant = tenant
        self.configuration = configuration
    }
}

/// How far a plugin is kept from the host and from other tenants.
public enum IsolationLevel: String, Sendable, CaseIterable {
    /// One worker pool per plugin build (default).
    case process
    /// A worker pool per tenant and plugin build: one customer's crash never touches another's calls.
    case tenant
    /// In the host process: for trusted plugins and for measuring what isolation costs. No deadline, no crash
    /// containment.
    case none
}
