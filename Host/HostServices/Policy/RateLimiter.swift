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
/// (`Retry-After`, `X-RateLimit-Reset`, Qualys's wait header), the whole bucket pauses until then.
public final class RateLimiter: @unchecked Sendable {
    public struct Refused: Error, Sendable {
        /// When the caller could have been admitted.
        public let retryAfter: Duration
    }

    private let settings: RateLimitSettings
    private let condition = NSCondition()
    private var tokens: Double
    private var refilledAt = ContinuousClock.now
    private var pausedUntil = ContinuousClock.now
    private var nextTicket = 0
    private var servingTicket = 0
    private var priorityWaiting = 0

    public init(settings: RateLimitSettings) {
        self.settings = settings
        tokens = Double(settings.burst)
    }

    /// Waits for a token and returns how long that took.
    @discardableResult
    public func acquire(priority: Bool = false) throws(Refused) -> Duration {
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
            if now >= pausedUntil, myTurn, tokens >= floor {
                tokens -= 1
                if !priority { servingTicket += 1 }
                return now - started
            }
            let tokenAt = now + .seconds(max(0, floor - tokens) / settings.requestsPerSecond)
            let wakeAt = max(pausedUntil, tokenAt)
            if wakeAt > deadline {
                if !priority { servingTicket = max(servingTicket, ticket + 1) }  // give up the place in line
                throw Refused(retryAfter: wakeAt - now)
            }
            _ = condition.wait(
                until: Date(timeIntervalSinceNow: (myTurn ? wakeAt - now : .milliseconds(50)).timeInterval))
        }
    }

    /// Stops all traffic until `instant`, as the target asked.
    public func pause(until instant: ContinuousClock.Instant) {
        condition.lock()
        pausedUntil = max(pausedUntil, instant)
        condition.broadcast()
        condition.unlock()
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
