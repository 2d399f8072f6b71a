import CCPluginAPI

/// `cc_plugin_manifest.capabilities`.
public struct PluginCapabilities: OptionSet, Sendable, Hashable {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    public static let push = PluginCapabilities(rawValue: UInt32(CC_CAP_PUSH))
    public static let pull = PluginCapabilities(rawValue: UInt32(CC_CAP_PULL))
    public static let schema = PluginCapabilities(rawValue: UInt32(CC_CAP_SCHEMA))
    public static let events = PluginCapabilities(rawValue: UInt32(CC_CAP_EVENTS))

    public static let known: PluginCapabilities = [.push, .pull, .schema, .events]

    /// Names in a stable order: ["push", "pull", "schema", "events"].
    public var names: [String] {
        [(PluginCapabilities.push, "push"), (.pull, "pull"), (.schema, "schema"), (.events, "events")]
            .filter { contains($0.0) }.map(\.1)
    }
}

/// `cc_plugin_manifest.flags`.
public struct PluginFlags: OptionSet, Sendable, Hashable {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    public static let concurrentInstances = PluginFlags(rawValue: UInt32(CC_FLAG_CONCURRENT_INSTANCES))
    public static let known: PluginFlags = [.concurrentInstances]
}

/// The operations a host can call on an instance.
public enum PluginOperation: String, Sendable, CaseIterable {
    case test
    case schema
    case push
    case pull
    case event

    /// The capability an operation needs, if any (the connection test is always available).
    public var capability: PluginCapabilities? {
        switch self {
        case .test: return nil
        case .schema: return .schema
        case .push: return .push
        case .pull: return .pull
        case .event: return .events
        }
    }
}
