import PluginABI

/// Why an HTTP exchange failed, in the classes the engine decides on (retry, dead-letter, pause, open circuit).
public enum FailureClass: String, Sendable, CaseIterable {
    case connection
    case tls
    case timeout
    case auth
    case rateLimited = "rate_limited"
    case server
    case client
    case circuitOpen = "circuit_open"
    case config

    /// The ABI status a failure of this class maps to.
    public var status: PluginStatus {
        switch self {
        case .connection: return .connection
        case .tls: return .tls
        case .timeout: return .timeout
        case .auth: return .auth
        case .rateLimited: return .rateLimited
        case .server: return .server
        case .client: return .data
        case .circuitOpen: return .circuitOpen
        case .config: return .config
        }
    }

    /// The class of an HTTP answer; nil for success (1xx-3xx).
    public static func of(statusCode: Int, headers: [HTTPHeader]) -> FailureClass? {
        switch statusCode {
        case 401, 403: return .auth
        case 408: return .timeout
        case 429: return .rateLimited
        // Qualys signals its rate and concurrency limits with 409 and X-RateLimit-* headers.
        case 409 where headers.value(for: "X-RateLimit-ToWait-Sec") != nil: return .rateLimited
        case 400..<500: return .client
        case 500...: return .server
        default: return nil
        }
    }
}
