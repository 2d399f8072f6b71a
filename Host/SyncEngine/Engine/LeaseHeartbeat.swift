import Foundation

/// Renews a running job's lease on a thread of its own for as long as the job runs, so a long plugin call (one
/// slow batch, a target that answers in minutes) never lets the lease lapse and another runner take the job.
final class LeaseHeartbeat: @unchecked Sendable {
    private let condition = NSCondition()
    private var stopped = false

    /// `notice` is told how long the job has run, every `noticeEvery`.
    init(
        every interval: Duration, renew: @escaping @Sendable () -> Void, noticeEvery: Duration? = nil,
        notice: (@Sendable (Duration) -> Void)? = nil
    ) {
        let thread = Thread { [self] in
            let started = ContinuousClock.now
            var told = started
            condition.lock()
            defer { condition.unlock() }
            while !stopped {
                let due = Date().addingTimeInterval(interval.timeInterval)
                while !stopped, condition.wait(until: due) {}
                guard !stopped else { return }
                condition.unlock()
                renew()
                if let noticeEvery, let notice, ContinuousClock.now - told >= noticeEvery {
                    told = .now
                    notice(told - started)
                }
                condition.lock()
            }
        }
        thread.name = "lease-heartbeat"
        thread.start()
    }

    /// Stops renewing; the job's outcome is about to be recorded.
    func stop() {
        condition.lock()
        stopped = true
        condition.broadcast()
        condition.unlock()
    }
}
