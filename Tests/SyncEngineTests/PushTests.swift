import Foundation
import GRDB
import HostServices
import Inventory
import JSONCore
import LoopbackHTTP
import PluginRuntime
import Store
import SyncEngine
import TestSupport
import Testing

@Suite struct PushTests {
    @Test func deltaPushSendsOnlyWhatChangedAndNeverDuplicates() throws {
        let fixture = try EngineFixture()
        try fixture.integration()
        try fixture.ingest((0..<120).map { asset("host\($0)") })
        var job = try fixture.push("acme-sink")
        #expect(job.state == .succeeded)
        #expect(job.stats?["acknowledged"] == 120)
        #expect(fixture.sink.created == 120)
        #expect(fixture.sink.stored.values.first?.fields["risk"] == 30)  // mapped with scale_to_100

        job = try fixture.push("acme-sink")
        #expect(job.stats?["selected"] == 0)

        try fixture.ingest([asset("host7", risk: 9)])
        job = try fixture.push("acme-sink")
        #expect(job.stats?["selected"] == 1)
        #expect(fixture.sink.created == 120)  // an update, not a second record
        let changed = try #require(fixture.sink.stored.values.first { $0.fields["name"] == "host7" })
        #expect(changed.writes == 2)
        #expect(changed.fields["risk"] == 90)

        job = try fixture.push("acme-sink", full: true)
        #expect(job.stats?["selected"] == 120)
        #expect(fixture.sink.created == 120)
        let ids = try fixture.engine.delivery.externalID(
            integration: "acme-sink", recordID: try fixture.engine.inventory.list(tenant: "acme").first!.id)
        #expect(ids?.hasPrefix("sink-") == true)
    }

    /// Draining stops at the first look that finds no job due: it used to look up to its limit (1000 write
    /// transactions of the job queue) after the last job, which a benchmark's timed push paid for.
    @Test func drainingStopsWhenNoJobIsDue() throws {
        let fixture = try EngineFixture()
        let integration = try fixture.integration()
        try fixture.ingest((0..<3).map { asset("host\($0)") })
        try fixture.engine.enqueueSync(integration, trigger: .manual, full: false, kinds: [.push])
        let looks = LockedList()  // one item each time the engine reads its clock
        let clock = fixture.clock
        fixture.engine.clock = {
            looks.append("now")
            return clock.now
        }
        try fixture.engine.drain(owner: "test")
        #expect(try fixture.engine.queue.jobs(integration: "acme-sink", limit: 5).map(\.state) == [.succeeded])
        #expect(looks.items.count < 100, "the clock was read \(looks.items.count) times for one job")
    }

