import Foundation
import GRDB
import Inventory
import JSONCore
import Store

extension IntegrationRepository {
    /// Saves what `integrations update` may change (plugin version, configuration, mapping, schedule, real time,
    /// event types, environment, source of truth) and, unless nil, replaces the sealed secrets, all in one transaction. Sync
    /// state, dead letters, jobs, the pull checkpoint, the event cursor and the enabled flag stay as they are; a
    /// changed schedule is due afresh. Lifts a pause whose reason starts with `resuming`; returns whether it did.
    /// With `resendingAll`, every record is due for the next push again (its acknowledged hash forgotten, its
    /// target id kept): what the target holds was made by another mapping.
    @discardableResult
    public func update(
        _ integration: Integration, secrets: [SealedSecret]?, resuming: String? = nil, resendingAll: Bool = false
    ) throws -> Bool {
        try store.pool.write { db in
            guard
                let row = try Row.fetchOne(
                    db, sql: "SELECT paused_reason FROM integration WHERE id = ?", arguments: [integration.id])
            else { throw Problem(description: "no integration \(integration.id)") }
            // Read in this transaction: a pause a job recorded after the caller read the integration counts too.
            let reason: String? = row["paused_reason"]
            let resumed = resuming.map { reason?.hasPrefix($0) == true } ?? false
            try db.execute(
                sql: """
                    UPDATE integration SET version_pin = ?, configuration = ?, mapping = ?,
                        next_run_at = CASE WHEN schedule IS ? THEN next_run_at ELSE NULL END, schedule = ?,
                        realtime = ?, event_types = ?, environment = ?, source_of_truth = ?,
                        event_cursor = MAX(event_cursor, ?),
                        paused_reason = CASE WHEN ? THEN NULL ELSE paused_reason END, updated_at = ?
                    WHERE id = ?
                    """,
                arguments: [
                    integration.versionPin, integration.configuration.serialized(), integration.mapping.serialized(),
                    integration.schedule,
                    integration.schedule, integration.realtime, JSON(integration.eventTypes).serialized(),
                    integration.environment, integration.sourceOfTruth.serialized(), integration.eventCursor, resumed,
                    ISODates.dateTime(Date()), integration.id,
                ])
            if resendingAll {
                try db.execute(
                    sql: "UPDATE sync_state SET content_hash = '' WHERE integration = ?", arguments: [integration.id])
            }
            if let secrets {
                try Store.replaceSecrets(of: integration.id, with: secrets, in: db)
            }
            return resumed
        }
    }
}
