import Foundation
import PluginRuntime

public struct RateLimitSettings: Sendable {
    public var requestsPerSecond: Double = 20
    public var burst: Int = 20
    /// How long a caller may wait for its turn before the call fails as rate limited (backpressure, bounded).
    public var maximumWait: Duration = .seconds(30)

    public init(requestsPerSecond: Double = 20, burst: Int = 20, maximumWait: Duration = .seconds(30)) {
        self.requestsPerSecond = requestsPerSecond
        self.burst = burst
        self.maximumWait = maximumWait
    }

    /// Tokens a priority call may borrow ahead of the bucket (normal traffic pays them back).
    var priorityAllowance: Double { Double(max(1, burst / 4)) }
}

/// One integration's token bucket. Callers wait their turn in order (backpressure) up to a bound; priority callers
/// go before every waiting normal caller and may borrow a little ahead. When the target says to back off
/// (`Retry-After`, `X-RateLimit-Reset`, Qualys's wait header), the whole bucket pauses until then, and for a minute
/// after that requests go one at a time, each after the answer to the one before: several callers waking together
/// at the end of a pause would otherwise hit the target at once and be throttled again.
public final class RateLimiter: @unchecked Sendable {
    /// A caller let through; handed back with `release` once its answer is in.
    public struct Admission: Sendable {
        /// How long the caller waited for its turn.
        public let waited: Duration
        let oneAtATime: Bool
    }

    /// How long after a pause requests go one at a time.
    static let oneAtATimeAfterPause: Duration = .seconds(60)

    public struct Refused: Error, Sendable {
        /// When the caller could have been admitted.
        public let retryAfter: Duration
        /// Refused while requests went one at a time: the one before was not answered in time.
        public var waitingForAnswer = false
        /// Refused because the host is stopping: it does not wait out the pause.
        public var stopping = false
    }

    private let settings: RateLimitSettings
    private let condition = NSCondition()
    private var tokens: Double
    private var refilledAt = ContinuousClock.now
    private var pausedUntil = ContinuousClock.now
    private var nextTicket = 0
    private var servingTicket = 0
    private var priorityWaiting = 0
    private var oneAtATimeUntil = ContinuousClock.now
    private var oneOut = false

    public init(settings: RateLimitSettings) {
        self.settings = settings
        tokens = Double(settings.burst)
    }

    /// Waits for a token (and, after a pause, for the answer to the request before) and lets the caller through.
    /// `stopping` (looked at every quarter second while it waits) gives up the wait when the host is stopping.
    public func acquire(priority: Bool = false, stopping: (@Sendable () -> Bool)? = nil) throws(Refused) -> Admission {
        let started = ContinuousClock.now
        let deadline = started + settings.maximumWait
        condition.lock()
        defer {
            condition.broadcast()
            condition.unlock()
        }
        let ticket = priority ? -1 : nextTicket
        if priority { priorityWaiting += 1 } else { nextTicket += 1 }
        defer { if priority { priorityWaiting -= 1 } }
        while true {
            let now = ContinuousClock.now
            refill(now)
            let myTurn = priority || (ticket == servingTicket && priorityWaiting == 0)
            let floor = priority ? 1 - settings.priorityAllowance : 1
            let oneAtATime = now < oneAtATimeUntil
            let waitingForAnswer = oneAtATime && oneOut
            if now >= pausedUntil, myTurn, tokens >= floor, !waitingForAnswer {
                tokens -= 1
                if !priority { servingTicket += 1 }
                if oneAtATime { oneOut = true }
                return Admission(waited: now - started, oneAtATime: oneAtATime)
            }
            let tokenAt = now + .seconds(max(0, floor - tokens) / settings.requestsPerSecond)
            let wakeAt = max(pausedUntil, tokenAt)
            if stopping?() == true {
                if !priority { servingTicket = max(servingTicket, ticket + 1) }
                var refused = Refused(retryAfter: max(wakeAt - now, .seconds(1)))
                refused.stopping = true
                throw refused
            }
            if wakeAt > deadline || (waitingForAnswer && now >= deadline) {
                if !priority { servingTicket = max(servingTicket, ticket + 1) }  // give up the place in line
                if wakeAt > deadline { throw Refused(retryAfter: wakeAt - now) }
                throw Refused(retryAfter: .seconds(1), waitingForAnswer: true)
            }
            // Released answers wake the waiters; otherwise look again when a token is due.
            var wait = myTurn && !waitingForAnswer ? wakeAt - now : .milliseconds(50)
            if stopping != nil { wait = min(wait, .milliseconds(250)) }
            _ = condition.wait(until: Date(timeIntervalSinceNow: min(wait, deadline - now).timeInterval))
        }
    }

    /// Hands back an admission once its answer is in (and any pause it asked for is set), letting the next caller
    /// through when requests go one at a time.
    public func release(_ admission: Admission) {
        guard admission.oneAtATime else { return }
        condition.lock()
        oneOut = false
        condition.broadcast()
        condition.unlock()
    }

    /// Stops all traffic until `instant`, as the target asked.
    public func pause(until instant: ContinuousClock.Instant) {
        condition.lock()
        pausedUntil = max(pausedUntil, instant)
        oneAtATimeUntil = max(oneAtATimeUntil, instant + Self.oneAtATimeAfterPause)
        condition.broadcast()
        condition.unlock()
    }

    /// Whether requests go one at a time now, after a pause the target asked for.
    public var oneAtATime: Bool {
        condition.lock()
        defer { condition.unlock() }
        return ContinuousClock.now < oneAtATimeUntil
    }

    public var pausedFor: Duration {
        condition.lock()
        defer { condition.unlock() }
        return max(.zero, pausedUntil - .now)
    }

    private func refill(_ now: ContinuousClock.Instant) {
        let elapsed = (now - refilledAt).timeInterval
        tokens = min(Double(settings.burst), tokens + elapsed * settings.requestsPerSecond)
        refilledAt = now
    }
}