    /// A full push handed back at a stop (SIGTERM) and taken up again goes on after the batches it had sent, instead
    /// of starting over: every record reaches the target once for the job, and the job's counts say so.
    @Test func aStoppedFullPushGoesOnWhereItStopped() throws {
        let fixture = try EngineFixture()  // batches of 50
        let integration = try fixture.integration()
        try fixture.ingest((0..<120).map { asset("host\($0)") })
        _ = try fixture.push("acme-sink")  // each record sent once and acknowledged: only a full push sends it again
        try fixture.engine.enqueueSync(integration, trigger: .manual, full: true, kinds: [.push])
        fixture.engine.stopRequested = true  // each attempt hands the job back after its first batch
        for _ in 0..<2 { #expect(try fixture.engine.runNext(owner: "test")?.state == .queued) }
        fixture.engine.stopRequested = false
        try fixture.engine.drain(owner: "test")

        let job = try #require(try fixture.engine.queue.jobs(integration: "acme-sink", limit: 1).first)
        #expect(job.state == .succeeded)
        #expect(job.attempts == 1)  // handed back at a stop twice: no attempts used up
        #expect(fixture.sink.stored.count == 120)
        #expect(Set(fixture.sink.stored.values.map(\.writes)) == [2])  // the delta push, then the full one
        #expect(job.stats?["selected"] == 120)
        #expect(job.stats?["pushed"] == 120)
        #expect(job.stats?["acknowledged"] == 120)
        #expect(job.stats?["calls"] == 3)
    }

    /// From the target's first Retry-After on, the batches in flight reach it one at a time, each after the answer
    /// to the one before.
    @Test func aThrottlingTargetGetsOneRequestAtATime() throws {
        let fixture = try EngineFixture()  // batches of 50
        try fixture.integration()
        try fixture.ingest((0..<300).map { asset("host\($0)") })
        fixture.sink.latency = 0.05
        fixture.sink.queue(HTTPServerResponse(status: 429, headers: [("Retry-After", "1")]))
        let job = try fixture.push("acme-sink")
        #expect(job.state == .succeeded)
        #expect(job.stats?["acknowledged"] == 300)
        let answers = fixture.sink.answered
        let throttled = try #require(answers.first { $0.status == 429 })
        let after = answers.filter { $0.arrived > throttled.answered.addingTimeInterval(0.5) }
        // The throttled batch again, and those not yet sent: four, or three when the batch beside the throttled one
        // came back first and the next one went out before the 429 did (a busy machine orders them either way).
        #expect(after.count >= 4)
        for (index, span) in after.enumerated().dropFirst() {
            #expect(span.arrived >= after[index - 1].answered, "request \(index) overlapped the one before it")
        }
    }

    /// A target far away answers a batch while the next ones are with it: a push starts with two in flight, and
    /// once the target has taken eight without a pause it keeps four with it. Outcomes are taken in order, so the
    /// counts are those of a push with one in flight.
    @Test func aPushWidensOnceTheTargetKeepsUp() throws {
        let fixture = try EngineFixture()  // batches of 50
        try fixture.integration()
        try fixture.ingest((0..<1000).map { asset("host\($0)") })
        fixture.sink.latency = 0.1
        let job = try fixture.push("acme-sink")
        #expect(job.state == .succeeded)
        #expect(job.stats?["acknowledged"] == 1000)
        let spans = fixture.sink.answered.sorted { $0.arrived < $1.arrived }
        func mostAtOnce(_ spans: ArraySlice<(arrived: Date, answered: Date, status: Int)>) -> Int {
            spans.map { span in spans.filter { $0.arrived <= span.arrived && $0.answered > span.arrived }.count }
                .max() ?? 0
        }
        #expect(mostAtOnce(spans.prefix(8)) == 2)
        #expect(mostAtOnce(spans.dropFirst(8)) == 4)
        #expect(job.stats?["selected"] == 1000)
        #expect(job.stats?["calls"] == 20)
        #expect(fixture.sink.created == 1000)
        #expect(try fixture.push("acme-sink").stats?["selected"] == 0)
    }

    /// A batch that fails ends the job, but the batch sent beside it reached the target: its acknowledgements are
    /// kept, so the next push sends only what was not delivered.
    @Test func aFailedBatchKeepsWhatTheBatchBesideItDelivered() throws {
        let fixture = try EngineFixture()  // batches of 50
        try fixture.integration()
        try fixture.ingest((0..<200).map { asset("host\($0)") })
        let first = try #require(try fixture.engine.inventory.list(tenant: "acme").map(\.id).min())
        let hostname = try #require(
            try fixture.engine.inventory.list(tenant: "acme").first { $0.id == first }?.document["asset"]?["hostname"])
        fixture.sink.latency = 0.5  // long enough for the second worker to start while the first batch is out
        fixture.sink.refuseRequestsContaining = "\"\(hostname.stringValue!)\""
        let failed = try fixture.push("acme-sink")
        #expect(failed.state == .failed)
        #expect(fixture.sink.mostConcurrentRequests == 2)
        #expect(failed.stats?["acknowledged"] == 50)  // the second batch, sent beside the first
        #expect(fixture.sink.stored.count == 50)

        fixture.sink.refuseRequestsContaining = nil
        let retried = try fixture.push("acme-sink")
        #expect(retried.state == .succeeded)
        #expect(retried.stats?["selected"] == 150)
        #expect(fixture.sink.created == 200)
    }

