import GRDB
import Inventory
import SyncEngine
import TestSupport
import Testing

@testable import Store

/// Stores written by earlier releases, migrated on open.
@Suite struct MigrationTests {
    /// The new `configuration_change` event type reaches the integrations that took every type (the default), and
    /// only those: one that chose its types keeps its choice.
    @Test func integrationsTakingEveryEventTypeTakeConfigurationChanges() throws {
        let folder = TemporaryDirectory("migration")
        let path = folder.path + "/cc.sqlite"
        do {
            let earlier = try DatabasePool(path: path)
            try Migrations.migrator.migrate(earlier, upTo: "v10-ids-never-reused")
            try earlier.write { db in
                try db.execute(sql: "INSERT INTO tenant (id, created_at) VALUES ('acme', '2026-11-01T00:00:00Z')")
                for (id, types) in [
                    ("every", #"["discovery","alert","compliance_change","certificate_expiry"]"#),
                    ("alerts", #"["alert"]"#),
                ] {
                    try db.execute(
                        sql: """
                            INSERT INTO integration (id, tenant, plugin_id, configuration, mapping, realtime,
                                event_types, environment, isolation, source_of_truth, enabled, event_cursor, created_at,
                                updated_at)
                            VALUES (?, 'acme', 'p', '{}', '[]', 1, ?, 'prod', 'process', '{}', 1, 0, 'x', 'x')
                            """,
                        arguments: [id, types])
                }
            }
        }
        let integrations = IntegrationRepository(store: try Store(path: path))
        #expect(try integrations.integration("every")?.eventTypes.last == "configuration_change")
        #expect(try integrations.integration("every")?.eventTypes.count == 5)
        #expect(try integrations.integration("alerts")?.eventTypes == ["alert"])
        // New integrations take every type the inventory raises, in the order migrations match.
        #expect(try integrations.integration("every")?.eventTypes == Integration.defaultEventTypes)
        #expect(Set(Integration.defaultEventTypes) == Set(InventoryEvent.Kind.allCases.map(\.rawValue)))
    }
}
