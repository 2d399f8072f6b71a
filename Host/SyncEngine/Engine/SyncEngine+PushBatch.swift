import CSystemShims
import Foundation
import GRDB
import Inventory
import JSONCore
import PluginABI
import PluginRuntime

/// The stages a push batch goes through: selected after a cursor (one at a time, as each starts where the last
/// ended, while earlier ones are out), mapped and sent on the push's call lanes (several at once), then its outcome
/// taken in batch order.
extension SyncEngine {
    /// A batch as selected, not mapped yet: its records, in id order after a cursor, or for a mapping that sends one
    /// item per asset, their assets' records grouped by asset (grouped as selected, in order: an asset goes with
    /// the first batch that meets it).
    struct SelectedBatch: Sendable {
        let cursor: String
        /// A part of the read's records, not a copy of them: each record holds four references.
        let records: ArraySlice<PendingRecord>
        var groups: [[PendingRecord]]? = nil
        var selected: Int { groups?.reduce(0) { $0 + $1.count } ?? records.count }
    }

    /// One batch ready to go: the records changed after a cursor, mapped to the plugin's items and serialised as
    /// its input, and those the mapping refused.
    struct PreparedBatch: Sendable {
        let cursor: String
        let selected: Int
        var input: [UInt8] = []
        var keys: [String] = []
        /// What acknowledgements and dead letters need, in the order of `keys` (the order the results come back in);
        /// the documents, mapped already, are freed on the preparing thread.
        var sent: [SentItem] = []
        var refused: [AcknowledgementWriter.Refusal] = []

        /// The item as the plugin got it, read back from the input (only for the few a target refuses).
        func payload(of item: SentItem) -> JSON {
            input.withUnsafeBufferPointer {
                (try? JSON.parse(UnsafeBufferPointer(rebasing: $0[item.payload]))) ?? .null
            }
        }
    }

    /// One item of a batch: the record that made it, and the records it stands for: itself, and with one item per
    /// asset the asset's other records.
    struct SentItem: Sendable {
        let record: SentRecord
        /// Where the item lies in the batch's input: a target that refuses it gets it kept as the dead letter's payload.
        let payload: Range<Int>
        let refreshAfter: Date?
        /// Empty for a record that is an item of its own (most pushes: no array is made per record).
        let others: [SentRecord]

        var memberCount: Int { 1 + others.count }

        func forEachMember(_ body: (SentRecord) -> Void) {
            body(record)
            others.forEach(body)
        }
    }

    /// What one batch came to: the records acknowledged and refused, and why the job ends if it does.
    struct TakenBatch {
        var acknowledged: [DeliveryRepository.Acknowledgement] = []
        var refused: [AcknowledgementWriter.Refusal]
        var end: Ending?
        var settled: Int { acknowledged.count + refused.count }
    }

    /// Why a batch ends its push: worked out into the job's outcome once the counts of every batch out are in.
    enum Ending {
        case call(PluginCallError)
        case plugin(PluginFailure)
        case credentials(String)
    }

    /// How many batches' records one query reads. Each query is a read transaction, and SQLite drops a
    /// connection's cached pages when another has committed since its last one: read a batch at a time, with the
    /// push's acknowledgements committed in between, the records' pages were read again from the file for every
    /// batch (a tenth of the push's CPU).
    static let batchesPerRead = 10

    /// Selects the push's batches after `cursor` on a thread of their own, ahead of those going out: up to two reads
    /// ahead, so the lanes never wait while a read of ten batches runs. `assets` holds the assets this push has sent
    /// already, for a mapping that sends one item per asset.
    func batches(_ job: Job, _ runtime: IntegrationRuntime, after cursor: String, assets: AssetsSent) -> BatchStream {
        BatchStream("push-select", capacity: 2 * Self.batchesPerRead) { [self] stream in
            let integration = runtime.integration
            let (batchSize, limit) = (batchSize, batchSize * Self.batchesPerRead)
            var cursor = cursor
            let snapshot = PushSnapshot(delivery.store)
            // Ahead of the calls, not before them: on a busy host the calls in flight get the processor first, and
            // the selection, up to twenty batches ahead, catches up while they wait for their targets (a push of
            // 100,000 records took 3% less time).
            _ = cc_lower_thread_priority(5)
            while true {
                let pending = try delivery.pending(
                    integration: integration.id, tenant: integration.tenant, full: job.full, ids: job.recordIDs,
                    after: cursor, limit: limit, now: clock(), reader: snapshot.reader())
                for start in stride(from: 0, to: pending.count, by: batchSize) {
                    let records = pending[start..<min(start + batchSize, pending.count)]
                    var batch = SelectedBatch(cursor: records[records.endIndex - 1].id, records: records)
                    if runtime.mapping.onePerAsset {
                        batch.groups = try assetGroups(
                            of: records, integration, assets, resumedAfter: job.full ? job.pushCursor : nil,
                            reader: snapshot.reader())
                    }
                    guard stream.put(batch, waitingLong: snapshot.close) else { return }
                }
                guard pending.count == limit, let last = pending.last else { return }
                cursor = last.id
            }
        }
    }

