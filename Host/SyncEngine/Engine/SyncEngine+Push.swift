import Foundation
import JSONCore
import PluginABI
import PluginRuntime

extension SyncEngine {
    /// Pushes the records whose content changed since the integration acknowledged them (all of them for a full
    /// sync), a batch at a time. Acknowledgements and dead letters are committed behind the batches going out and
    /// all of them before the job ends; a crash loses at most the few batches not yet committed, which the delta
    /// then sends again. A full push taken up again goes on after its last committed batch.
    func push(_ job: Job, _ runtime: IntegrationRuntime, lease: JobQueue.Lease?, stats: inout JobStats) throws
        -> JobOutcome
    {
        guard runtime.build.manifest.capabilities.contains(.push) else {
            return .failed(stats, "\(runtime.build.label) cannot push (it declares no push capability)")
        }
        let integration = runtime.integration
        let writer = AcknowledgementWriter(
            delivery: delivery, lease: lease, integration: integration.id, tenant: integration.tenant,
            mapping: integration.mapping, clock: clock)
        do {
            let outcome = try pushBatches(job, runtime, writer: writer, stats: &stats)
            try writer.finish()
            return outcome
        } catch {
            try? writer.finish()
            // Taken up again, a full push goes on after its committed cursor, with the counts committed with it.
            if job.full { stats = JobStats(resumingFull: writer.committedProgressStats ?? job.stats) }
            throw error
        }
    }

    private func pushBatches(
        _ job: Job, _ runtime: IntegrationRuntime, writer: AcknowledgementWriter, stats: inout JobStats
    ) throws -> JobOutcome {
        var retryAfter: Duration = .zero
        var withdrawal = WithdrawalCheck(job.integration, mapping: runtime.integration.mapping) { [queue, clock] in
            try queue.hasMoreUrgent(integration: job.integration, than: job.priority, now: clock())
        }
        // A full push selects every record, acknowledged or not: taken up again (stopped, killed, retried) it goes
        // on after the batches whose outcomes are committed, and counts what earlier attempts selected. A delta
        // needs no cursor, as what was acknowledged is no longer pending.
        let resumed = job.full ? job.pushCursor : nil
        if resumed != nil { stats = JobStats(resumingFull: job.stats) }
        // The cursor moves only over batches whose every record was acknowledged or refused: once records are left
        // to retry, it stays before them so the retry sends them again.
        var movesCursor = job.full
        // A full push's counts as of its cursor: a retry goes on from there, so what it sends again counts once.
        var atCursor = job.full ? stats : nil
        // The next batches are selected while the current ones are in flight: selection goes by id cursor, not by
        // what has been acknowledged, so it does not wait for the acknowledgements.
        let batches = batches(job, runtime, after: resumed ?? "", assets: AssetsSent())
        let calls = PushCalls(
            lanes: mostInFlight(runtime), batches: batches, depth: { self.pushDepth(runtime, settled: $0) },
            send: { self.send($0, runtime) }, keepsSending: { !self.stopRequested })
        defer {  // never leave a selection or a call running behind a return
            calls.stopSending()
            batches.stop()
            calls.waitForLanes()
        }
        var stopping = false
        var selectionFailure: (any Error)?  // thrown once the batches already out are taken
        while true {
            // Outcomes are taken in batch order, so counts, dead letters and the cursor go as with one in flight.
            let current: PushCalls.Finished
            do {
                guard let finished = try calls.next() else { break }
                current = finished
            } catch  where stopping {
                break  // handed back all the same: the next attempt selects again
            } catch {
                selectionFailure = error
                break
            }
            let taken = take(current, stats: &stats, retryAfter: &retryAfter)
            movesCursor = movesCursor && taken.end == nil && taken.settled == current.batch.selected
            try record(
                acknowledged: taken.acknowledged, refused: taken.refused, writer, stats: &stats,
                // A delta push's counts go with its acknowledgements too: a host killed midway leaves them for the
                // next to count on from, as it leaves the acknowledgements.
                progress: job.full ? (movesCursor ? (job.id, current.batch.cursor) : nil) : (job.id, nil))
            if movesCursor { atCursor = stats }
            if let end = taken.end {
                // The batches sent beside this one reached the plugin: keep what they acknowledged.
                calls.stopSending()
                while let other = try? calls.next() {
                    let late = take(other, stats: &stats, retryAfter: &retryAfter)
                    try record(acknowledged: late.acknowledged, refused: late.refused, writer, stats: &stats)
                }
                return rewound(outcome(of: end, job: job, stats: stats), to: atCursor)
            }
            // Stopping sends nothing more, and takes the outcomes of what is already out: the host is stopping, or
            // the integration was removed or disabled meanwhile.
            if !stopping && (stopRequested || withdrawal.isWithdrawn(in: integrations)) {
                stopping = true
                calls.stopSending()
            }
        }
        // The lanes stop at a stop request too, perhaps after the last batch this thread took.
        stopping = stopping || stopRequested
        if let selectionFailure { throw selectionFailure }
        if let reason = withdrawal.reason {
            guard job.full, withdrawal.mappingChanged else { return rewound(.handedBack(stats, reason), to: atCursor) }
            // What it sent went as the old mapping made it (those acknowledgements stay pending): a full push starts
            // over, its cursor before every record, committed behind the outcomes already queued.
            let over = stats.startingOver
            try writer.submit(acknowledged: [], refused: [], progress: .init(job: job.id, cursor: "", stats: over.json))
            return .handedBack(over, reason)
        }
        if stopping {
            return rewound(.handedBack(stats, "the host is stopping; the job resumes where it left off"), to: atCursor)
        }
        if stats.retryLater > 0 {
            return rewound(
                .retry(
                    at: backoff(attempts: job.attempts, floor: retryAfter), stats,
                    "\(stats.retryLater) records to retry" + (stats.retryReason.map { " (\($0))" } ?? ""),
                    targetDown: true),
                to: atCursor)
        }
        return .succeeded(stats)
    }

