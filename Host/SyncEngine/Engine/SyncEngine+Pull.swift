import Foundation
import Inventory
import JSONCore
import PluginABI
import PluginRuntime

extension SyncEngine {
    /// Pages through the target with the plugin's checkpoint, stores the asset context mapped back to the standard
    /// schema, correlates it with inventory records (host name, IP, serial) and applies the fields the ITAM system
    /// owns. An interrupted pull resumes from its last stored page. Each page (its context, the enrichments and the
    /// checkpoint after it) is stored in one transaction, and with `lease` only while the job is still this runner's.
    func pull(_ job: Job, _ runtime: IntegrationRuntime, lease: JobQueue.Lease?, stats: inout JobStats) throws
        -> JobOutcome
    {
        let integration = runtime.integration
        guard runtime.build.manifest.capabilities.contains(.pull) else {
            return .failed(stats, "\(runtime.build.label) cannot pull (it declares no pull capability)")
        }
        let state = StoredIntegrationState(store: store, integration: integration.id)
        // A pull starts from the first page, unless it is this job taken up again (handed back at a stop, retried,
        // its host killed): it goes on from its last stored page, with the counts stored with it. Another job's
        // page is no place to start from: its counts would cover only the rest, and it would look complete.
        let resumed = state.value(forKey: StoredIntegrationState.pullCursorJobKey) == String(job.id)
        var checkpoint = resumed ? state.value(forKey: StoredIntegrationState.pullCursorKey) : nil
        if !resumed { stats = stats.startingOver }
        let contexts = AssetContextRepository(store: store)
        let policy = SourceOfTruth(integration.sourceOfTruth)
        let ingestor = Ingestor(store: store, now: clock)
        // As a push does: a pull stops at its next page when its integration is disabled or removed, or makes way
        // for a more urgent job of it (an alert's push), going on from its checkpoint afterwards.
        var withdrawal = WithdrawalCheck(job.integration) { [queue, clock] in
            try queue.hasMoreUrgent(integration: job.integration, than: job.priority, now: clock())
        }
        for _ in 0..<100_000 {
            let outcome: CallOutcome
            do {
                stats.calls += 1
                let request: JSON = ["checkpoint": JSON(checkpoint), "page_size": JSON(pageSize)]
                outcome = try supervisor.call(
                    runtime.build, instance: runtime.instance, isolation: integration.isolation, operation: .pull,
                    input: request.serializedBytes(), services: runtime.services)
            } catch {
                return self.outcome(of: error, job: job, stats: stats)
            }
            guard outcome.status == .ok else {
                let failure = PluginFailure(status: outcome.status, output: outcome.output)
                stats.error(redactor.redact(failure.description))
                return self.outcome(of: failure, job: job, stats: stats)
            }
            // The page's counts join the job's once the page is stored: a page not stored is pulled again.
            var counted = stats
            var pulled: [(raw: JSON, fields: JSON, record: JSON, externalKey: String)] = []
            for bytes in outcome.records {
                guard let raw = try? JSON.parse(bytes) else { continue }
                let fields = raw["fields"] ?? raw
                let externalKey =
                    raw["key"]?.stringValue ?? fields["sys_id"]?.stringValue ?? fields["id"]?.stringValue
                    ?? InventoryRecord.digest(raw.serializedBytes())  // stable across runs, unlike hashValue
                pulled.append((raw, fields, runtime.mapping.reverse(fields).record, externalKey))
            }
            counted.pulled += pulled.count
            let correlations = try inventory.correlate(
                tenant: integration.tenant,
                keys: pulled.map {
                    .init(
                        hostname: Self.text($0.record[path: "asset.hostname"])?.lowercased(),
                        ipAddress: Self.text($0.record[path: "asset.ip_address"]),
                        serialNumber: Self.text($0.record[path: "asset.serial_number"]))
                })
            var enrichments: [JSON] = []
            var sources: [String] = []  // the CI each enrichment came from, for its problems
            var page: [AssetContextRepository.Context] = []
            for (item, matches) in zip(pulled, correlations) {
                if !matches.isEmpty { counted.correlated += 1 }
                page.append(
                    .init(
                        externalKey: item.externalKey, record: item.record, raw: item.raw, correlated: matches.map(\.id)
                    ))
                for match in matches {
                    // What the target holds as this record's push left it is no change, whatever a step lost.
                    let reversed = runtime.mapping.reverse(item.fields, over: match.document, now: clock())
                    var changed = reversed.record
                    // A value the ITAM system owns that could not be carried back is refused as validation would.
                    for problem in reversed.problems
                    where policy.owner(of: problem.location) == "itam"
                        && (!runtime.mapping.onePerAsset || problem.location.hasPrefix("asset."))
                    {
                        counted.enrichmentsRefused += 1
                        counted.error("enrichment from \(item.externalKey) (for record \(match.id)): \(problem)")
                    }
                    // An item that stands for a host carries one endpoint's crypto fields: only its identity is
                    // the host's, to take back into each of its records.
                    if runtime.mapping.onePerAsset { changed = ["asset": changed["asset"] ?? [:]] }
                    if let merged = policy.merge(changed, into: match.document) {
                        enrichments.append(merged)
                        sources.append("\(item.externalKey) (for record \(match.id))")
                    }
                }
            }
            let result = (try? JSON.parse(outcome.output)) ?? [:]
            checkpoint = result["checkpoint"]?.stringValue
            let last = result["has_more"]?.boolValue != true
            // A crash before the commit pulls the page again; a runner that lost the job stores nothing of it. The
            // job's counts go with its checkpoint, for the attempt that goes on from there; after the last page the
            // checkpoint goes, so the next pull starts over.
            let report = try ingestor.ingest(
                records: enrichments, tenant: integration.tenant, locations: sources, storedTimes: true
            ) { [checkpoint, counted] db, counts in
                try lease?.check(in: db)
                try contexts.save(page, integration: integration.id, tenant: integration.tenant, in: db)
                try state.setValue(last ? nil : checkpoint, forKey: StoredIntegrationState.pullCursorKey, in: db)
                try state.setValue(
                    last ? nil : String(job.id), forKey: StoredIntegrationState.pullCursorJobKey, in: db)
                try JobQueue.save(.init(job: job.id, cursor: nil, stats: counted.counting(counts).json), db)
            }
            stats = counted.counting(report.counts)
            for problem in report.rejections { stats.error("enrichment from \(problem)") }
            if last { break }
            if stopRequested {
                return .handedBack(stats, "the host is stopping; the pull resumes from its checkpoint")
            }
            if withdrawal.isWithdrawn(in: integrations), let reason = withdrawal.reason {
                return .handedBack(stats, reason + "; the pull resumes from its checkpoint")
            }
        }
        return .succeeded(stats)
    }

    /// A correlation value: blank text identifies nothing.
    static func text(_ value: JSON?) -> String? {
        guard let text = value?.stringValue, !text.isEmpty else { return nil }
        return text
    }
}