    /// A full push that fails midway is retried after its last committed batch; the batches sent after it are sent
    /// again, and counted once.
    @Test func aRetriedFullPushCountsEveryRecordOnce() throws {
        let fixture = try EngineFixture()  // batches of 50
        try fixture.integration()
        try fixture.ingest((0..<200).map { asset("host\($0)") })
        let ids = try fixture.engine.inventory.list(tenant: "acme").sorted { $0.id < $1.id }
        let inSecondBatch = try #require(ids[50].document["asset"]?["hostname"]?.stringValue)
        fixture.sink.refuseRequestsContaining = "\"\(inSecondBatch)\""
        fixture.sink.refusalStatus = 503  // the target fails on it: the job is retried, not failed
        let failed = try fixture.push("acme-sink", full: true)
        #expect(failed.state == .queued)
        #expect(failed.pushCursor == ids[49].id)
        #expect(failed.stats?["acknowledged"] == 50)  // up to the cursor: what comes after is sent again

        fixture.sink.refuseRequestsContaining = nil
        fixture.clock.advance(600)
        try fixture.engine.drain(owner: "test")
        let job = try #require(try fixture.engine.queue.job(failed.id))
        #expect(job.state == .succeeded)
        #expect(job.stats?["selected"] == 200)
        #expect(job.stats?["acknowledged"] == 200)
        #expect(fixture.sink.created == 200)
    }

    @Test func refusedRecordsGoToTheDeadLetterQueueAndReplay() throws {
        let fixture = try EngineFixture()
        try fixture.integration()
        fixture.sink.rejectFieldValue = "TLS_RSA_WITH_RC4_128_SHA"
        try fixture.ingest([asset("good1"), asset("bad1", suite: "TLS_RSA_WITH_RC4_128_SHA"), asset("good2")])
        let job = try fixture.push("acme-sink")
        #expect(job.state == .succeeded)
        #expect(job.stats?["acknowledged"] == 2)
        #expect(job.stats?["dead_lettered"] == 1)
        let letters = try fixture.engine.delivery.deadLetters(integration: "acme-sink")
        #expect(letters.count == 1)
        #expect(letters[0].errorCode == "data_error")
        #expect(letters[0].error == "field value TLS_RSA_WITH_RC4_128_SHA is not allowed")
        #expect(letters[0].payload["fields"]?["name"] == "bad1")
        #expect(letters[0].attempts == 1)

        // Parked: the next delta does not send it again until it changes or is replayed.
        #expect(try fixture.push("acme-sink").stats?["selected"] == 0)

        fixture.sink.rejectFieldValue = nil
        try fixture.engine.delivery.prepareReplay([letters[0]])
        try fixture.engine.queue.enqueue(
            integration: "acme-sink", tenant: "acme", kind: .push, trigger: .replay, recordIDs: [letters[0].recordID])
        try fixture.engine.drain(owner: "test")
        #expect(try fixture.engine.delivery.deadLetters(integration: "acme-sink").isEmpty)
        #expect(try fixture.engine.delivery.deadLetters(integration: "acme-sink", state: "resolved").count == 1)
        #expect(fixture.sink.stored.count == 3)
    }

    @Test func authFailurePausesTheIntegrationWithoutARetryStorm() throws {
        let fixture = try EngineFixture()
        fixture.sink.requiredToken = "right-token"
        try fixture.integration(token: "wrong-token-1234")
        try fixture.ingest([asset("a"), asset("b")])
        let job = try fixture.push("acme-sink")
        #expect(job.state == .queued)  // waiting for the integration to resume
        let integration = try #require(try fixture.engine.integrations.integration("acme-sink"))
        #expect(integration.pausedReason?.contains("refused the credentials") == true)
        #expect(fixture.sink.requests == 1)
        // Paused: nothing runs until it is enabled again.
        try fixture.engine.queue.enqueue(integration: "acme-sink", tenant: "acme", kind: .push, trigger: .manual)
        #expect(try fixture.engine.runNext(owner: "t") == nil)
        #expect(!fixture.log.entries.contains { $0.message.contains("wrong-token-1234") })
        // Two records selected, none delivered: that is no 100% success.
        let status = try #require(try fixture.engine.status(now: fixture.clock.now).first)
        #expect(status.health == "paused")
        #expect(status.successRate == 0)
        #expect(status.openErrors == 1)  // the job refused, waiting

        // New credentials resume it, and the waiting push delivers its records: a real-time-only integration
        // has no later push to send them (they used to stay behind, the job failed, until a manual sync).
        fixture.sink.requiredToken = nil
        var changes = IntegrationChanges()
        changes.configuration = [
            "base_url": .string(fixture.sink.baseURL), "path": "/records", "auth": ["type": "bearer", "token": "new"],
        ]
        _ = try fixture.engine.updateIntegration("acme-sink", changes)
        try fixture.engine.drain(owner: "t")
        #expect(try fixture.engine.queue.job(job.id)?.state == .succeeded)
        #expect(fixture.sink.stored.count == 2)
        #expect(try fixture.engine.status(now: fixture.clock.now).first?.health == "healthy")
    }

