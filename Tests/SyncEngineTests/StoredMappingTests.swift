import Foundation
import GRDB
import JSONCore
import SyncEngine
import TestSupport
import Testing

/// A mapping saved by an earlier release keeps its integration running and updatable; a new one gets every check.
@Suite struct StoredMappingTests {
    @Test func anUpdateThatKeepsTheMappingReadsItAsSaved() throws {
        let fixture = try EngineFixture()
        try fixture.integration()
        let lenient: JSON = [
            ["source_field": "asset.hostname", "target_field": "name", "transform": "uppercase ||lowercase"]
        ]
        try fixture.store.pool.write { db in  // as an earlier release saved it
            try db.execute(
                sql: "UPDATE integration SET mapping = ? WHERE id = 'acme-sink'", arguments: [lenient.serialized()])
        }
        var changes = IntegrationChanges()
        changes.schedule = .some("0 2 * * *")
        changes.testConnection = false
        #expect(throws: Never.self) { try fixture.engine.updateIntegration("acme-sink", changes) }
        try fixture.ingest([asset("web01")])
        #expect(try fixture.push("acme-sink").stats?["acknowledged"] == 1)

        var remap = IntegrationChanges()
        remap.mapping = lenient
        remap.testConnection = false
        #expect { try fixture.engine.updateIntegration("acme-sink", remap) } throws: {
            "\($0)".contains("has an empty step between its |s")
        }
    }

    @Test func aPushPluginWithAnEmptyMappingIsRefused() throws {
        let fixture = try EngineFixture()
        #expect { try fixture.integration(mapping: []) } throws: {
            "\($0)".contains("maps no field, so a push would send empty items; give --mapping")
        }
    }
}
