import Foundation
import GRDB
import JSONCore
import Store
import SyncEngine
import TestSupport
import Testing

/// Ids a user and the logs name things by stay unique for the life of the store.
@Suite struct IdentityReuseTests {
    /// A push of two records to a sink that refuses one of them: one job, one dead letter.
    func pushWithADeadLetter() throws -> (EngineFixture, Job) {
        let fixture = try EngineFixture()
        fixture.sink.rejectFieldValue = "refused-host"
        try fixture.integration()
        try fixture.ingest([asset("refused-host"), asset("web01")])
        return (fixture, try fixture.push("acme-sink"))
    }

    /// An integration removed with the newest job and dead letter, then added again under its name: its first job
    /// and letter get new ids, so `dlq replay 2` or "push job 1" in a log never means two different things.
    @Test func removingAnIntegrationNeverHandsItsJobAndLetterIdsOut() throws {
        let (fixture, first) = try pushWithADeadLetter()
        let letter = try #require(try fixture.engine.delivery.deadLetters(integration: "acme-sink").first)
        try fixture.engine.integrations.remove("acme-sink")

        try fixture.integration()
        let again = try fixture.push("acme-sink")
        let newLetter = try #require(try fixture.engine.delivery.deadLetters(integration: "acme-sink").first)
        #expect(again.id > first.id)
        #expect(newLetter.id > letter.id)
    }

    /// A store made before ids were kept unique keeps its jobs and dead letters, ids and all, through the upgrade.
    @Test func anUpgradedStoreKeepsItsJobsAndLetters() throws {
        let (fixture, job) = try pushWithADeadLetter()
        let letters = try fixture.engine.delivery.deadLetters(integration: "acme-sink")
        try fixture.store.pool.write { db in  // the tables as the earlier migrations left them
            for table in ["job", "dead_letter"] {
                try db.execute(
                    sql: """
                        CREATE TABLE \(table)_plain AS SELECT * FROM \(table);
                        DROP TABLE \(table);
                        ALTER TABLE \(table)_plain RENAME TO \(table);
                        """)
            }
            try db.execute(sql: "DELETE FROM grdb_migrations WHERE identifier = 'v10-ids-never-reused'")
        }

        let upgraded = try Store(path: fixture.folder.path + "/cc.sqlite")
        #expect(try JobQueue(store: upgraded).jobs(integration: "acme-sink").map(\.id) == [job.id])
        #expect(try DeliveryRepository(store: upgraded).deadLetters(integration: "acme-sink") == letters)
        let sql = try upgraded.pool.read { db in
            try String.fetchAll(db, sql: "SELECT sql FROM sqlite_schema WHERE name IN ('job', 'dead_letter')")
        }
        #expect(sql.count == 2 && sql.allSatisfy { $0.contains("AUTOINCREMENT") })
    }
}
