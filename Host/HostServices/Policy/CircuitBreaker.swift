import Foundation

public struct CircuitBreakerSettings: Sendable {
    /// Consecutive failures (connection, TLS, timeout, 5xx) that open the circuit.
    public var failureThreshold = 5
    /// How long the circuit stays open before one trial request is let through.
    public var coolDown: Duration = .seconds(30)

    public init(failureThreshold: Int = 5, coolDown: Duration = .seconds(30)) {
        self.failureThreshold = failureThreshold
        self.coolDown = coolDown
    }
}

/// One integration's circuit breaker: closed, open after N consecutive failures (calls fail at once, the target is
/// left alone), half-open after the cool-down (one trial call), closed again on its success.
public final class CircuitBreaker: @unchecked Sendable {
    public enum State: Sendable, Equatable {
        case closed
        case open(until: ContinuousClock.Instant)
        case halfOpen
    }

    public struct Open: Error, Sendable {
        public let retryAfter: Duration
        public let failures: Int
    }

    private let settings: CircuitBreakerSettings
    private let lock = NSLock()
    private var current: State = .closed
    private var consecutiveFailures = 0
    private var trialInFlight = false

    public init(settings: CircuitBreakerSettings) { self.settings = settings }

    public var state: State { lock.withLock { current } }

    /// Lets a call through, or throws while the circuit is open (or its one trial call is still running).
    public func admit() throws(Open) {
        lock.lock()
        defer { lock.unlock() }
        switch current {
        case .closed:
            return
        case .open(let until):
            let now = ContinuousClock.now
            guard now >= until else { throw Open(retryAfter: until - now, failures: consecutiveFailures) }
            current = .halfOpen
            trialInFlight = true
        case .halfOpen:
            if trialInFlight { throw Open(retryAfter: .milliseconds(100), failures: consecutiveFailures) }
            trialInFlight = true
        }
    }

    public func recordSuccess() {
        lock.withLock {
            consecutiveFailures = 0
            current = .closed
            trialInFlight = false
        }
    }

    public func recordFailure() {
        lock.withLock {
            consecutiveFailures += 1
            trialInFlight = false
            if current == .halfOpen || consecutiveFailures >= settings.failureThreshold {
                current = .open(until: .now + settings.coolDown)
            }
        }
    }

    /// Whether a failure of this class says the target is unhealthy (as opposed to this request being wrong).
    static func counts(_ failure: FailureClass) -> Bool {
        [.connection, .tls, .timeout, .server].contains(failure)
    }
}
