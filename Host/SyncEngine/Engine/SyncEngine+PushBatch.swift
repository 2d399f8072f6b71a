import Foundation
import Inventory
import JSONCore
import PluginABI
import PluginRuntime

/// The stages a push batch goes through: selected after a cursor and mapped (one at a time, as each starts where
/// the last ended, while earlier ones are out), sent on a thread of its own (several at once), then its outcome
/// taken in batch order.
extension SyncEngine {
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

    /// One item of a batch: the record that made it, and the records it stands for (itself, or every record of its
    /// asset).
    struct SentItem: Sendable {
        let record: SentRecord
        /// Where the item lies in the batch's input: a target that refuses it gets it kept as the dead letter's payload.
        let payload: Range<Int>
        let refreshAfter: Date?
        let members: [SentRecord]
    }

    /// A batch with the plugin, on a thread of its own; no call when the mapping refused every record.
    struct InFlightBatch {
        let batch: PreparedBatch
        let call: Background<Result<CallOutcome, PluginCallError>>?
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

    /// Selects and maps the push's batches after `cursor` on a thread of their own, ahead of those going out.
    /// `assets` holds the assets this push has sent already, for a mapping that sends one item per asset.
    func batches(_ job: Job, _ runtime: IntegrationRuntime, after cursor: String, assets: AssetsSent) -> BatchStream {
        BatchStream("push-select", capacity: 2) { [self] stream in
            let integration = runtime.integration
            let (batchSize, limit) = (batchSize, batchSize * Self.batchesPerRead)
            var cursor = cursor
            while true {
                let pending = try delivery.pending(
                    integration: integration.id, tenant: integration.tenant, full: job.full, ids: job.recordIDs,
                    after: cursor, limit: limit, now: clock())
                for start in stride(from: 0, to: pending.count, by: batchSize) {
                    let records = Array(pending[start..<min(start + batchSize, pending.count)])
                    // Mapped as of now, not as of the read: a count of days left is true when the batch goes out.
                    guard stream.put(try prepare(records, job, runtime, now: clock(), assets: assets)) else { return }
                }
                guard pending.count == limit, let last = pending.last else { return }
                cursor = last.id
            }
        }
    }

    /// One batch of `pending` (records in id order), mapped to the plugin's items as of `now`.
    private func prepare(
        _ pending: [PendingRecord], _ job: Job, _ runtime: IntegrationRuntime, now: Date, assets: AssetsSent
    ) throws -> PreparedBatch {
        let integration = runtime.integration
        let last = pending[pending.count - 1]
        let groups =
            runtime.mapping.onePerAsset
            ? try assetGroups(of: pending, integration, assets, resumedAfter: job.full ? job.pushCursor : nil) : nil
        var batch = PreparedBatch(cursor: last.id, selected: groups?.reduce(0) { $0 + $1.count } ?? pending.count)
        let table = runtime.mapping.targetTable
        var input = PushItem.Batch(reserving: pending.count)
        // The item of `record` with the fields `writeFields` writes, standing for `members`; `writeFields` returns
        // when they stop being true by the clock alone.
        func add<Failure: Error>(
            _ record: PendingRecord, members: [PendingRecord],
            fields writeFields: (inout [UInt8]) throws(Failure) -> Date?
        ) throws(Failure) {
            let externalID = record.externalID ?? members.lazy.compactMap(\.externalID).first
            var refreshAfter: Date?
            let payload = try input.add { (output) throws(Failure) in
                try PushItem.write(key: record.id, externalID: externalID, table: table, to: &output) {
                    (fields) throws(Failure) in refreshAfter = try writeFields(&fields)
                }
            }
            batch.keys.append(record.id)
            batch.sent.append(
                SentItem(
                    record: record.sent, payload: payload, refreshAfter: refreshAfter, members: members.map(\.sent)))
        }
        func refuse(_ record: PendingRecord, _ problems: MappingProblems) {
            batch.refused.append((record.sent, record.document, "mapping_error", problems.description))
        }
        if let groups {
            for group in groups {
                // The riskiest record that maps makes the item; one that does not is refused on its own, and the
                // next riskiest stands for the asset.
                let made = AssetItem(of: group.map(\.document), mapping: runtime.mapping, now: now)
                for (index, problems) in made.refused { refuse(group[index], problems) }
                if let chosen = made.chosen {
                    add(group[chosen], members: made.members.map { group[$0] }) {
                        JSON.object(made.fields).write(to: &$0)
                        return runtime.mapping.nextChange(of: group[chosen].document, after: now)
                    }
                }
            }
        } else {
            for record in pending {
                do throws(MappingProblems) {
                    // Mapped straight into the input: no tree of fields is built per record.
                    try add(record, members: [record]) { (output) throws(MappingProblems) in
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
        of pending: [PendingRecord], _ integration: Integration, _ sent: AssetsSent, resumedAfter: String?
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
            namesBeginning: shortNames.sorted(), addresses: addresses.sorted())
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

    /// Calls the plugin with a batch on a thread of its own.
    func send(_ batch: PreparedBatch, _ runtime: IntegrationRuntime) -> InFlightBatch {
        guard !batch.keys.isEmpty else { return InFlightBatch(batch: batch, call: nil) }
        let integration = runtime.integration
        let call = Background("push-call") { [supervisor] () -> Result<CallOutcome, PluginCallError> in
            do throws(PluginCallError) {
                return .success(
                    try supervisor.call(
                        runtime.build, instance: runtime.instance, isolation: integration.isolation,
                        operation: .push, input: batch.input, expectedKeys: batch.keys, services: runtime.services))
            } catch {
                return .failure(error)
            }
        }
        return InFlightBatch(batch: batch, call: call)
    }

    /// Waits for a batch's call and sorts its results into acknowledgements, dead letters and records to retry.
    /// Counted here, not when sent: the counts saved with the push's progress cover the batches up to its cursor.
    func take(_ flight: InFlightBatch, stats: inout JobStats, retryAfter: inout Duration) -> TakenBatch {
        let batch = flight.batch
        stats.selected += batch.selected
        var taken = TakenBatch(refused: batch.refused)
        guard let call = flight.call else { return taken }
        stats.calls += 1
        let outcome: CallOutcome
        switch call.value() {
        case .failure(let error):
            taken.end = .call(error)
            return taken
        case .success(let value):
            outcome = value
        }
        guard outcome.status == .ok else {
            let failure = PluginFailure(status: outcome.status, output: outcome.output)
            stats.error(redactor.redact(failure.description))
            taken.end = .plugin(failure)
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
            let (refreshAfter, members) = (sent.refreshAfter, sent.members)
            switch result.status {
            case .ok:
                for member in members {
                    taken.acknowledged.append(
                        .init(
                            recordID: member.id, contentHash: member.contentHash, externalID: result.externalID,
                            refreshAfter: refreshAfter))
                }
            case .auth:
                taken.end = .credentials(result.message ?? "credentials refused")
            case _ where result.status.isRetryable:
                stats.retryLater += members.count
                if stats.retryReason == nil {
                    stats.retryReason = redactor.redact("\(result.status.name): \(result.message ?? "")")
                }
                retryAfter = max(retryAfter, .milliseconds(Int(result.retryAfterMilliseconds)))
            default:
                // Every record the item stands for is refused with it: left pending, the asset's others would send
                // the same refused item again on every push.
                let message = redactor.redact(result.message ?? result.status.name)
                let payload = batch.payload(of: sent)
                for member in members { taken.refused.append((member, payload, result.status.name, message)) }
            }
        }
        return taken
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
