import CCPluginAPI

/// The ABI's status codes (`cc_status`), with the stable names used in logs, the CLI and the API.
public enum PluginStatus: Int32, Sendable, CaseIterable, CustomStringConvertible {
    case ok = 0
    case connection = 1
    case auth = 2
    case rateLimited = 3
    case data = 4
    case conflict = 5
    case unsupported = 6
    case `internal` = 7
    case timeout = 8
    case tls = 9
    case server = 10
    case config = 11
    case notFound = 12
    case circuitOpen = 13

    /// A status number from a plugin; numbers this host does not know are internal errors of the plugin.
    public init(code: Int32) { self = PluginStatus(rawValue: code) ?? .internal }

    public var name: String {
        switch self {
        case .ok: return "ok"
        case .connection: return "connection_error"
        case .auth: return "auth_error"
        case .rateLimited: return "rate_limited"
        case .data: return "data_error"
        case .conflict: return "conflict"
        case .unsupported: return "unsupported"
        case .internal: return "internal_error"
        case .timeout: return "timeout"
        case .tls: return "tls_error"
        case .server: return "server_error"
        case .config: return "config_error"
        case .notFound: return "not_found"
        case .circuitOpen: return "circuit_open"
        }
    }

    public init?(name: String) {
        guard let match = PluginStatus.allCases.first(where: { $0.name == name }) else { return nil }
        self = match
    }

    /// Failures that may succeed later without anyone changing anything.
    public var isRetryable: Bool {
        switch self {
        case .connection, .rateLimited, .timeout, .server, .circuitOpen: return true
        default: return false
        }
    }

    public var description: String { name }
}

/// Log levels of `cc_host_services.log`.
public enum PluginLogLevel: Int32, Sendable, Comparable, CustomStringConvertible {
    case debug = 0
    case info = 1
    case warning = 2
    case error = 3

    public init(code: Int32) { self = PluginLogLevel(rawValue: code) ?? (code < 0 ? .debug : .error) }

    public static func < (lhs: PluginLogLevel, rhs: PluginLogLevel) -> Bool { lhs.rawValue < rhs.rawValue }

    public var description: String {
        switch self {
        case .debug: return "debug"
        case .info: return "info"
        case .warning: return "warning"
        case .error: return "error"
        }
    }
}