    /// A failed push of a few records (real-time) stays an open error until a push of every pending record
    /// succeeds: a later real-time push of other records used to mark it resolved, and the status said healthy while
    /// the records it was for never arrived.
    @Test func aFailedRealTimePushIsFixedOnlyByAPushThatSendsItsRecords() throws {
        let fixture = try EngineFixture()
        try fixture.integration()
        try fixture.ingest([asset("a"), asset("b")])
        let records = try fixture.engine.inventory.list(tenant: "acme")
        func pushOnly(_ record: StoredRecord) throws -> Job {
            let id = try fixture.engine.queue.enqueue(
                integration: "acme-sink", tenant: "acme", kind: .push, trigger: .realtime,
                priority: Job.Priority.critical, recordIDs: [record.id])
            try fixture.engine.drain(owner: "t")
            return try #require(try fixture.engine.queue.job(id))
        }
        fixture.sink.queue(HTTPServerResponse(status: 400, json: #"{"error":"refused whole"}"#))
        #expect(try pushOnly(records[0]).state == .failed)
        #expect(try pushOnly(records[1]).state == .succeeded)
        var status = try #require(try fixture.engine.status(now: fixture.clock.now).first)
        #expect(status.openErrors == 1)
        #expect(status.resolvedErrors == 0)
        #expect(status.health == "degraded")
        #expect(status.successRate == 0.5)

        #expect(try fixture.push("acme-sink").state == .succeeded)  // a delta push sends the record left behind
        #expect(fixture.sink.stored.count == 2)
        status = try #require(try fixture.engine.status(now: fixture.clock.now).first)
        #expect(status.openErrors == 0)
        #expect(status.resolvedErrors == 1)
    }

    /// A host whose key (or none) cannot open an integration's credentials keeps its job waiting, said, instead of
    /// failing it for good: the records it was for went with it. A host with the store's key runs it.
    @Test func aJobWhoseCredentialsTheKeyCannotOpenWaits() throws {
        let fixture = try EngineFixture()
        let integration = try fixture.integration(token: "tok-waits")
        try fixture.ingest([asset("a")])
        let clock = fixture.clock
        let keyless = SyncEngine(
            store: fixture.store, catalog: fixture.engine.catalog, supervisor: PluginSupervisor(log: CollectingLog()),
            vault: nil, log: CollectingLog(), clock: { clock.now })
        defer { keyless.supervisor.shutdown() }
        try keyless.enqueueSync(integration, trigger: .manual, full: false, kinds: [.push])
        let waiting = try #require(try keyless.runNext(owner: "t"))
        #expect(waiting.state == .queued)
        #expect(waiting.error?.contains("has sealed secrets, but no master key is configured") == true)
        #expect(waiting.error?.contains("the job waits for a host with the store's key") == true)
        #expect(try keyless.runNext(owner: "t") == nil)  // not at once again
        fixture.clock.advance(61)
        try fixture.engine.drain(owner: "t")
        #expect(try fixture.engine.queue.job(waiting.id)?.state == .succeeded)
        #expect(fixture.sink.stored.count == 1)
    }

    @Test func serverTroubleRetriesWithBackoffUntilItWorks() throws {
        let fixture = try EngineFixture()
        try fixture.integration()
        try fixture.ingest([asset("a")])
        // Two 503s exhaust the HTTP layer's two attempts; the job is requeued for later.
        fixture.sink.queue(HTTPServerResponse(status: 503), HTTPServerResponse(status: 503))
        var job = try fixture.push("acme-sink")
        #expect(job.state == .queued)
        #expect(job.error?.contains("server_error") == true)
        // While it waits to try again, the status says what is wrong instead of "healthy, no errors".
        var status = try #require(try fixture.engine.status(now: fixture.clock.now).first)
        #expect(status.health == "failing")
        #expect(status.openErrors == 1)
        #expect(status.lastError?.contains("server_error") == true)
        #expect(status.successRate == 0)  // the attempt that failed counts, though the job has not finished
        let notBefore = try #require(job.notBefore)
        #expect(notBefore > fixture.clock.now)
        #expect(try fixture.engine.runNext(owner: "t") == nil)  // not before its time
        fixture.clock.advance(10)
        try fixture.engine.drain(owner: "t")
        job = try fixture.engine.queue.job(job.id)!
        #expect(job.state == .succeeded)
        #expect(job.attempts == 2)
        #expect(fixture.sink.created == 1)
        status = try #require(try fixture.engine.status(now: fixture.clock.now).first)
        #expect(status.health == "healthy")
        #expect(status.openErrors == 0)
        // Counted once over both attempts: one record selected, pushed and acknowledged.
        #expect(job.stats?["selected"] == 1)
        #expect(job.stats?["acknowledged"] == 1)
        #expect(job.stats?["pushed"] == 1)
    }

    /// A push never gives up on a target that is down (a real-time-only integration has no later push to send
    /// its records): past the attempts a pull gets, it goes on retrying, and delivers once the target is back.
    @Test func aPushOutlastsAnOutage() throws {
        let fixture = try EngineFixture()
        fixture.engine.maximumAttempts = 1
        try fixture.integration()
        try fixture.ingest([asset("a")])
        // Two attempts of the job, two requests each (fewer than open the circuit breaker, which keeps real time).
        let unavailable = HTTPServerResponse(status: 503)
        fixture.sink.queue(unavailable, unavailable, unavailable, unavailable)
        var job = try fixture.push("acme-sink")
        #expect(job.state == .queued)
        fixture.clock.advance(600)
        _ = try fixture.engine.runNext(owner: "t")
        job = try #require(try fixture.engine.queue.job(job.id))
        #expect(job.state == .queued)  // past its attempts, still to retry
        #expect(job.attempts == 2)
        fixture.clock.advance(600)
        try fixture.engine.drain(owner: "t")
        #expect(try fixture.engine.queue.job(job.id)?.state == .succeeded)
        #expect(fixture.sink.created == 1)
    }

    /// `--wait` does not wait out an outage: once the jobs left have used their attempts and go on retrying, it
    /// says so and leaves them to `serve`.
    @Test func aWaitEndsWhenTheJobsLeftGoOnRetrying() throws {
        let fixture = try EngineFixture()
        fixture.engine.maximumAttempts = 1
        try fixture.integration()
        try fixture.ingest([asset("a")])
        fixture.sink.refuseRequestsContaining = "\"a\""
        fixture.sink.refusalStatus = 503
        let ids = try fixture.engine.enqueueSync(
            try #require(try fixture.engine.integrations.integration("acme-sink")), trigger: .manual, full: false,
            kinds: [.push])
        let waited = try fixture.engine.runUntilFinished(ids, integration: "acme-sink", owner: "t")
        #expect(waited.stillRetrying)
        #expect(waited.jobs.first?.state == .queued)
    }

    @Test func throttlingIsWaitedOutInsideTheCall() throws {
        let fixture = try EngineFixture()
        try fixture.integration()
        try fixture.ingest([asset("a")])
        fixture.sink.queue(HTTPServerResponse(status: 429, headers: [("Retry-After", "1")]))
        let started = Date()
        let job = try fixture.push("acme-sink")
        #expect(job.state == .succeeded)
        #expect(Date().timeIntervalSince(started) >= 0.95)
    }

    @Test func tenantsNeverSeeEachOthersRecords() throws {
        let fixture = try EngineFixture()
        let other = try RecordSinkServer()
        try fixture.integration(tenant: "acme")
        try fixture.integration(tenant: "globex", sinkURL: other.baseURL)
        try fixture.ingest([asset("acme-web"), asset("shared")], tenant: "acme")
        try fixture.ingest([asset("globex-db"), asset("shared", risk: 8)], tenant: "globex")
        fixture.sink.rejectFieldValue = "acme-web"
        _ = try fixture.push("acme-sink")
        _ = try fixture.push("globex-sink")
        #expect(Set(fixture.sink.stored.values.compactMap { $0.fields["name"]?.stringValue }) == ["shared"])
        #expect(Set(other.stored.values.compactMap { $0.fields["name"]?.stringValue }) == ["globex-db", "shared"])
        #expect(other.stored.values.first { $0.fields["name"] == "shared" }?.fields["risk"] == 80)
        #expect(try fixture.engine.delivery.deadLetters(tenant: "acme").count == 1)
        #expect(try fixture.engine.delivery.deadLetters(tenant: "globex").isEmpty)
        #expect(try fixture.engine.queue.jobs(integration: "globex-sink").allSatisfy { $0.tenant == "globex" })
    }
}

@Suite struct ClockedFieldTests {
    /// Days left on a certificate changes with the clock, not with the record: the target must not keep yesterday's
    /// count, and records whose fields do not depend on the clock are not sent again.
    @Test func aCountOfDaysLeftIsSentAgainOnceItDrops() throws {
        let fixture = try EngineFixture()  // the clock starts at 2026-11-26T09:00:00Z
        try fixture.integration(mapping: Self.daysLeft)
        var withCertificate = asset("web1").objectValue!
        withCertificate["certificate"] = ["common_name": "web1", "expiration_date": "2026-12-06T12:00:00Z"]
        try fixture.ingest([.object(withCertificate), asset("ssh1")])
        func stored(_ name: String) throws -> RecordSinkServer.Stored {
            try #require(fixture.sink.stored.values.first { $0.fields["name"] == .string(name) })
        }

        #expect(try fixture.push("acme-sink").stats?["selected"] == 2)
        #expect(try stored("web1").fields["days_left"] == 10)  // 10 days and 3 hours

        fixture.clock.advance(2 * 3600 + 59 * 60)  // 11:59: still 10 days
        #expect(try fixture.push("acme-sink").stats?["selected"] == 0)
        #expect(
            try fixture.engine.delivery.pendingCount(integration: "acme-sink", tenant: "acme", now: fixture.clock.now)
                == 0)

        fixture.clock.advance(61)  // 12:00:01: 9 days and 23:59:59
        #expect(
            try fixture.engine.delivery.pendingCount(integration: "acme-sink", tenant: "acme", now: fixture.clock.now)
                == 1)
        #expect(try fixture.push("acme-sink").stats?["selected"] == 1)
        #expect(try stored("web1").fields["days_left"] == 9)
        #expect(try stored("web1").writes == 2)
        #expect(try stored("ssh1").writes == 1)
        #expect(fixture.sink.created == 2)

        fixture.clock.advance(3600)  // the next drop is tomorrow at 12:00
        #expect(try fixture.push("acme-sink").stats?["selected"] == 0)
    }

