import Foundation
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
        // What acknowledgements and dead letters need; the documents, mapped already, are freed on the preparing thread.
        // An item's members are the records it stands for: itself, or every record of its asset.
        var byKey: [String: (record: SentRecord, item: PushItem, refreshAfter: Date?, members: [SentRecord])] = [:]
        var refused: [AcknowledgementWriter.Refusal] = []
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

    /// Starts selecting and mapping the next batch after `cursor`; nil when nothing more is pending. `assets`
    /// holds the assets this push has sent already, for a mapping that sends one item per asset.
    func select(_ job: Job, _ runtime: IntegrationRuntime, after cursor: String, assets: AssetsSent) -> Background<
        Result<PreparedBatch?, any Error>
    > {
        Background("push-select") { [self] in Result { try prepare(job, runtime, after: cursor, assets: assets) } }
    }

    private func prepare(_ job: Job, _ runtime: IntegrationRuntime, after cursor: String, assets: AssetsSent) throws
        -> PreparedBatch?
    {
        let integration = runtime.integration
        let now = clock()
        let pending = try delivery.pending(
            integration: integration.id, tenant: integration.tenant, full: job.full, ids: job.recordIDs, after: cursor,
            limit: batchSize, now: now)
        guard let last = pending.last else { return nil }
        let groups =
            runtime.mapping.onePerAsset ? try assetGroups(of: pending, integration, assets) : pending.map { [$0] }
        var batch = PreparedBatch(cursor: last.id, selected: groups.reduce(0) { $0 + $1.count })
        let table = runtime.mapping.targetTable
        var items: [PushItem] = []
        items.reserveCapacity(groups.count)
        for group in groups {
            let record = Self.riskiest(of: group)
            do {
                let item = PushItem(
                    key: record.id, externalID: record.externalID ?? group.lazy.compactMap(\.externalID).first,
                    table: table, fields: try runtime.mapping.apply(to: record.document, now: now))
                items.append(item)
                batch.keys.append(record.id)
                batch.byKey[record.id] = (
                    record.sent, item, runtime.mapping.nextChange(of: record.document, after: now), group.map(\.sent)
                )
            } catch {
                batch.refused.append((record.sent, record.document, "mapping_error", error.description))
            }
        }
        batch.input = PushItem.batch(items)
        return batch
    }

    /// The records of the assets `pending` belong to, one group per asset this push has not sent yet: an asset is
    /// its host name, or its address for a record without one; a record with neither is a group of its own.
    private func assetGroups(of pending: [PendingRecord], _ integration: Integration, _ sent: AssetsSent) throws
        -> [[PendingRecord]]
    {
        func asset(_ record: PendingRecord) -> String? {
            (record.document[path: "asset.hostname"] ?? record.document[path: "asset.ip_address"])?.stringValue
        }
        let fresh = sent.claim(Set(pending.compactMap(asset)))
        let hostnames = pending.compactMap { $0.document[path: "asset.hostname"]?.stringValue }.filter(fresh.contains)
        let addresses = pending.filter { $0.document[path: "asset.hostname"] == nil }
            .compactMap { $0.document[path: "asset.ip_address"]?.stringValue }.filter(fresh.contains)
        let members = try delivery.assetRecords(
            integration: integration.id, tenant: integration.tenant, hostnames: Array(Set(hostnames)),
            addresses: Array(Set(addresses)))
        var groups = Dictionary(grouping: members) { asset($0) ?? $0.id }
        var ordered: [[PendingRecord]] = []
        for record in pending {
            guard let key = asset(record) else {
                ordered.append([record])
                continue
            }
            if let group = groups.removeValue(forKey: key) { ordered.append(group) }
        }
        return ordered
    }

    /// The record an asset's item is made of: the highest risk score, then the lowest key size, then the first id.
    static func riskiest(of group: [PendingRecord]) -> PendingRecord {
        func rank(_ record: PendingRecord) -> (Double, Int) {
            (
                record.document[path: "crypto_implementation.risk_score"]?.doubleValue ?? -1,
                -(record.document[path: "crypto_implementation.key_size"]?.intValue ?? Int.max)
            )
        }
        return group.dropFirst().reduce(group[0]) { best, next in rank(next) > rank(best) ? next : best }
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
        for result in outcome.results {
            guard let (record, item, refreshAfter, members) = batch.byKey[result.key] else { continue }
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
                stats.retryLater += 1
                retryAfter = max(retryAfter, .milliseconds(Int(result.retryAfterMilliseconds)))
            default:
                taken.refused.append(
                    (record, item.json, result.status.name, redactor.redact(result.message ?? result.status.name)))
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

    /// The assets of `assets` not sent yet, now counted as sent.
    func claim(_ assets: Set<String>) -> Set<String> {
        lock.withLock {
            let fresh = assets.subtracting(sent)
            sent.formUnion(fresh)
            return fresh
        }
    }
}
