import Foundation
import Inventory
import JSONCore
import PluginABI

extension SyncEngine {
    /// Real-time trigger: turns inventory events each subscribed integration has not seen into one push job for the
    /// records they concern, prioritised by the most severe event. Returns how many jobs it queued.
    @discardableResult
    public func pollEvents() throws -> Int {
        var created = 0
        for integration in try integrations.integrations() where integration.isActive && integration.realtime {
            let events = try inventory.events(tenant: integration.tenant, after: integration.eventCursor, limit: 10_000)
            guard let last = events.last else { continue }
            let relevant = events.filter { integration.eventTypes.contains($0.event.kind.rawValue) }
            // A plugin not loaded at this moment (being upgraded) still gets the job, which waits for it; the events
            // are not passed over.
            let pushes =
                (try? catalog.resolve(integration.pluginID, pin: integration.versionPin))?.manifest.capabilities
                .contains(.push) ?? true
            if !relevant.isEmpty, pushes {
                var seen: Set<String> = []
                let ids = relevant.map(\.event.recordID).filter { seen.insert($0).inserted }
                let priority = relevant.map { Self.priority(of: $0.event.severity) }.max() ?? Job.Priority.normal
                let size = JobQueue.realtimeRecordsPerJob
                for chunk in stride(from: 0, to: ids.count, by: size) {
                    let queued = try queue.enqueueRealtime(
                        integration: integration.id, tenant: integration.tenant, priority: priority,
                        recordIDs: Array(ids[chunk..<min(chunk + size, ids.count)]))
                    if queued != nil { created += 1 }
                }
            }
            try integrations.setEventCursor(integration.id, last.sequence)
        }
        return created
    }

    static func priority(of severity: String) -> Int {
        switch severity {
        case "critical": return Job.Priority.critical
        case "high": return Job.Priority.high
        default: return Job.Priority.normal
        }
    }

    /// Scheduled trigger: queues a delta sync (pull, then push, as the plugin can) for every integration whose
    /// schedule has come due at `now`, and moves its next run on. Returns how many jobs it queued.
    @discardableResult
    public func tickSchedules(now: Date) throws -> Int {
        var created = 0
        for integration in try integrations.integrations() where integration.isActive {
            guard let text = integration.schedule, let schedule = try? Schedule(text) else { continue }
            guard let due = integration.nextRunAt else {
                try integrations.setNextRun(integration.id, schedule.next(after: now))
                continue
            }
            guard due <= now else { continue }
            // One integration whose plugin is not loaded misses its run, said in the log; the others' go on.
            do {
                created += try enqueueSync(integration, trigger: .schedule, full: false, priority: Job.Priority.bulk)
                    .count
            } catch let missing as PluginCatalog.NotFound {
                note(.error, "scheduled sync of \(integration.id) skipped: \(missing)")
            }
            try integrations.setNextRun(integration.id, schedule.next(after: now))
        }
        return created
    }

    /// Queues what a sync of `integration` means for its plugin: a pull if it can pull, a push if it can push.
    /// A schedule does not queue a kind that is already waiting. Returns the ids of the jobs queued.
    @discardableResult
    public func enqueueSync(
        _ integration: Integration, trigger: Job.Trigger, full: Bool, priority: Int = Job.Priority.normal,
        kinds: [Job.Kind] = [.pull, .push]
    ) throws -> [Int64] {
        let capabilities = try catalog.resolve(integration.pluginID, pin: integration.versionPin).manifest.capabilities
        var created: [Int64] = []
        for kind in kinds where capabilities.contains(kind == .pull ? .pull : .push) {
            if trigger == .schedule, try queue.hasPending(integration: integration.id, kind: kind) { continue }
            if trigger == .manual,
                let waiting = try queue.joinWaiting(
                    integration: integration.id, kind: kind, full: full, priority: priority)
            {
                created.append(waiting)
                continue
            }
            created.append(
                try queue.enqueue(
                    integration: integration.id, tenant: integration.tenant, kind: kind, trigger: trigger, full: full,
                    priority: priority))
        }
        return created
    }
}