    /// A database from before the host remembered when counts drop: what a mapping that reads the clock sent is
    /// due once after the upgrade, so stale counts already in the target are corrected; other integrations are not.
    @Test func anUpgradeCorrectsCountsSentBefore() throws {
        let fixture = try EngineFixture()
        try fixture.integration(id: "clocked", mapping: Self.daysLeft)
        try fixture.integration(id: "plain")
        var withCertificate = asset("web1").objectValue!
        withCertificate["certificate"] = ["common_name": "web1", "expiration_date": "2026-12-06T12:00:00Z"]
        try fixture.ingest([.object(withCertificate), asset("ssh1")])
        _ = try fixture.push("clocked")
        _ = try fixture.push("plain")
        try fixture.store.pool.write { db in
            try db.execute(
                sql: """
                    ALTER TABLE sync_state DROP COLUMN refresh_after;
                    DELETE FROM grdb_migrations WHERE identifier = 'v6-sync-refresh';
                    """)
        }

        let upgraded = DeliveryRepository(store: try Store(path: fixture.folder.path + "/cc.sqlite"))
        #expect(try upgraded.pendingCount(integration: "clocked", tenant: "acme", now: fixture.clock.now) == 2)
        #expect(try upgraded.pendingCount(integration: "plain", tenant: "acme", now: fixture.clock.now) == 0)
    }

