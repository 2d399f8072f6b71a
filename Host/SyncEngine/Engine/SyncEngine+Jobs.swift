import Foundation
import JSONCore
import PluginABI
import PluginRuntime
import Store

extension SyncEngine {
    /// Leases the next runnable job (of `integration` only, if given; with `runnerShare`, the share of a host's
    /// runners one plugin's jobs, or jobs below critical priority, may hold: see `JobQueue.lease`), runs it, and
    /// records its outcome. Returns the job, or nil when nothing is due.
    @discardableResult
    public func runNext(owner: String, integration: String? = nil, runnerShare: Int? = nil) throws -> Job? {
        guard
            let job = try queue.lease(
                owner: owner, now: clock(), lease: lease, integration: integration, runnerShare: runnerShare)
        else {
            return nil
        }
        let held = try queue.lease(of: job, owner: owner)
        let heartbeat = LeaseHeartbeat(
            every: lease / 3, renew: { [self] in renewLease(job, owner: owner) },
            // A job that runs long says so now and then: a plugin that hangs is seen before its deadline.
            noticeEvery: longRunningNotice,
            notice: { [self] elapsed in
                note(
                    .warning,
                    "\(job.kind.rawValue) job \(job.id) for \(job.integration) has run for "
                        + "\(elapsed.components.seconds / 60) min")
            })
        let outcome = handedBackIfStopping(execute(job, owner: owner, lease: held))
        heartbeat.stop()
        do {
            try finish(job, outcome, lease: held)
        } catch let lost as JobQueue.Lost {
            note(.warning, "\(job.kind.rawValue) job \(job.id) for \(job.integration): \(lost)")
        }
        return try queue.job(job.id)
    }

    /// A job that ends in a retry while the host stops (a request gave up waiting out the target's pause) is
    /// handed back, not failed: the stop is no failure of the job, and uses up none of its attempts.
    private func handedBackIfStopping(_ outcome: JobOutcome) -> JobOutcome {
        guard stopRequested, case .retry(_, let stats, _, _) = outcome else { return outcome }
        return .handedBack(stats, "the host is stopping; the job resumes where it left off")
    }

    /// Runs jobs (of `integration` only, if given) until none is due, at most `limit` (for tests and the demo).
    public func drain(owner: String, integration: String? = nil, limit: Int = 1000) throws {
        for _ in 0..<limit {
            guard try runNext(owner: owner, integration: integration) != nil else { return }
        }
    }

    func execute(_ job: Job, owner: String, lease: JobQueue.Lease? = nil) -> JobOutcome {
        var stats = JobStats(resuming: job.stats)
        do {
            guard let integration = try integrations.integration(job.integration) else {
                return .failed(stats, "integration \(job.integration) no longer exists")
            }
            let runtime = try runtime(for: integration)
            defer { saveMetrics(runtime) }
            switch job.kind {
            case .push: return try push(job, runtime, lease: lease, stats: &stats)
            case .pull: return try pull(job, runtime, lease: lease, stats: &stats)
            }
        } catch let lost as JobQueue.Lost {
            return .failed(stats, lost.description)  // recorded nowhere: the job is not this runner's any more
        } catch  where Store.isBusy(error) {
            // Another process (an ingest) held the store's write lock: nothing is wrong with the job.
            return .postponed(at: clock().addingTimeInterval(30), stats, "the store was busy; the job resumes shortly")
        } catch let unopened as UnopenedSecrets {
            // A key that changed under a running host, or none: the job waits, said, rather than failing for good.
            return .postponed(
                at: clock().addingTimeInterval(60), stats,
                "\(unopened.description); the job waits for a host with the store's key")
        } catch let missing as PluginCatalog.NotFound {
            // Being replaced (an upgrade's files land between two scans of the folder), or removed: tried again.
            return .retry(at: backoff(attempts: job.attempts), stats, missing.description)
        } catch {
            return .failed(stats, redactor.redact("\(error)"))
        }
    }

