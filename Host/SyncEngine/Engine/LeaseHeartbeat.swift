import Foundation

/// Renews a running job's lease on a thread of its own for as long as the job runs, so a long plugin call (one
/// slow batch, a target that answers in minutes) never lets the lease lapse and another runner take the job.
final class LeaseHeartbeat: @unchecked Sendable {
    private let condition = NSCondition()
    private var stopped = false

    init(every interval: Duration, _ renew: @escaping @Sendable () -> Void) {
        let thread = Thread { [self] in
            condition.lock()
            defer { condition.unlock() }
            while !stopped {
                let due = Date().addingTimeInterval(interval.timeInterval)
                while !stopped, condition.wait(until: due) {}
                guard !stopped else { return }
                condition.unlock()
                renew()
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