    static let daysLeft: JSON = [
        ["source_field": "asset.hostname", "target_field": "name"],
        [
            "source_field": "certificate.expiration_date", "target_field": "days_left",
            "transform": "date_to_days_remaining",
        ],
    ]
}

extension PushTests {
    /// A changed mapping is what the target should hold from now on: the next push sends every record again, to
    /// the items it has (updated, not created again). An update that leaves the mapping as it was sends nothing.
    @Test func aChangedMappingSendsEveryRecordAgainToItsItems() throws {
        let fixture = try EngineFixture()
        let integration = try fixture.integration()
        try fixture.ingest([asset("web01"), asset("web02")])
        #expect(try fixture.push("acme-sink").stats?["acknowledged"] == 2)

        var same = IntegrationChanges()
        same.mapping = integration.mapping
        same.testConnection = false
        #expect(try fixture.engine.updateIntegration("acme-sink", same).remapped == false)
        #expect(try fixture.push("acme-sink").stats?["selected"] == 0)

        var changes = IntegrationChanges()
        changes.mapping = [
            ["source_field": "asset.hostname", "target_field": "name"],
            ["source_field": "asset.environment", "target_field": "env", "transform": "uppercase"],
        ]
        changes.testConnection = false
        #expect(try fixture.engine.updateIntegration("acme-sink", changes).remapped)
        #expect(try fixture.push("acme-sink").stats?["acknowledged"] == 2)
        #expect(fixture.sink.created == 2)
        #expect(fixture.sink.stored.values.map { $0.fields["env"] } == [.string("PRODUCTION"), .string("PRODUCTION")])
        #expect(try fixture.push("acme-sink").stats?["selected"] == 0)
    }
}

