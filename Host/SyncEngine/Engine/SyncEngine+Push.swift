import Foundation
import JSONCore
import PluginABI
import PluginRuntime

extension SyncEngine {
    /// Pushes the records whose content changed since the integration acknowledged them (all of them for a full
    /// sync), a batch at a time. Acknowledgements and dead letters are committed behind the batches going out and
    /// all of them before the job ends; a crash loses at most the few batches not yet committed, which the delta
    /// then sends again. A full push taken up again goes on after its last committed batch.
    func push(_ job: Job, _ runtime: IntegrationRuntime, owner: String, stats: inout JobStats) throws -> JobOutcome {
        guard runtime.build.manifest.capabilities.contains(.push) else {
            return .failed(stats, "\(runtime.build.label) cannot push (it declares no push capability)")
        }
        let integration = runtime.integration
        let writer = AcknowledgementWriter(
            delivery: delivery, integration: integration.id, tenant: integration.tenant, clock: clock)
        let outcome: JobOutcome
        do {
            outcome = try pushBatches(job, runtime, owner: owner, writer: writer, stats: &stats)
        } catch {
            try? writer.finish()
            throw error
        }
        try writer.finish()
        return outcome
    }

    private func pushBatches(
        _ job: Job, _ runtime: IntegrationRuntime, owner: String, writer: AcknowledgementWriter,
        stats: inout JobStats
    ) throws -> JobOutcome {
        let integration = runtime.integration
        var retryAfter: Duration = .zero
        var leaseRenewed = clock()
        // A full push selects every record, acknowledged or not: taken up again (stopped, killed, retried) it goes
        // on after the batches whose outcomes are committed, and counts what earlier attempts selected. A delta
        // needs no cursor, as what was acknowledged is no longer pending.
        let resumed = job.full ? job.pushCursor : nil
        if resumed != nil { stats.selected = job.stats?["selected"]?.intValue ?? 0 }
        // The cursor moves only over batches whose every record was acknowledged or refused: once records are left
        // to retry, it stays before them so the retry sends them again.
        var movesCursor = job.full
        // The next batch is selected and mapped while the current one is in flight: selection goes by id cursor,
        // not by what has been acknowledged, so it does not wait for the acknowledgements.
        var next = Prefetch { [self] in try prepareBatch(job, runtime, after: resumed ?? "") }
        defer { _ = try? next.value() }  // never leave a selection running behind a return
        while let batch = try next.value() {
            next = Prefetch { [self] in try prepareBatch(job, runtime, after: batch.cursor) }
            stats.selected += batch.selected
            let keys = batch.keys
            var refused = batch.refused
            var acknowledged: [DeliveryRepository.Acknowledgement] = []
            var authFailure: String?
            if !keys.isEmpty {
                let outcome: CallOutcome
                do {
                    stats.calls += 1
                    outcome = try supervisor.call(
                        runtime.build, instance: runtime.instance, isolation: integration.isolation, operation: .push,
                        input: batch.input, expectedKeys: keys, services: runtime.services)
                } catch {
                    try record(acknowledged: [], refused: refused, writer, stats: &stats)
                    return self.outcome(of: error, job: job, stats: stats)
                }
                guard outcome.status == .ok else {
                    try record(acknowledged: [], refused: refused, writer, stats: &stats)
                    let failure = PluginFailure(status: outcome.status, output: outcome.output)
                    stats.error(redactor.redact(failure.description))
                    return self.outcome(of: failure, job: job, stats: stats)
                }
                stats.pushed += keys.count
                for result in outcome.results {
                    guard let (record, item, refreshAfter) = batch.byKey[result.key] else { continue }
                    switch result.status {
                    case .ok:
                        acknowledged.append(
                            .init(
                                recordID: record.id, contentHash: record.contentHash, externalID: result.externalID,
                                refreshAfter: refreshAfter))
                    case .auth:
                        authFailure = result.message ?? "credentials refused"
                    case _ where result.status.isRetryable:
                        stats.retryLater += 1
                        retryAfter = max(retryAfter, .milliseconds(Int(result.retryAfterMilliseconds)))
                    default:
                        refused.append(
                            (
                                record, item.json, result.status.name,
                                redactor.redact(result.message ?? result.status.name)
                            )
                        )
                    }
                }
            }
            movesCursor = movesCursor && acknowledged.count + refused.count == batch.selected
            try record(
                acknowledged: acknowledged, refused: refused, writer, stats: &stats,
                progress: movesCursor ? (job.id, batch.cursor) : nil)
            if let authFailure {
                return .refusedCredentials(authFailure, integration: integration.id, stats)
            }
            // A third of the lease gone: renew it (a write, so not after every batch).
            if clock().timeIntervalSince(leaseRenewed) > lease.timeInterval / 3 {
                renewLease(job, owner: owner)
                leaseRenewed = clock()
            }
            if stopRequested {
                return .retry(at: clock(), stats, "the host is stopping; the job resumes where it left off")
            }
        }
        if stats.retryLater > 0 {
            return .retry(
                at: backoff(attempts: job.attempts, floor: retryAfter), stats, "\(stats.retryLater) records to retry")
        }
        return .succeeded(stats)
    }

    /// One batch ready to go: the records changed after a cursor, mapped to the plugin's items and serialised as
    /// its input, and those the mapping refused.
    struct PreparedBatch: Sendable {
        let cursor: String
        let selected: Int
        var input: [UInt8] = []
        var keys: [String] = []
        // What acknowledgements and dead letters need; the documents, mapped already, are freed on the preparing thread.
        var byKey: [String: (record: SentRecord, item: PushItem, refreshAfter: Date?)] = [:]
        var refused: [AcknowledgementWriter.Refusal] = []
    }

    /// The next batch after `cursor`, or nil when nothing more is pending.
    private func prepareBatch(_ job: Job, _ runtime: IntegrationRuntime, after cursor: String) throws -> PreparedBatch?
    {
        let integration = runtime.integration
        let now = clock()
        let pending = try delivery.pending(
            integration: integration.id, tenant: integration.tenant, full: job.full, ids: job.recordIDs, after: cursor,
            limit: batchSize, now: now)
        guard let last = pending.last else { return nil }
        var batch = PreparedBatch(cursor: last.id, selected: pending.count)
        let table = runtime.mapping.targetTable
        var items: [PushItem] = []
        items.reserveCapacity(pending.count)
        for record in pending {
            do {
                let item = PushItem(
                    key: record.id, externalID: record.externalID, table: table,
                    fields: try runtime.mapping.apply(to: record.document, now: now))
                items.append(item)
                batch.keys.append(record.id)
                batch.byKey[record.id] = (
                    record.sent, item, runtime.mapping.nextChange(of: record.document, after: now)
                )
            } catch {
                batch.refused.append((record.sent, record.document, "mapping_error", error.description))
            }
        }
        batch.input = PushItem.batch(items)
        return batch
    }

    /// Queues a batch's outcomes, and with `progress` the cursor after it and the counts that go with it.
    private func record(
        acknowledged: [DeliveryRepository.Acknowledgement],
        refused: [AcknowledgementWriter.Refusal], _ writer: AcknowledgementWriter, stats: inout JobStats,
        progress: (job: Int64, cursor: String)? = nil
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
