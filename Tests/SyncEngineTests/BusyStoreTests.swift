import Foundation
import GRDB
import Store
import TestSupport
import Testing

@testable import SyncEngine

/// Another process holding the store's write lock (a long ingest) is no fault of a job: it is postponed, not failed,
/// and uses up none of its attempts.
@Suite struct BusyStoreTests {
    @Test func aJobThatMeetsABusyStoreIsRetriedNotFailed() throws {
        let fixture = try EngineFixture(busyTimeout: 0.2)
        try fixture.integration()
        try fixture.ingest([asset("a"), asset("b")])
        try fixture.engine.enqueueSync(
            try #require(try fixture.engine.integrations.integration("acme-sink")), trigger: .manual, full: false,
            kinds: [.push])
        let job = try #require(
            try fixture.engine.queue.lease(owner: "test", now: fixture.clock.now, lease: .seconds(60)))

        let outcome = try Self.holdingWriteLock(of: fixture.folder.path + "/cc.sqlite") {
            fixture.engine.execute(job, owner: "test")
        }

        // Postponed: not an attempt, so a job that meets many long ingests never gives up for it.
        guard case .postponed(_, _, let reason) = outcome else {
            Issue.record("expected it postponed, got \(outcome)")
            return
        }
        #expect(reason.contains("the store was busy"))
    }

    /// A full push whose acknowledgements cannot be committed goes on after its committed cursor when retried, so
    /// it keeps the counts committed with that cursor, not those of batches whose outcomes were lost.
    @Test func aFullPushThatMeetsABusyStoreKeepsItsCommittedCounts() throws {
        let fixture = try EngineFixture(busyTimeout: 0.2)  // batches of 50
        try fixture.integration()
        try fixture.ingest((0..<200).map { asset("host\($0)") })
        let ids = try fixture.engine.inventory.list(tenant: "acme").sorted { $0.id < $1.id }
        fixture.sink.refuseRequestsContaining =
            "\"\(try #require(ids[50].document["asset"]?["hostname"]?.stringValue))\""
        fixture.sink.refusalStatus = 503
        let first = try fixture.push("acme-sink", full: true)
        #expect(first.pushCursor == ids[49].id)
        #expect(first.stats?["acknowledged"] == 50)

        fixture.sink.refuseRequestsContaining = nil
        fixture.clock.advance(600)
        let job = try #require(
            try fixture.engine.queue.lease(owner: "test", now: fixture.clock.now, lease: .seconds(60)))
        let outcome = try Self.holdingWriteLock(of: fixture.folder.path + "/cc.sqlite") {
            fixture.engine.execute(job, owner: "test")
        }
        guard case .postponed(_, let stats, let reason) = outcome else {
            Issue.record("expected it postponed, got \(outcome)")
            return
        }
        #expect(reason.contains("the store was busy"))
        #expect(stats.selected == 50)
        #expect(stats.acknowledged == 50)
    }

    /// Once a commit of acknowledgements fails, the writer writes nothing more (batches after the lost one would
    /// carry a full push's cursor past it) and says so at the next submit; a `finish` waiting meanwhile returns,
    /// throwing. (The race in which it once hung, waking before the dropped batches were cleared, is not forced.)
    @Test func theAcknowledgementWriterStopsAfterAFailedCommit() throws {
        let fixture = try EngineFixture(busyTimeout: 0.2)
        try fixture.integration()
        let writer = AcknowledgementWriter(
            delivery: fixture.engine.delivery, lease: nil, integration: "acme-sink", tenant: "acme", mapping: [],
            clock: { Date() })
        func ack(_ id: String) -> [DeliveryRepository.Acknowledgement] {
            [.init(recordID: id, contentHash: "h-\(id)", externalID: nil)]
        }
        let finished = DispatchSemaphore(value: 0)
        let outcome = LockedList()
        try Self.holdingWriteLock(of: fixture.folder.path + "/cc.sqlite") {
            try writer.submit(acknowledged: ack("first"), refused: [])
            Thread.sleep(forTimeInterval: 0.05)  // its commit waits 0.2 s for the lock, then fails
            try writer.submit(acknowledged: ack("second"), refused: [])  // queued behind that commit
            Thread.detachNewThread {
                outcome.append((try? writer.finish()) == nil ? "threw" : "returned")
                finished.signal()
            }
            #expect(finished.wait(timeout: .now() + 5) == .success, "finish hung")
        }
        #expect(outcome.items == ["threw"])
        #expect(throws: (any Error).self) { try writer.submit(acknowledged: ack("third"), refused: []) }
        let kept = try fixture.store.pool.read {
            try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM sync_state WHERE integration = 'acme-sink'")!
        }
        #expect(kept == 0)
    }

    @Test func busyIsToldApartFromOtherErrors() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("busy-\(getpid())").path
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let store = try Store(path: folder + "/cc.sqlite", busyTimeout: 0.1)
        try Self.holdingWriteLock(of: folder + "/cc.sqlite") {
            #expect { try store.pool.write { try $0.execute(sql: "DELETE FROM tenant") } } throws: { Store.isBusy($0) }
        }
        #expect(!Store.isBusy(CocoaError(.fileNoSuchFile)))
    }

    /// Runs `body` while another connection holds the store's write lock, as another process's ingest would.
    static func holdingWriteLock<T>(of path: String, _ body: () throws -> T) throws -> T {
        let other = try DatabaseQueue(path: path)
        let held = DispatchSemaphore(value: 0)
        let release = DispatchSemaphore(value: 0)
        let done = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            try? other.inTransaction(.immediate) { _ in
                held.signal()
                release.wait()
                return .rollback
            }
            done.signal()
        }
        held.wait()
        defer {
            release.signal()
            done.wait()
        }
        return try body()
    }
}