extension PushTests {
    /// A plugin dropped into the plugins directory of a running host is loaded at its first job, not at the next
    /// periodic scan (those jobs used to retry with "not loaded" for up to half a minute), and the log says so.
    /// A miss right after a scan does not scan again. Its file deleted, the build is unloaded (it ran on).
    @Test func aPluginDroppedInIsUsedByTheNextJob() throws {
        let fixture = try EngineFixture()
        try fixture.integration()
        try fixture.ingest((0..<3).map { asset("host\($0)") })
        let plugins = fixture.folder.directory("later-plugins")
        let (engine, log) = try fixture.otherHost(plugins: plugins)
        let catalog = engine.catalog
        catalog.rescanOnMissAfter = .seconds(3600)
        defer { engine.supervisor.shutdown() }
        fixture.folder.copy(PackagePaths.plugin("fixture-rest-sink"), to: "later-plugins/libfixture-rest-sink.so")
        #expect(throws: PluginCatalog.NotFound.self) { try catalog.resolve("fixture-rest-sink") }

        catalog.rescanOnMissAfter = .zero
        try engine.enqueueSync(
            try #require(try engine.integrations.integration("acme-sink")), trigger: .manual, full: false,
            kinds: [.push])
        try engine.drain(owner: "test")
        #expect(try engine.queue.jobs(integration: "acme-sink", limit: 1).first?.state == .succeeded)
        #expect(fixture.sink.stored.count == 3)
        #expect(log.entries.contains { $0.message == "loaded fixture-rest-sink@1.0.0 from the plugins directory" })

        // Removing the file unloads its build at the next scan: a bad build is rolled back by deleting it.
        try FileManager.default.removeItem(atPath: plugins + "/libfixture-rest-sink.so")
        catalog.rescanOnMissAfter = .seconds(3600)
        try catalog.refresh()
        #expect(throws: PluginCatalog.NotFound.self) { try catalog.resolve("fixture-rest-sink") }
        #expect(
            log.entries.contains {
                $0.message == "unloaded fixture-rest-sink@1.0.0: its file is gone from the plugins directory"
            })
    }
}

