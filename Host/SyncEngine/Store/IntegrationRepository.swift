import Foundation
import GRDB
import Inventory
import JSONCore
import PluginRuntime
import Store

/// Tenants and integrations in the store.
public struct IntegrationRepository: Sendable {
    public let store: Store

    public init(store: Store) { self.store = store }

    public struct Problem: Error, CustomStringConvertible, Sendable {
        public let description: String
    }

    // MARK: Tenants

    public func addTenant(_ id: String) throws {
        guard Names.isValid(id) else {
            throw Problem(description: "tenant \"\(id)\" must be 1-64 letters, digits, '-' or '_'")
        }
        try store.pool.write { db in
            guard try !Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM tenant WHERE id = ?)", arguments: [id])!
            else {
                throw Problem(description: "tenant \(id) already exists")
            }
            try Names.refuseCaseTwin(of: id, .tenant, in: db)
            try db.execute(
                sql: "INSERT INTO tenant (id, created_at) VALUES (?, ?)", arguments: [id, ISODates.dateTime(Date())])
        }
    }

    /// Adds the tenant unless it exists (ingesting into a new tenant creates it).
    public func ensureTenant(_ id: String) throws {
        guard Names.isValid(id) else {
            throw Problem(description: "tenant \"\(id)\" must be 1-64 letters, digits, '-' or '_'")
        }
        try store.pool.write { db in
            try Names.refuseCaseTwin(of: id, .tenant, in: db)
            try db.execute(
                sql: "INSERT OR IGNORE INTO tenant (id, created_at) VALUES (?, ?)",
                arguments: [id, ISODates.dateTime(Date())])
        }
    }

    public func tenants() throws -> [String] {
        try store.pool.read { try String.fetchAll($0, sql: "SELECT id FROM tenant ORDER BY id") }
    }

    public func tenantExists(_ id: String) throws -> Bool {
        try store.pool.read {
            try Bool.fetchOne($0, sql: "SELECT EXISTS (SELECT 1 FROM tenant WHERE id = ?)", arguments: [id])!
        }
    }

    /// Removes a tenant with its integrations, jobs, dead letters, sync state and inventory.
    public func removeTenant(_ id: String) throws {
        try store.pool.write { db in
            guard try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM tenant WHERE id = ?)", arguments: [id])!
            else {
                throw Problem(description: "no tenant \(id)")
            }
            let integrations = try String.fetchAll(
                db, sql: "SELECT id FROM integration WHERE tenant = ?", arguments: [id])
            for integration in integrations {
                try db.execute(sql: "DELETE FROM sync_state WHERE integration = ?", arguments: [integration])
                try db.execute(sql: "DELETE FROM secret WHERE owner = ?", arguments: [integration])
                try db.execute(sql: "DELETE FROM http_metrics WHERE integration = ?", arguments: [integration])
            }
            try db.execute(sql: "DELETE FROM inventory_event WHERE tenant = ?", arguments: [id])
            try db.execute(sql: "DELETE FROM inventory_record WHERE tenant = ?", arguments: [id])
            try db.execute(sql: "DELETE FROM tenant WHERE id = ?", arguments: [id])
        }
    }

    // MARK: Integrations

    /// Saves a new integration with its sealed secrets, both or neither.
    public func add(_ integration: Integration, secrets: [SealedSecret] = []) throws {
        guard Names.isValid(integration.id) else {
            throw Problem(description: "integration \"\(integration.id)\" must be 1-64 letters, digits, '-' or '_'")
        }
        try store.pool.write { db in
            guard
                try Bool.fetchOne(
                    db, sql: "SELECT EXISTS (SELECT 1 FROM tenant WHERE id = ?)", arguments: [integration.tenant])!
            else {
                throw Problem(description: "no tenant \(integration.tenant); add it with `cryptoconnect tenants add`")
            }
            guard
                try !Bool.fetchOne(
                    db, sql: "SELECT EXISTS (SELECT 1 FROM integration WHERE id = ?)", arguments: [integration.id])!
            else { throw Problem(description: "integration \(integration.id) already exists") }
            try Names.refuseCaseTwin(of: integration.id, .integration, in: db)
            let stamp = ISODates.dateTime(Date())
            try db.execute(
                sql: """
                    INSERT INTO integration (id, tenant, plugin_id, version_pin, configuration, mapping, schedule, realtime,
                        event_types, environment, isolation, source_of_truth, enabled, paused_reason, event_cursor,
                        next_run_at, created_at, updated_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    integration.id, integration.tenant, integration.pluginID, integration.versionPin,
                    integration.configuration.serialized(), integration.mapping.serialized(), integration.schedule,
                    integration.realtime, JSON(integration.eventTypes).serialized(), integration.environment,
                    integration.isolation.rawValue, integration.sourceOfTruth.serialized(), integration.enabled,
                    integration.pausedReason, integration.eventCursor, integration.nextRunAt.map(Self.milliseconds),
                    stamp, stamp,
                ])
            for secret in secrets { try Store.saveSecret(secret, in: db) }
        }
    }

    public func integration(_ id: String) throws -> Integration? {
        try store.pool.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM integration WHERE id = ?", arguments: [id]).map(
                Integration.init(row:))
        }
    }

    public func integrations(tenant: String? = nil) throws -> [Integration] {
        try store.pool.read { db in
            try Row.fetchAll(
                db, sql: "SELECT * FROM integration WHERE ? IS NULL OR tenant = ? ORDER BY tenant, id",
                arguments: [tenant, tenant]
            ).map(Integration.init(row:))
        }
    }

    public func setEnabled(_ id: String, _ enabled: Bool) throws {
        try update(id, "enabled = ?, paused_reason = NULL", [enabled])
    }

    /// Stops an integration and records why (shown by `integrations show` and `sync status`).
    public func pause(_ id: String, reason: String) throws {
        try update(id, "paused_reason = ?", [reason])
    }

    public func setEventCursor(_ id: String, _ cursor: Int64) throws {
        try update(id, "event_cursor = ?", [cursor])
    }

    public func setNextRun(_ id: String, _ date: Date?) throws {
        try update(id, "next_run_at = ?", [date.map(Self.milliseconds)])
    }

    /// What removing an integration takes with it: records it has sent (whose sync state goes, so one added again
    /// sends them all anew), dead letters not yet settled, and jobs not yet done.
    public func holdings(of id: String) throws -> (sent: Int, openLetters: Int, pendingJobs: Int) {
        try store.pool.read { db in
            func count(_ sql: String) throws -> Int { try Int.fetchOne(db, sql: sql, arguments: [id]) ?? 0 }
            return (
                try count("SELECT COUNT(*) FROM sync_state WHERE integration = ?"),
                try count("SELECT COUNT(*) FROM dead_letter WHERE integration = ? AND state IN ('open', 'replaying')"),
                try count("SELECT COUNT(*) FROM job WHERE integration = ? AND state IN ('queued', 'running')")
            )
        }
    }

    public func remove(_ id: String) throws {
        try store.pool.write { db in
            try db.execute(sql: "DELETE FROM sync_state WHERE integration = ?", arguments: [id])
            try db.execute(sql: "DELETE FROM secret WHERE owner = ?", arguments: [id])
            try db.execute(sql: "DELETE FROM http_metrics WHERE integration = ?", arguments: [id])
            try db.execute(sql: "DELETE FROM integration WHERE id = ?", arguments: [id])
            guard db.changesCount > 0 else { throw Problem(description: "no integration \(id)") }
        }
    }

    private func update(_ id: String, _ assignments: String, _ values: [(any DatabaseValueConvertible)?]) throws {
        try store.pool.write { db in
            try db.execute(
                sql: "UPDATE integration SET \(assignments), updated_at = ? WHERE id = ?",
                arguments: StatementArguments(values + [ISODates.dateTime(Date()), id]))
            guard db.changesCount > 0 else { throw Problem(description: "no integration \(id)") }
        }
    }

    static func milliseconds(_ date: Date) -> Int64 { Int64((date.timeIntervalSince1970 * 1000).rounded()) }
    static func date(_ milliseconds: Int64) -> Date { Date(timeIntervalSince1970: Double(milliseconds) / 1000) }
}

extension Integration {
    init(row: Row) {
        let json: (String) -> JSON = { (try? JSON.parse(row[$0] as String)) ?? .null }
        self.init(
            id: row["id"], tenant: row["tenant"], pluginID: row["plugin_id"], versionPin: row["version_pin"],
            configuration: json("configuration"), mapping: json("mapping"), schedule: row["schedule"],
            realtime: row["realtime"], eventTypes: json("event_types").arrayValue?.compactMap(\.stringValue) ?? [],
            environment: row["environment"], isolation: IsolationLevel(rawValue: row["isolation"]) ?? .process,
            sourceOfTruth: json("source_of_truth"), enabled: row["enabled"], pausedReason: row["paused_reason"],
            eventCursor: row["event_cursor"],
            nextRunAt: (row["next_run_at"] as Int64?).map(IntegrationRepository.date))
    }
}
