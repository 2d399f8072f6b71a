import PluginABI
import PluginRuntime

public struct RetrySettings: Sendable {
    /// Attempts in all, the first included.
    public var maximumAttempts = 4
    public var baseDelay: Duration = .milliseconds(200)
    public var maximumDelay: Duration = .seconds(10)

    public init(
        maximumAttempts: Int = 4, baseDelay: Duration = .milliseconds(200), maximumDelay: Duration = .seconds(10)
    ) {
        self.maximumAttempts = maximumAttempts
        self.baseDelay = baseDelay
        self.maximumDelay = maximumDelay
    }
}

/// Which failures are retried and how long to wait: exponential backoff with full jitter (a random delay between
/// zero and the exponential cap), so many clients that failed together do not retry together.
public struct RetryPolicy: Sendable {
    public let settings: RetrySettings
    private let random: @Sendable (ClosedRange<Double>) -> Double

    public init(
        settings: RetrySettings,
        random: @escaping @Sendable (ClosedRange<Double>) -> Double = { Double.random(in: $0) }
    ) {
        self.settings = settings
        self.random = random
    }

    /// Whether a request may be sent again: only when repeating it cannot do harm.
    public static func isSafeToRepeat(_ request: PluginHTTPRequest) -> Bool {
        ["GET", "HEAD", "OPTIONS", "PUT", "DELETE"].contains(request.method.uppercased()) || request.idempotent
            || request.idempotencyKey != nil
    }

    /// Whether this failure is worth another attempt. A 429 was refused before any work, so any method may be
    /// repeated; everything else only when the request is safe to repeat.
    public func shouldRetry(_ failure: FailureClass, statusCode: Int, request: PluginHTTPRequest, attempt: Int) -> Bool
    {
        guard attempt < settings.maximumAttempts else { return false }
        switch failure {
        case .rateLimited: return true
        case .connection, .timeout: return Self.isSafeToRepeat(request)
        case .server: return [502, 503, 504].contains(statusCode) && Self.isSafeToRepeat(request)
        default: return false
        }
    }

    /// The wait before attempt `attempt + 1` (attempt counts from 1).
    public func delay(afterAttempt attempt: Int) -> Duration {
        let cap = min(settings.maximumDelay, settings.baseDelay * (1 << min(attempt - 1, 30)))
        let seconds = cap.timeInterval
        return .milliseconds(Int(random(0...seconds) * 1000))
    }
}
