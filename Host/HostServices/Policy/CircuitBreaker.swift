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
/// left alone), half-open after the cool-down (one trial call), closed again on its success. Calls that come while
/// the trial is out wait for its answer: a push's second batch beside the trial goes once the target has recovered,
/// instead of failing as if it were still down.
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
    private let condition = NSCondition()
    private var current: State = .closed
    private var consecutiveFailures = 0
    private var trialInFlight = false

    public init(settings: CircuitBreakerSettings) { self.settings = settings }

    public var state: State {
        condition.lock()
        defer { condition.unlock() }
        return current
    }

    /// Lets a call through, or throws while the circuit is open. While the one trial call is out, waits up to
    /// `wait` for its answer: through if the circuit closed, refused if it opened again.
    public func admit(waitingForTrialUpTo wait: Duration = .seconds(30)) throws(Open) {
        condition.lock()
        defer { condition.unlock() }
        let deadline = Date().addingTimeInterval(wait.timeInterval)
        while true {
            switch current {
            case .closed:
                return
            case .open(let until):
                let now = ContinuousClock.now
                guard now >= until else { throw Open(retryAfter: until - now, failures: consecutiveFailures) }
                current = .halfOpen
                trialInFlight = true
                return
            case .halfOpen:
                guard trialInFlight else {
                    trialInFlight = true
                    return
                }
                guard condition.wait(until: deadline) else {
                    throw Open(retryAfter: .milliseconds(100), failures: consecutiveFailures)
                }
            }
        }
    }

    public func recordSuccess() {
        condition.lock()
        defer {
            condition.broadcast()
            condition.unlock()
        }
        consecutiveFailures = 0
        current = .closed
        trialInFlight = false
    }

    public func recordFailure() {
        condition.lock()
        defer {
            condition.broadcast()
            condition.unlock()
        }
        consecutiveFailures += 1
        trialInFlight = false
        if current == .halfOpen || consecutiveFailures >= settings.failureThreshold {
            current = .open(until: .now + settings.coolDown)
        }
    }

    /// An admitted call that ended without asking the target (its turn to send never came): if it was the trial,
    /// the next call is.
    public func abandon() {
        condition.lock()
        defer {
            condition.broadcast()
            condition.unlock()
        }
        if current == .halfOpen { trialInFlight = false }
    }

    /// Whether a failure of this class says the target is unhealthy (as opposed to this request being wrong).
    static func counts(_ failure: FailureClass) -> Bool {
        [.connection, .tls, .timeout, .server].contains(failure)
    }
}
