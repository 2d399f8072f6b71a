import Foundation
import GRDB
import Store
import Testing

@testable import SyncEngine

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

/// The thread that commits a push's acknowledgements runs at a low priority, so it may fall behind: a batch waits to
/// be queued while `mostQueued` outcomes wait already.
@Suite struct AcknowledgementLagTests {
    @Test func aBatchWaitsWhileTooManyOutcomesWaitToBeCommitted() throws {
        let fixture = try EngineFixture()
        try fixture.integration()
        // Another connection holds the store's write lock: the writer's first commit waits for it.
        var holding = Configuration()
        holding.allowsUnsafeTransactions = true
        let other = try DatabaseQueue(path: fixture.folder.path + "/cc.sqlite", configuration: holding)
        try other.writeWithoutTransaction { try $0.execute(sql: "BEGIN IMMEDIATE") }
        let writer = AcknowledgementWriter(
            delivery: DeliveryRepository(store: fixture.store), lease: nil, integration: "acme-sink", tenant: "acme",
            mapping: try fixture.engine.integrations.integration("acme-sink")!.mapping, clock: { Date() })
        @Sendable func outcomes(_ batch: Int) -> [DeliveryRepository.Acknowledgement] {
            (0..<AcknowledgementWriter.mostQueued).map {
                .init(recordID: "r\(batch)-\($0)", contentHash: "h", externalID: nil)
            }
        }
        try writer.submit(acknowledged: outcomes(1), refused: [])  // taken into the commit that waits
        Thread.sleep(forTimeInterval: 0.1)
        try writer.submit(acknowledged: outcomes(2), refused: [])  // queued: as many as may wait
        let third = DispatchSemaphore(value: 0)
        Thread {
            try? writer.submit(acknowledged: outcomes(3), refused: [])
            third.signal()
        }.start()
        #expect(third.wait(timeout: .now() + 0.5) == .timedOut, "queued past the bound")
        try other.writeWithoutTransaction { try $0.execute(sql: "ROLLBACK") }
        #expect(third.wait(timeout: .now() + 30) == .success)
        try writer.finish()
        let kept = try fixture.store.pool.read {
            try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM sync_state WHERE integration = 'acme-sink'")
        }
        #expect(kept == 3 * AcknowledgementWriter.mostQueued)
    }
}