    /// A selected batch mapped to the plugin's items as of `now` (on the lane that sends it: as of when it goes out,
    /// a count of days left is true).
    func prepare(_ selected: SelectedBatch, _ runtime: IntegrationRuntime, now: Date) -> PreparedBatch {
        var batch = PreparedBatch(cursor: selected.cursor, selected: selected.selected)
        let table = runtime.mapping.targetTable
        var input = PushItem.Batch(reserving: selected.records.count)
        // The item of `record` with the fields `writeFields` writes, standing for itself and `others`; `writeFields`
        // returns when they stop being true by the clock alone.
        func add<Failure: Error>(
            _ record: PendingRecord, others: [PendingRecord] = [],
            fields writeFields: (inout [UInt8]) throws(Failure) -> Date?
        ) throws(Failure) {
            let externalID = record.externalID ?? others.lazy.compactMap(\.externalID).first
            var refreshAfter: Date?
            let payload = try input.add { (output) throws(Failure) in
                try PushItem.write(key: record.id, externalID: externalID, table: table, to: &output) {
                    (fields) throws(Failure) in refreshAfter = try writeFields(&fields)
                }
            }
            batch.keys.append(record.id)
            batch.sent.append(
                SentItem(
                    record: record.sent, payload: payload, refreshAfter: refreshAfter, others: others.map(\.sent)))
        }
        func refuse(_ record: PendingRecord, _ problems: MappingProblems) {
            batch.refused.append((record.sent, record.document, "mapping_error", problems.description))
        }
        if let groups = selected.groups {
            for group in groups {
                // The riskiest record that maps makes the item; one that does not is refused on its own, and the
                // next riskiest stands for the asset.
                let made = AssetItem(of: group.map(\.document), mapping: runtime.mapping, now: now)
                for (index, problems) in made.refused { refuse(group[index], problems) }
                if let chosen = made.chosen {
                    add(group[chosen], others: made.members.filter { $0 != chosen }.map { group[$0] }) {
                        JSON.object(made.fields).write(to: &$0)
                        return runtime.mapping.nextChange(of: group[chosen].document, after: now)
                    }
                }
            }
        } else {
            for record in selected.records {
                do throws(MappingProblems) {
                    // Mapped straight into the input: no tree of fields is built per record.
                    try add(record) { (output) throws(MappingProblems) in
                        try runtime.mapping.write(record.stored, now: now, to: &output)
                    }
                } catch {
                    refuse(record, error)
                }
            }
        }
        batch.input = input.finish()
        return batch
    }

    /// The records of the assets `pending` belong to, one group per asset this push has not sent yet. An asset is
    /// its host name (a short name and the one FQDN it begins are one host), or its address for a record without
    /// one; a record with neither is a group of its own. A full push taken up again after `resumedAfter` leaves
    /// the assets it sent before its cursor.
    private func assetGroups(
        of pending: ArraySlice<PendingRecord>, _ integration: Integration, _ sent: AssetsSent, resumedAfter: String?,
        reader: any DatabaseReader
    ) throws -> [[PendingRecord]] {
        func hostname(_ record: PendingRecord) -> String? { record.document[path: "asset.hostname"]?.stringValue }
        var names: Set<String> = []
        var shortNames: Set<String> = []
        var addresses: Set<String> = []
        for record in pending {
            if let host = hostname(record), HostNames.isAddress(host) {
                names.insert(host)  // a scanner wrote the address where the name goes: the address's asset
                addresses.insert(host)
            } else if let host = hostname(record) {
                names.insert(host)
                // Every FQDN that begins with the same short name is fetched, so a short name is read the same way
                // whichever batch meets it first.
                let short = HostNames.shortName(host) ?? host
                names.insert(short)
                shortNames.insert(short)
            } else if let address = record.document[path: "asset.ip_address"]?.stringValue {
                addresses.insert(address)
            }
        }
        let members = try delivery.assetRecords(
            integration: integration.id, tenant: integration.tenant, hostnames: names.sorted(),
            namesBeginning: shortNames.sorted(), addresses: addresses.sorted(), reader: reader)
        let naming = AssetNaming(known: members.lazy.map(\.document))
        func asset(_ record: PendingRecord) -> String? { naming.asset(of: record.document) }
        var groups = Dictionary(grouping: members) { asset($0) ?? $0.id }
        var ordered: [[PendingRecord]] = []
        for record in pending {
            guard let key = asset(record) else {
                ordered.append([record])
                continue
            }
            guard let group = groups.removeValue(forKey: key), sent.claim(key) else { continue }
            // Sent with its first record, before the cursor of the attempt this one takes up.
            if let resumedAfter, group.contains(where: { $0.id <= resumedAfter }) { continue }
            ordered.append(group)
        }
        return ordered
    }

