import Foundation
import GRDB
import HostServices
import Inventory
import JSONCore

/// The product document's "Integration Metrics" box for one integration.
public struct IntegrationStatus: Sendable {
    public let integration: Integration
    /// healthy, degraded (records failing or retrying, open errors), failing (jobs failing), paused, disabled
    public let health: String
    public let lastSync: String?
    /// Records accepted over records attempted in the last 24 hours (jobs when no record was attempted).
    public let successRate: Double?
    public let recordsSyncedToday: Int
    public let averageLatencyMilliseconds: Double?
    public let openErrors: Int
    public let resolvedErrors: Int
    /// Dead letters an operator discarded: settled, but not fixed.
    public let discardedErrors: Int
    public let queuedJobs: Int
    public let lastError: String?

    public var json: JSON {
        [
            "integration": .string(integration.id), "tenant": .string(integration.tenant),
            "plugin": .string(integration.pluginReference), "status": .string(health),
            "paused_reason": JSON(integration.pausedReason), "last_sync": JSON(lastSync),
            "success_rate": successRate.map(JSON.number) ?? .null, "records_synced_today": JSON(recordsSyncedToday),
            "avg_latency_ms": averageLatencyMilliseconds.map(JSON.number) ?? .null, "open_errors": JSON(openErrors),
            "resolved_errors": JSON(resolvedErrors), "discarded_errors": JSON(discardedErrors),
            "queued_jobs": JSON(queuedJobs), "last_error": JSON(lastError),
            "schedule": JSON(integration.schedule),
            "next_run": JSON(integration.nextScheduledRun(after: Date()).map(ISODates.dateTime)),
            "realtime": .bool(integration.realtime),
        ]
    }
}

