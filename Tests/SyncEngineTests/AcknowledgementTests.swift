import Foundation
import GRDB
import Store
import SyncEngine
import Testing

/// A commit of a push's acknowledgements keeps each record's sync state, however many there are, several rows to
/// a statement or one.
@Suite struct AcknowledgementTests {
    @Test func everyAcknowledgementOfACommitIsKeptTheLaterOfTwoCounting() throws {
        let fixture = try EngineFixture()
        try fixture.integration()
        try fixture.ingest((0..<130).map { asset("host\($0)") })  // two statements of fifty, then one at a time
        let delivery = DeliveryRepository(store: fixture.store)
        func pending() throws -> [PendingRecord] {
            try delivery.pending(integration: "acme-sink", tenant: "acme", full: false, limit: 1000)
        }
        let records = try pending()
        #expect(records.count == 130)
        var acknowledged = records.map {
            DeliveryRepository.Acknowledgement(recordID: $0.id, contentHash: $0.contentHash, externalID: "ext-\($0.id)")
        }
        // The same record twice in one commit, within one statement and across two: the later one counts.
        acknowledged.insert(.init(recordID: records[7].id, contentHash: "stale", externalID: "first"), at: 3)
        acknowledged.insert(.init(recordID: records[120].id, contentHash: "stale", externalID: "first"), at: 40)
        try delivery.record(acknowledged: acknowledged, refused: [], integration: "acme-sink", tenant: "acme")

        #expect(try pending().isEmpty)
        let rows = try fixture.store.pool.read {
            try Row.fetchAll($0, sql: "SELECT record_id, external_id FROM sync_state WHERE integration = 'acme-sink'")
        }
        #expect(rows.count == 130)
        #expect(rows.allSatisfy { ($0["external_id"] as String?) == "ext-" + ($0["record_id"] as String) })
    }
}
