import CSystemShims
import Foundation

/// How a wait for jobs ended: the jobs as they stand, and the integration when it stopped running them.
public struct JobWait: Sendable {
    public let jobs: [Job]
    /// Set when the integration was paused, disabled or removed before every job finished: its jobs stay queued
    /// for when it is enabled again, and nobody waits for them meanwhile.
    public let stopped: InactiveIntegration?

    /// Set when SIGTERM or SIGINT stopped the wait: the running job was handed back to the queue at its next batch,
    /// for `serve` or another wait to go on with.
    public var interrupted = false
    /// Set when the jobs left have used their attempts and go on retrying (a push whose target is down): waiting
    /// for them could take as long as the outage; `serve` goes on with them.
    public var stillRetrying = false

    public var failed: Bool { jobs.contains { $0.state == .failed } }
}

/// Why an integration does not run jobs now, in words for an operator.
public struct InactiveIntegration: Sendable, CustomStringConvertible {
    public let integration: String
    public let description: String
    /// Disabled by an operator (enabling it is the remedy), rather than paused (whose reason says what to fix).
    public private(set) var disabled = false

    /// Nil when `integration` may run jobs now.
    public init?(_ id: String, _ integration: Integration?) {
        self.integration = id
        guard let integration else {
            description = "integration \(id) does not exist"
            return
        }
        if !integration.enabled {
            description = "integration \(id) is disabled"
            disabled = true
        } else if let reason = integration.pausedReason {
            description = "integration \(id) is paused: \(reason)"
        } else {
            return nil
        }
    }
}

extension SyncEngine {
    /// Runs `integration`'s due jobs in this process until the jobs `ids` have finished, for `sync run --wait` and
    /// `dlq replay --wait`; other integrations' jobs are left to `serve`. Waits while another process runs one.
    ///
    /// With `watchesSignals`, SIGTERM and SIGINT stop it as they stop `serve`: the running job is handed back at its
    /// next batch instead of being left "running" until its lease is found dead.
    public func runUntilFinished(
        _ ids: [Int64], integration: String, owner: String, poll: Duration = .milliseconds(200),
        watchesSignals: Bool = false
    ) throws -> JobWait {
        if watchesSignals { watchStopSignals() }
        while true {
            let jobs = try ids.compactMap { try queue.job($0) }
            if stopRequested {
                var wait = JobWait(jobs: jobs, stopped: nil)
                wait.interrupted = true
                return wait
            }
            // Removing an integration removes its jobs: that is no success.
            if jobs.count < ids.count {
                return JobWait(jobs: jobs, stopped: InactiveIntegration(integration, nil))
            }
            if jobs.allSatisfy({ $0.state == .succeeded || $0.state == .failed }) {
                return JobWait(jobs: jobs, stopped: nil)
            }
            // The queue does not lease a paused or disabled integration's jobs: waiting for them would never end.
            if let stopped = InactiveIntegration(integration, try integrations.integration(integration)) {
                return JobWait(jobs: jobs, stopped: stopped)
            }
            let left = jobs.filter { $0.state != .succeeded && $0.state != .failed }
            if left.allSatisfy({ $0.state == .queued && $0.attempts >= maximumAttempts }) {
                var wait = JobWait(jobs: jobs, stopped: nil)
                wait.stillRetrying = true
                return wait
            }
            if try runNext(owner: owner, integration: integration) == nil, !stopRequested {
                // Waiting on a retry time or on a job another process runs. That process may have died (a `--wait`
                // stopped with Ctrl-C) and no `serve` may be running to hand its job back: only then is it looked for,
                // not before every job.
                try queue.recoverLeases(now: clock())
                Thread.sleep(forTimeInterval: poll.timeInterval)
            }
        }
    }

    /// Sets `stopRequested` when SIGTERM or SIGINT arrives (looked for every 50 ms on a thread of its own).
    private func watchStopSignals() {
        cc_install_stop_signals()
        let thread = Thread { [self] in
            while !stopRequested {
                if cc_stop_signal() != 0 { stopRequested = true }
                Thread.sleep(forTimeInterval: 0.05)
            }
        }
        thread.name = "stop-signals"
        thread.start()
    }
}