extension PushTests {
    /// A pause the target asked for holds for another process of the store: a runner that takes up the job (a
    /// `--wait`, a restarted host) sends nothing before it ends. It used to send at once, throttled again.
    @Test(arguments: [false, true])
    func aTargetsPauseHoldsForEveryProcess(otherRanBefore: Bool) throws {
        let fixture = try EngineFixture()
        let integration = try fixture.integration()
        try fixture.ingest([asset("a")])
        let (other, _) = try fixture.otherHost()
        defer { other.supervisor.shutdown() }
        // A host that ran the integration before keeps its runtime: it too keeps to the pause.
        if otherRanBefore { _ = try other.runtime(for: integration) }

        // Longer than a caller waits (30 s): the push goes back to the queue to retry after it.
        fixture.sink.queue(HTTPServerResponse(status: 429, headers: [("Retry-After", "120")]))
        #expect(try fixture.push("acme-sink").state == .queued)
        let requests = fixture.sink.requests
        try other.drain(owner: "other")  // its clock is past the retry time the first engine set
        #expect(fixture.sink.requests == requests)
        let job = try #require(try other.queue.jobs(integration: "acme-sink", limit: 1).first)
        #expect(job.state == .queued)
        #expect(job.error?.contains("throttled for another") == true, "\(job.error ?? "")")
    }
}

extension PushTests {
    /// A stop (SIGTERM) does not wait out a pause the target asked for: the request in hand gives up its wait and
    /// the job goes back to the queue, instead of holding the stop for as long as the target said (a service
    /// manager kills a host that takes longer than its stop timeout).
    @Test func aStopDoesNotWaitOutTheTargetsPause() throws {
        let fixture = try EngineFixture()
        try fixture.integration()
        try fixture.ingest([asset("a")])
        fixture.sink.queue(HTTPServerResponse(status: 429, headers: [("Retry-After", "20")]))
        try fixture.engine.enqueueSync(
            try #require(try fixture.engine.integrations.integration("acme-sink")), trigger: .manual, full: false,
            kinds: [.push])
        let done = DispatchSemaphore(value: 0)
        let engine = fixture.engine
        Thread.detachNewThread {
            _ = try? engine.runNext(owner: "test")
            done.signal()
        }
        while fixture.sink.requests < 1 { Thread.sleep(forTimeInterval: 0.02) }
        Thread.sleep(forTimeInterval: 0.3)  // waiting out the pause now
        let stopped = ContinuousClock.now
        fixture.engine.stopRequested = true
        done.wait()
        #expect(ContinuousClock.now - stopped < .seconds(5))
        #expect(fixture.sink.requests == 1)
        // Handed back: the stop is no failed attempt of the job, and no open error.
        let job = try #require(try fixture.engine.queue.jobs(integration: "acme-sink", limit: 1).first)
        #expect(job.state == .queued)
        #expect(job.attempts == 0)
        #expect(job.error == nil)
    }
}

extension PushTests {
    /// A new build of a plugin makes the jobs its integrations held back due at once (a quarantined build's jobs
    /// waited five minutes after the fix was dropped in).
    @Test func aNewBuildMakesHeldBackJobsDue() throws {
        let fixture = try EngineFixture()
        try fixture.integration()
        try fixture.ingest([asset("a")])
        let plugins = fixture.folder.directory("fixed-plugins")
        let (engine, _) = try fixture.otherHost(plugins: plugins)
        let catalog = engine.catalog
        defer { engine.supervisor.shutdown() }
        let held = try engine.queue.enqueue(
            integration: "acme-sink", tenant: "acme", kind: .push, trigger: .realtime,
            notBefore: Date().addingTimeInterval(300))
        fixture.folder.copy(PackagePaths.plugin("fixture-rest-sink"), to: "fixed-plugins/libfixture-rest-sink.so")
        try catalog.refresh()
        try engine.drain(owner: "test")
        #expect(try engine.queue.job(held)?.state == .succeeded)
        #expect(fixture.sink.stored.count == 1)
    }
}