    /// A full push to be retried goes on after its cursor, so it keeps the counts it had there; what it did after
    /// the cursor is done again. Its errors and what it left to retry stay this attempt's.
    private func rewound(_ outcome: JobOutcome, to atCursor: JobStats?) -> JobOutcome {
        guard var counts = atCursor else { return outcome }
        func keepingThisAttempts(_ stats: JobStats) -> JobStats {
            counts.errors = stats.errors
            counts.retryLater = stats.retryLater
            counts.started = stats.started
            return counts
        }
        switch outcome {
        case .retry(let at, let stats, let message, let targetDown):
            return .retry(at: at, keepingThisAttempts(stats), message, targetDown: targetDown)
        case .handedBack(let stats, let reason): return .handedBack(keepingThisAttempts(stats), reason)
        default: return outcome
        }
    }

    /// How many batches may be with the plugin at once: up to `batchesInFlight`, each with a worker from the
    /// plugin's pool (shared with other integrations of the plugin, so at most its size). One for a plugin in the
    /// host's process, whose calls are serialised.
    private func mostInFlight(_ runtime: IntegrationRuntime) -> Int {
        guard runtime.integration.isolation != .none else { return 1 }
        return max(1, min(batchesInFlight, supervisor.configuration.workersPerPool))
    }

    /// How many batches a push takes before it widens past two in flight. A target that throttles says so within
    /// its first few requests (its rate window is a second or a minute); widening at once would send it four
    /// requests before the first answer could say so.
    static let batchesBeforeWidening = 8

    /// How many batches may be with the plugin now, `settled` batches into the push: one while the target's pause
    /// makes requests go one at a time (a second batch would only hold a worker while it waits its turn), two until
    /// the target has taken a few, then all `mostInFlight` allows.
    private func pushDepth(_ runtime: IntegrationRuntime, settled: Int) -> Int {
        if runtime.http?.limiter.oneAtATime == true { return 1 }
        let most = mostInFlight(runtime)
        return settled < Self.batchesBeforeWidening ? min(2, most) : most
    }

    /// Queues a batch's outcomes, and with `progress` the cursor after it and the counts that go with it.
    private func record(
        acknowledged: [DeliveryRepository.Acknowledgement],
        refused: [AcknowledgementWriter.Refusal], _ writer: AcknowledgementWriter, stats: inout JobStats,
        progress: (job: Int64, cursor: String?)? = nil
    ) throws {
        var counted = stats
        counted.acknowledged += acknowledged.count
        counted.deadLettered += refused.count
        for refusal in refused.prefix(3) { counted.error("\(refusal.record.id): \(refusal.code): \(refusal.error)") }
        try writer.submit(
            acknowledged: acknowledged, refused: refused,
            progress: progress.map { .init(job: $0.job, cursor: $0.cursor, stats: counted.json) })
        stats = counted
    }
}