extension SyncEngine {
    public func status(tenant: String? = nil, now: Date = Date()) throws -> [IntegrationStatus] {
        let since = ISODates.dateTime(now.addingTimeInterval(-86_400))
        let midnight = ISODates.day(now) + "T00:00:00Z"
        let metrics = Dictionary(
            try store.metricsDocuments().map {
                ($0.integration, HTTPMetricsSnapshot(json: (try? JSON.parse($0.document)) ?? [:]))
            },
            uniquingKeysWith: { first, _ in first })
        return try integrations.integrations(tenant: tenant).map { integration in
            try store.pool.read { db in
                let finished = try Row.fetchAll(
                    db,
                    sql: """
                        SELECT id, kind, full, record_ids, state, stats, finished_at, error FROM job
                        WHERE integration = ? AND finished_at >= ? ORDER BY id
                        """,
                    arguments: [integration.id, since])
                // A failed job is an open error until a job that does its work over finishes successfully after it:
                // then it was fixed. A pull by a pull (full or not as it was); a push by a push of every pending
                // record (a full one by a full one). A push of a few records (real-time) is no such job: it sent
                // other records. By finishing time, as jobs run by priority. (Times are to the second: a tie goes by
                // id. The failures looked at are the last day's, so are the successes.)
                var lastSucceeded: [String: (at: String, id: Int64)] = [:]
                for row in try Row.fetchAll(
                    db,
                    sql: """
                        SELECT kind || '/' || full AS kind, finished_at, id FROM job
                        WHERE integration = ? AND state = 'succeeded' AND finished_at >= ? AND record_ids IS NULL
                        ORDER BY finished_at, id
                        """,
                    arguments: [integration.id, since])
                {
                    lastSucceeded[row["kind"]] = (row["finished_at"], row["id"])
                }
                func fixers(_ kind: String, full: Int, scoped: Bool) -> [String] {
                    kind == "push" && (scoped || full == 0) ? ["push/0", "push/1"] : ["\(kind)/\(full)"]
                }
                var accepted = 0
                var attempted = 0
                var succeededJobs = 0
                var failedJobs = 0
                var fixedJobs = 0
                var lastError: String?
                for row in finished {
                    let stats = (row["stats"] as String?).flatMap { try? JSON.parse($0) } ?? [:]
                    let acknowledged = stats["acknowledged"]?.intValue ?? 0
                    accepted += acknowledged
                    let settled =
                        acknowledged + (stats["dead_lettered"]?.intValue ?? 0) + (stats["retry_later"]?.intValue ?? 0)
                    // A job that failed outright (credentials refused) settled none of the records it selected, or
                    // that it was for, when it failed before selecting them (no key to open its credentials).
                    let failed = row["state"] as String != "succeeded"
                    let recordIDs = (row["record_ids"] as String?).flatMap { try? JSON.parse($0) }?.arrayValue?.count
                    attempted += failed ? max(settled, stats["selected"]?.intValue ?? 0, recordIDs ?? 0) : settled
                    let failedAt = (row["finished_at"] as String, row["id"] as Int64)
                    if row["state"] as String == "succeeded" {
                        succeededJobs += 1
                    } else if fixers(row["kind"], full: row["full"], scoped: recordIDs != nil).contains(where: {
                        lastSucceeded[$0].map { failedAt < $0 } ?? false
                    }) {
                        fixedJobs += 1
                    } else {
                        failedJobs += 1
                        lastError = row["error"]
                    }
                }
                // From the records' own sync state: true whatever happened to the jobs that sent them (a host
                // stopped or killed mid-push), and a record sent twice today is one record synced.
                let today = try Int.fetchOne(
                    db,
                    sql:
                        "SELECT COUNT(*) FROM sync_state WHERE integration = ? AND status = 'synced' AND synced_at >= ?",
                    arguments: [integration.id, midnight])!
                let lastSync = try String.fetchOne(
                    db, sql: "SELECT MAX(finished_at) FROM job WHERE integration = ? AND state = 'succeeded'",
                    arguments: [integration.id])
                let open = try Int.fetchOne(
                    db,
                    sql: "SELECT COUNT(*) FROM dead_letter WHERE integration = ? AND state IN ('open', 'replaying')",
                    arguments: [integration.id])!
                let resolved = try Int.fetchOne(
                    db, sql: "SELECT COUNT(*) FROM dead_letter WHERE integration = ? AND state = 'resolved'",
                    arguments: [integration.id])!
                let discarded = try Int.fetchOne(
                    db, sql: "SELECT COUNT(*) FROM dead_letter WHERE integration = ? AND state = 'discarded'",
                    arguments: [integration.id])!
                let queued = try Int.fetchOne(
                    db, sql: "SELECT COUNT(*) FROM job WHERE integration = ? AND state IN ('queued', 'running')",
                    arguments: [integration.id])!
                // Jobs waiting to try again after a failure (a target that is down): an open error while they wait,
                // and attempts that failed, which the success rate counts as a failed job's.
                let retryingRows = try Row.fetchAll(
                    db,
                    sql: """
                        SELECT error, stats FROM job WHERE integration = ? AND state = 'queued' AND attempts > 0
                            AND error IS NOT NULL ORDER BY id DESC
                        """,
                    arguments: [integration.id])
                let retrying: [String] = retryingRows.map { $0["error"] }
                for row in retryingRows {
                    let stats = (row["stats"] as String?).flatMap { try? JSON.parse($0) } ?? [:]
                    accepted += stats["acknowledged"]?.intValue ?? 0
                    attempted += max(
                        stats["selected"]?.intValue ?? 0,
                        (stats["acknowledged"]?.intValue ?? 0) + (stats["dead_lettered"]?.intValue ?? 0)
                            + (stats["retry_later"]?.intValue ?? 0))
                }
                let jobs = succeededJobs + failedJobs + fixedJobs + retryingRows.count
                let rate: Double? =
                    attempted > 0
                    ? Double(accepted) / Double(attempted)
                    : (jobs > 0 ? Double(succeededJobs) / Double(jobs) : nil)
                let health: String
                if !integration.enabled {
                    health = "disabled"
                } else if integration.pausedReason != nil {
                    health = "paused"
                } else if (failedJobs > 0 || !retrying.isEmpty) && succeededJobs == 0 {
                    health = "failing"
                } else if open > 0 || failedJobs > 0 || !retrying.isEmpty {
                    // Not a low success rate alone: failures all resolved since (letters replayed, a failure fixed)
                    // are history, which the rate shows.
                    health = "degraded"
                } else {
                    health = "healthy"
                }
                let latency = metrics[integration.id].flatMap { $0.attempts > 0 ? $0.averageLatencyMilliseconds : nil }
                return IntegrationStatus(
                    integration: integration, health: health, lastSync: lastSync, successRate: rate,
                    recordsSyncedToday: today,
                    averageLatencyMilliseconds: latency, openErrors: open + failedJobs + retrying.count,
                    resolvedErrors: resolved + fixedJobs, discardedErrors: discarded, queuedJobs: queued,
                    lastError: retrying.first ?? lastError ?? integration.pausedReason)
            }
        }
    }
}