    /// Records the outcome while the job is still this runner's (`lease`); throws `JobQueue.Lost` otherwise.
    private func finish(_ job: Job, _ outcome: JobOutcome, lease: JobQueue.Lease) throws {
        let label = "\(job.kind.rawValue) job \(job.id) for \(job.integration)"
        // What a plugin or a target said goes into the store, where read-only commands show it without the key
        // that would let them redact it: a target that echoes a credential back must not leave it there.
        switch outcome.redacted(by: redactor) {
        case .succeeded(let stats):
            try queue.succeed(job.id, stats: stats.json, lease: lease)
            note(.info, "\(label) succeeded: \(stats.json.serialized())")
        case .retry(let at, let stats, let error, let targetDown):
            // A push never gives up on a target that is down: its records would wait for a push that may never come
            // (a real-time-only integration has no schedule). It retries at the longest backoff, an open error in
            // `sync status`, until the target answers. A pull gives up (the next one reads everything again), and so
            // does a push whose plugin keeps failing.
            if job.attempts >= maximumAttempts, job.kind == .pull || !targetDown {
                try queue.fail(
                    job.id, stats: stats.json, error: "gave up after \(job.attempts) attempts: \(error)", lease: lease)
                note(.error, "\(label) gave up after \(job.attempts) attempts: \(error)")
            } else {
                try queue.requeue(job.id, notBefore: at, stats: stats.json, error: error, lease: lease)
                note(.warning, "\(label) will retry at \(at.formatted(.iso8601)): \(error)")
            }
        case .handedBack(let stats, let reason):
            try queue.requeue(job.id, notBefore: nil, stats: stats.json, lease: lease, attempted: false)
            note(.info, "\(label) handed back: \(reason)")
        case .postponed(let at, let stats, let reason):
            try queue.requeue(job.id, notBefore: at, stats: stats.json, error: reason, lease: lease, attempted: false)
            note(.warning, "\(label) postponed to \(at.formatted(.iso8601)): \(reason)")
        case .failed(let stats, let error):
            try queue.fail(job.id, stats: stats.json, error: error, lease: lease)
            note(.error, "\(label) failed: \(error)")
        case .paused(let reason, let stats):
            // The job waits for the integration to resume (new credentials, or enabled), then runs: its records
            // have no other push to go with when the integration only pushes in real time. Paused first, so no
            // runner takes it up meanwhile; a failed attempt, as `sync status` counts it.
            do {
                try integrations.pause(job.integration, reason: reason)
            } catch is IntegrationRepository.Problem {
                throw JobQueue.Lost(job: job.id)  // removed meanwhile, and its jobs with it
            }
            try queue.requeue(
                job.id, notBefore: nil, stats: stats.json, error: "integration paused: \(reason)", lease: lease)
            note(.error, "\(label): integration \(job.integration) paused: \(reason); the job waits for it to resume")
        }
    }

    /// Exponential backoff with full jitter, 2 s doubling to 5 min, at least `floor`.
    func backoff(attempts: Int, floor: Duration = .zero) -> Date {
        let cap = min(300.0, 2.0 * pow(2.0, Double(max(0, attempts - 1))))
        let wait = max(Double.random(in: cap / 2...cap), floor.timeInterval)
        return clock().addingTimeInterval(wait)
    }

    /// What a failed call (not a failed record) means for the job.
    func outcome(of failure: PluginFailure, job: Job, stats: JobStats) -> JobOutcome {
        let message = "\(failure.status.name): \(failure.message)"
        switch failure.status {
        case .auth:
            return .refusedCredentials(failure.message, integration: job.integration, stats)
        case .rateLimited:
            return .retry(
                at: backoff(
                    attempts: job.attempts, floor: .milliseconds(max(1000, Int(failure.retryAfterMilliseconds)))),
                stats, message, targetDown: true)
        case .connection, .timeout, .server, .circuitOpen, .tls:
            return .retry(
                at: backoff(attempts: job.attempts, floor: .milliseconds(Int(failure.retryAfterMilliseconds))), stats,
                message, targetDown: failure.status.isRetryable)
        default:
            return .failed(stats, message)
        }
    }

    /// What a plugin that misbehaved means for the job: another worker may well succeed.
    func outcome(of error: PluginCallError, job: Job, stats: JobStats) -> JobOutcome {
        if error.code == .quarantined { return .retry(at: clock().addingTimeInterval(300), stats, error.description) }
        return .retry(at: backoff(attempts: job.attempts), stats, error.description)
    }

    func renewLease(_ job: Job, owner: String) {
        try? queue.renew(job.id, owner: owner, until: clock().addingTimeInterval(lease.timeInterval))
    }
}