    /// Maps a selected batch and calls the plugin with it, on a lane of the push's calls; no call when the mapping
    /// refused every record.
    func send(_ selected: SelectedBatch, _ runtime: IntegrationRuntime) -> PushCalls.Finished {
        let batch = prepare(selected, runtime, now: clock())
        return PushCalls.Finished(batch: batch, outcome: batch.keys.isEmpty ? nil : call(batch, runtime))
    }

    private func call(_ batch: PreparedBatch, _ runtime: IntegrationRuntime) -> PushCalls.Outcome {
        do throws(PluginCallError) {
            return .success(
                try supervisor.call(
                    runtime.build, instance: runtime.instance, isolation: runtime.integration.isolation,
                    operation: .push, input: batch.input, expectedKeys: batch.keys, services: runtime.services))
        } catch {
            return .failure(error)
        }
    }

    /// Sorts a batch's results into acknowledgements, dead letters and records to retry. Counted here, not when
    /// sent: the counts saved with the push's progress cover the batches up to its cursor.
    func take(_ finished: PushCalls.Finished, stats: inout JobStats, retryAfter: inout Duration) -> TakenBatch {
        let batch = finished.batch
        stats.selected += batch.selected
        var taken = TakenBatch(refused: batch.refused, end: finished.ending)
        guard let result = finished.outcome else { return taken }
        stats.calls += 1
        guard case .success(let outcome) = result else { return taken }
        if case .plugin(let failure) = taken.end {
            stats.error(redactor.redact(failure.description))
            return taken
        }
        stats.pushed += batch.keys.count
        // The supervisor returns one result per item, in the batch's order; one that is not its item's would be a
        // fault of the host's, which leaves the record with the target's refusals, not lost.
        for (sent, answered) in zip(batch.sent, outcome.results) {
            let result =
                answered.key == sent.record.id
                ? answered
                : RecordResult(
                    key: sent.record.id, status: .internal,
                    message: "the result paired with this record was for \(answered.key)")
            switch result.status {
            case .ok:
                sent.forEachMember { member in
                    taken.acknowledged.append(
                        .init(
                            recordID: member.id, contentHash: member.contentHash, externalID: result.externalID,
                            refreshAfter: sent.refreshAfter))
                }
            case .auth:
                break  // left pending: the push ends, and the integration pauses until its credentials are fixed
            case _ where result.status.isRetryable:
                stats.retryLater += sent.memberCount
                if stats.retryReason == nil {
                    stats.retryReason = redactor.redact("\(result.status.name): \(result.message ?? "")")
                }
                retryAfter = max(retryAfter, .milliseconds(Int(result.retryAfterMilliseconds)))
            default:
                // Every record the item stands for is refused with it: left pending, the asset's others would send
                // the same refused item again on every push.
                let message = redactor.redact(result.message ?? result.status.name)
                let payload = batch.payload(of: sent)
                sent.forEachMember { taken.refused.append(($0, payload, result.status.name, message)) }
            }
        }
        return taken
    }

    /// Why `batch`'s call, come to `outcome`, ends the push, if it does: the call failed, the plugin failed, or the
    /// target refused the credentials for one of its items. Told as soon as the call is back, so the push's lanes
    /// send nothing after it.
    static func ending(of batch: PreparedBatch, _ outcome: PushCalls.Outcome?) -> Ending? {
        switch outcome {
        case nil: return nil
        case .failure(let error): return .call(error)
        case .success(let outcome):
            guard outcome.status == .ok else {
                return .plugin(PluginFailure(status: outcome.status, output: outcome.output))
            }
            // As `take` pairs them: a result that is not its item's is no refusal of the credentials.
            let refusal = zip(batch.sent, outcome.results).first {
                $1.status == .auth && $1.key == $0.record.id
            }
            return refusal.map { .credentials($0.1.message ?? "credentials refused") }
        }
    }

    func outcome(of end: Ending, job: Job, stats: JobStats) -> JobOutcome {
        switch end {
        case .call(let error): outcome(of: error, job: job, stats: stats)
        case .plugin(let failure): outcome(of: failure, job: job, stats: stats)
        case .credentials(let message): .refusedCredentials(message, integration: job.integration, stats)
        }
    }
}

/// The assets a push has sent, when its mapping sends one item per asset: a later batch that meets another record
/// of one of them leaves it, as the asset's item already carried every record it has.
final class AssetsSent: @unchecked Sendable {
    private let lock = NSLock()
    private var sent: Set<String> = []

    /// Whether `asset` was not sent yet; it now counts as sent.
    func claim(_ asset: String) -> Bool { lock.withLock { sent.insert(asset).inserted } }
}
