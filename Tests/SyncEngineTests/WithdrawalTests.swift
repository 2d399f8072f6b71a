import Foundation
import GRDB
import JSONCore
import LoopbackHTTP
import PluginRuntime
import SyncEngine
import TestSupport
import Testing

/// A running job whose integration is taken back (removed, disabled), and whose one call outlasts its lease.
@Suite struct WithdrawalTests {
    /// Runs the next job on a thread of its own; the returned semaphore is signalled when it has finished.
    func runInBackground(_ fixture: EngineFixture, owner: String = "test") -> DispatchSemaphore {
        let done = DispatchSemaphore(value: 0)
        let engine = fixture.engine
        Thread.detachNewThread {
            _ = try? engine.runNext(owner: owner)
            done.signal()
        }
        return done
    }

    func waitUntil(_ condition: () throws -> Bool) throws {
        let deadline = Date().addingTimeInterval(10)
        while try !condition() {
            guard Date() < deadline else { throw TimedOut() }
            Thread.sleep(forTimeInterval: 0.02)
        }
    }

    struct TimedOut: Error {}

    /// A push of 200 records in batches of 10 to a sink 0.1 s away, running, with its first batches delivered.
    func pushUnderWay(priority: Int = Job.Priority.normal, full: Bool = false) throws -> (
        EngineFixture, DispatchSemaphore
    ) {
        let fixture = try EngineFixture()
        fixture.engine.batchSize = 10
        try fixture.integration()
        try fixture.ingest((0..<200).map { asset("host\($0)") })
        fixture.sink.latency = 0.1
        try fixture.engine.enqueueSync(
            try #require(try fixture.engine.integrations.integration("acme-sink")), trigger: .manual, full: full,
            priority: priority, kinds: [.push])
        let done = runInBackground(fixture)
        try waitUntil { fixture.sink.stored.count >= 20 }
        return (fixture, done)
    }

    /// A pull of `count` assets in pages of 2 from a sink `latency` away, queued (`full`), over an inventory of the
    /// same hosts when `ingested`; `serials` gives each asset a serial number.
    func pullQueued(
        _ count: Int, latency: TimeInterval = 0.1, ingested: Bool = true, serials: Bool = false, full: Bool = true
    ) throws -> EngineFixture {
        let fixture = try EngineFixture()
        try fixture.integration()
        fixture.engine.pageSize = 2
        if ingested { try fixture.ingest((0..<count).map { asset("host\($0)") }) }
        fixture.sink.assets = (0..<count).map {
            var item: [String: JSON] = ["id": .string("cmdb-\($0)"), "name": .string("host\($0)")]
            if serials { item["serial_number"] = .string("SN-\($0)") }
            return .object(item)
        }
        fixture.sink.latency = latency
        try fixture.engine.enqueueSync(
            try #require(try fixture.engine.integrations.integration("acme-sink")), trigger: .manual, full: full,
            kinds: [.pull])
        return fixture
    }

    /// A bulk push makes way for an alert's push at its next batch: handed back, it goes on after the alert's job.
    @Test func aBulkPushMakesWayForAnAlert() throws {
        let (fixture, done) = try pushUnderWay(priority: Job.Priority.bulk)
        let record = try #require(try fixture.engine.inventory.list(tenant: "acme").last)
        let alert = try fixture.engine.queue.enqueue(
            integration: "acme-sink", tenant: "acme", kind: .push, trigger: .realtime,
            priority: Job.Priority.critical, recordIDs: [record.id])
        done.wait()
        #expect(fixture.sink.stored.count < 200)  // it stopped before the end
        fixture.sink.latency = 0
        #expect(try fixture.engine.runNext(owner: "test")?.id == alert)
        try fixture.engine.drain(owner: "test")
        #expect(fixture.sink.stored.count == 200)
        #expect(try fixture.engine.queue.jobs(integration: "acme-sink").allSatisfy { $0.state == .succeeded })
    }

    /// A mapping changed mid-push: the push stops at its next batch and goes on with the new mapping, and what it
    /// had sent with the old one is sent again: every record ends up in the target as the new mapping makes it.
    @Test func aMappingChangedMidPushIsWhatEveryRecordGetsSentWith() throws {
        let (fixture, done) = try pushUnderWay()
        var changes = IntegrationChanges()
        changes.mapping = [["source_field": "asset.hostname", "target_field": "host"]]
        changes.testConnection = false
        _ = try fixture.engine.updateIntegration("acme-sink", changes)
        done.wait()
        // Handed back, the same job goes on with the new mapping and sends again what went with the old one: no
        // other push is needed.
        #expect(try fixture.engine.queue.jobs(integration: "acme-sink").first?.state == .queued)
        fixture.sink.latency = 0
        try fixture.engine.drain(owner: "test")
        #expect(try fixture.engine.queue.jobs(integration: "acme-sink").count == 1)
        #expect(fixture.sink.stored.count == 200)
        #expect(fixture.sink.stored.values.allSatisfy { $0.fields["host"] != nil && $0.fields["name"] == nil })
    }

    /// The same for a full push: it starts over with the new mapping rather than going on after its cursor, which
    /// left what it had sent in the old shape until another push (a real-time-only integration has none).
    @Test func aFullPushWhoseMappingChangedStartsOverWithIt() throws {
        let (fixture, done) = try pushUnderWay(full: true)
        var changes = IntegrationChanges()
        changes.mapping = [["source_field": "asset.hostname", "target_field": "host"]]
        changes.testConnection = false
        _ = try fixture.engine.updateIntegration("acme-sink", changes)
        done.wait()
        fixture.sink.latency = 0
        try fixture.engine.drain(owner: "test")
        let jobs = try fixture.engine.queue.jobs(integration: "acme-sink")
        #expect(jobs.count == 1)
        #expect(jobs.first?.state == .succeeded)
        #expect(jobs.first?.stats?["acknowledged"] == 200)  // each record once, as the new mapping made it
        #expect(fixture.sink.stored.count == 200)
        #expect(fixture.sink.stored.values.allSatisfy { $0.fields["host"] != nil && $0.fields["name"] == nil })
        #expect(try fixture.engine.delivery.pendingCount(integration: "acme-sink", tenant: "acme") == 0)
    }

    /// Removed mid-push: the job stops at its next batch, nothing it acknowledges afterwards is kept, and an
    /// integration added again under the name pushes every record (before, it inherited the late
    /// acknowledgements and skipped those records).
    @Test func aRemovedIntegrationsJobStopsAndLeavesNoSyncState() throws {
        let (fixture, done) = try pushUnderWay()
        try fixture.engine.integrations.remove("acme-sink")
        done.wait()
        let sentBeforeStop = fixture.sink.stored.count
        #expect(sentBeforeStop < 200)
        let left = try fixture.store.pool.read {
            try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM sync_state WHERE integration = 'acme-sink'")!
        }
        #expect(left == 0)

        fixture.sink.latency = 0
        try fixture.integration()
        let again = try fixture.push("acme-sink")
        #expect(again.state == .succeeded)
        #expect(again.stats?["acknowledged"] == 200)
        #expect(fixture.sink.stored.count == 200)
    }

    /// Disabled mid-push: the job stops at its next batch and waits, with no error to show, until the
    /// integration is enabled; then it goes on and every record arrives once.
    @Test func aDisabledIntegrationsJobWaitsUntilItIsEnabled() throws {
        let (fixture, done) = try pushUnderWay()
        try fixture.engine.integrations.setEnabled("acme-sink", false)
        done.wait()
        #expect(fixture.sink.stored.count < 200)
        let waiting = try #require(try fixture.engine.queue.jobs(integration: "acme-sink", limit: 1).first)
        #expect(waiting.state == .queued)
        #expect(waiting.error == nil)
        #expect(try fixture.engine.runNext(owner: "test") == nil)  // not while disabled

        fixture.sink.latency = 0
        try fixture.engine.integrations.setEnabled("acme-sink", true)
        try fixture.engine.drain(owner: "test")
        let finished = try #require(try fixture.engine.queue.jobs(integration: "acme-sink", limit: 1).first)
        #expect(finished.state == .succeeded)
        #expect(finished.stats?["acknowledged"] == 200)
        #expect(finished.stats?["selected"] == 200)
        #expect(fixture.sink.stored.count == 200)
        #expect(Set(fixture.sink.stored.values.map(\.writes)) == [1])
    }

    /// One call that outlasts the lease: the runner renews it meanwhile, so no other runner takes the job and
    /// pushes the same records again (before, the lease was renewed only between batches).
    @Test func aCallLongerThanTheLeaseKeepsItsJob() throws {
        let fixture = try EngineFixture()
        fixture.engine.batchSize = 100
        fixture.engine.lease = .milliseconds(600)
        try fixture.integration()
        try fixture.ingest((0..<20).map { asset("host\($0)") })
        fixture.sink.latency = 1.2
        try fixture.engine.enqueueSync(
            try #require(try fixture.engine.integrations.integration("acme-sink")), trigger: .manual, full: false,
            kinds: [.push])
        let done = runInBackground(fixture, owner: "first")
        try waitUntil { try fixture.engine.queue.jobs(integration: "acme-sink", limit: 1).first?.state == .running }
        fixture.clock.advance(30)  // the lease's time is long gone, by the engine's clock
        Thread.sleep(forTimeInterval: 0.5)  // a heartbeat renews it from there
        #expect(try fixture.engine.queue.recoverLeases(now: fixture.clock.now) == 0)
        #expect(try fixture.engine.runNext(owner: "second") == nil)
        done.wait()
        let job = try #require(try fixture.engine.queue.jobs(integration: "acme-sink", limit: 1).first)
        #expect(job.state == .succeeded)
        #expect(job.attempts == 1)
        #expect(Set(fixture.sink.stored.values.map(\.writes)) == [1])
    }
}

extension WithdrawalTests {
    /// A delta push's counts are committed with its acknowledgements, so a host killed midway leaves them for the
    /// next to count on from: while it runs, the job's record already holds what was acknowledged.
    @Test func aRunningDeltaPushKeepsItsCountsWithItsAcknowledgements() throws {
        let (fixture, done) = try pushUnderWay()
        try waitUntil {
            let running = try fixture.engine.queue.jobs(integration: "acme-sink", limit: 1).first
            return (running?.stats?["acknowledged"]?.intValue ?? 0) >= 10
        }
        let running = try #require(try fixture.engine.queue.jobs(integration: "acme-sink", limit: 1).first)
        #expect(running.state == .running)
        done.wait()
        let finished = try #require(try fixture.engine.queue.jobs(integration: "acme-sink", limit: 1).first)
        #expect(finished.stats?["acknowledged"] == 200)
    }
}

extension WithdrawalTests {
    /// A pull whose job another runner took over (its lease expired while a call hung) stores nothing more: not the
    /// page it has in hand, its enrichments, or a checkpoint that would move the new runner's pull on.
    @Test func aPullTakenOverByAnotherRunnerStoresNothingMore() throws {
        let fixture = try pullQueued(20, serials: true)
        let done = runInBackground(fixture, owner: "first")
        func stored(_ db: Database) throws -> [Int] {
            [
                try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM asset_context")!,
                try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM inventory_record WHERE document LIKE '%SN-%'")!,
                try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM integration_state WHERE key = '__pull_cursor'")!,
            ]
        }
        try waitUntil { try fixture.store.pool.read { try stored($0)[0] } >= 4 }
        // Taken over in one transaction with the count: every write of the first runner's after it is refused.
        let atTakeover = try fixture.store.pool.write { db in
            try db.execute(sql: "UPDATE job SET lease_owner = 'second#1' WHERE state = 'running'")
            return try stored(db)
        }
        #expect(atTakeover[0] < 20)
        done.wait()
        #expect(try fixture.store.pool.read { try stored($0) } == atTakeover)
        // The job is left as the second runner holds it.
        let owner = try fixture.store.pool.read { try String.fetchOne($0, sql: "SELECT lease_owner FROM job") }
        #expect(owner == "second#1")
        #expect(try fixture.engine.queue.jobs(integration: "acme-sink", limit: 1).first?.state == .running)
    }
}

extension WithdrawalTests {
    /// A pull stops at its next page when its integration is disabled, and makes way for an alert's push, as a push
    /// does; each time it goes on from its checkpoint, every asset pulled once. It used to run to its end, calling the
    /// target after the disable and holding the alert back behind every page.
    @Test func aPullStopsWhenDisabledAndMakesWayForAnAlert() throws {
        let fixture = try pullQueued(40)
        func contexts() throws -> Int {
            try fixture.store.pool.read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM asset_context")! }
        }
        var done = runInBackground(fixture)
        try waitUntil { try contexts() >= 4 }
        try fixture.engine.integrations.setEnabled("acme-sink", false)
        done.wait()
        let paused = try #require(try fixture.engine.queue.jobs(integration: "acme-sink", limit: 1).first)
        #expect(paused.state == .queued)
        #expect(try contexts() < 40)

        try fixture.engine.integrations.setEnabled("acme-sink", true)
        done = runInBackground(fixture)
        let before = try contexts()
        try waitUntil { try contexts() >= before + 4 }
        let record = try #require(try fixture.engine.inventory.list(tenant: "acme").first)
        let alert = try fixture.engine.queue.enqueue(
            integration: "acme-sink", tenant: "acme", kind: .push, trigger: .realtime,
            priority: Job.Priority.critical, recordIDs: [record.id])
        done.wait()
        #expect(try contexts() < 40)
        fixture.sink.latency = 0
        #expect(try fixture.engine.runNext(owner: "test")?.id == alert)
        try fixture.engine.drain(owner: "test")
        let pull = try #require(
            try fixture.engine.queue.jobs(integration: "acme-sink", limit: 5).first { $0.kind == .pull })
        #expect(pull.state == .succeeded)
        #expect(pull.stats?["pulled"] == 40)
        #expect(try contexts() == 40)
    }
}

extension WithdrawalTests {
    /// A pull whose runner died (its job requeued, as for a killed host) is taken up from its last stored page with
    /// the counts stored with it: every asset counted once (the pages before the death used to be lost from them).
    @Test func aPullTakenUpAfterItsRunnerDiedCountsEveryPageOnce() throws {
        let fixture = try pullQueued(20, latency: 0.05, ingested: false, full: false)
        let done = runInBackground(fixture, owner: "first")
        try waitUntil {
            try fixture.store.pool.read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM asset_context")! } >= 6
        }
        try fixture.store.pool.write {  // what lease recovery does when the runner's process is gone
            try $0.execute(sql: "UPDATE job SET state = 'queued', lease_owner = NULL, lease_expires = NULL")
        }
        done.wait()
        fixture.sink.latency = 0
        try fixture.engine.drain(owner: "second")
        let job = try #require(try fixture.engine.queue.jobs(integration: "acme-sink", limit: 1).first)
        #expect(job.state == .succeeded)
        #expect(job.stats?["pulled"] == 20)
        #expect(try AssetContextRepository(store: fixture.store).contexts(integration: "acme-sink").count == 20)
    }
}

extension WithdrawalTests {
    /// Removed while its pull was being refused for credentials: the runner notes the job is gone, as for any
    /// job of a removed integration, instead of failing with "no integration" (a runner error in serve's log,
    /// and a raw error out of `sync run --wait`).
    @Test func aJobRefusedForCredentialsAfterItsIntegrationWasRemovedIsJustGone() throws {
        let fixture = try EngineFixture()
        fixture.sink.requiredToken = "right"
        try fixture.integration(token: "wrong")
        fixture.sink.latency = 0.3
        try fixture.engine.enqueueSync(
            try #require(try fixture.engine.integrations.integration("acme-sink")), trigger: .manual, full: false,
            kinds: [.pull])
        let done = DispatchSemaphore(value: 0)
        let failure = LockedList()
        let engine = fixture.engine
        Thread.detachNewThread {
            do { _ = try engine.runNext(owner: "test") } catch { failure.append("\(error)") }
            done.signal()
        }
        try waitUntil { fixture.sink.requests >= 1 }
        try fixture.engine.integrations.remove("acme-sink")
        done.wait()
        #expect(failure.items.isEmpty, "\(failure.items)")
        #expect(try fixture.engine.queue.jobs(integration: "acme-sink").isEmpty)
    }
}

extension WithdrawalTests {
    /// A job that runs on (a plugin call that hangs until its deadline) says so in the log now and then, where
    /// nothing was told until the deadline, minutes later.
    @Test func aJobThatRunsOnSaysSo() throws {
        let fixture = try EngineFixture()
        fixture.engine.lease = .milliseconds(300)
        fixture.engine.longRunningNotice = .milliseconds(200)
        try fixture.integration()
        try fixture.ingest([asset("a")])
        fixture.sink.latency = 1
        #expect(try fixture.push("acme-sink").state == .succeeded)
        #expect(fixture.log.entries.contains { $0.message.hasPrefix("push job 1 for acme-sink has run for 0 min") })
    }
}

extension WithdrawalTests {
    /// A stop waits a grace period for running jobs to hand back at their next batch, then ends the plugin calls
    /// still in progress: one that hangs held the stop until its deadline (five minutes for a push), past a service
    /// manager's stop timeout. Its job goes back to the queue, no attempt used.
    @Test func aStopEndsAPluginCallThatHangs() throws {
        let fixture = try EngineFixture()
        let plugins = fixture.folder.directory("c-plugins")
        fixture.folder.copy(try CFixtures.build("good"), to: "c-plugins/c-fixture.so")
        let (engine, log) = try fixture.otherHost(plugins: plugins)
        try engine.integrations.ensureTenant("acme")
        var request = IntegrationRequest(
            tenant: "acme", plugin: "c-fixture", configuration: [:],
            mapping: [
                ["source_field": "asset.hostname", "target_field": "name"],
                ["source_field": "extensions.none", "target_field": "fault", "transform": #"default("hang")"#],
            ], id: "hangs")
        request.testConnection = false
        let integration = try engine.addIntegration(request).integration
        try fixture.ingest([asset("a")])
        try engine.enqueueSync(integration, trigger: .manual, full: false, kinds: [.push])
        let host = SyncHost(engine: engine)
        host.stopGrace = .milliseconds(500)
        let done = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            try? host.run()
            done.signal()
        }
        try waitUntil { try engine.queue.jobs(integration: "hangs", limit: 1).first?.state == .running }
        Thread.sleep(forTimeInterval: 0.5)  // the call hangs now
        let stopped = ContinuousClock.now
        host.stop()
        done.wait()
        #expect(ContinuousClock.now - stopped < .seconds(10))
        let job = try #require(try engine.queue.jobs(integration: "hangs", limit: 1).first)
        #expect(job.state == .queued)
        #expect(job.attempts == 0)
        #expect(log.entries.contains { $0.message.contains("ending their plugin calls") })
    }
}

extension WithdrawalTests {
    /// A target that never answers: once the stop's grace runs out, the host's own request for the plugin is ended
    /// too. It used to run to its timeout (any length a configuration sets), holding the stop.
    @Test func aStopEndsAnHTTPRequestThatHangs() throws {
        let fixture = try EngineFixture()
        let silent = try RecordingServer { _, _ in HTTPServerResponse(status: 200, delay: 25) }
        try fixture.integration(sinkURL: silent.baseURL)
        try fixture.ingest([asset("a")])
        try fixture.engine.enqueueSync(
            try #require(try fixture.engine.integrations.integration("acme-sink")), trigger: .manual, full: false,
            kinds: [.push])
        let host = SyncHost(engine: fixture.engine)
        host.stopGrace = .milliseconds(500)
        let done = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            try? host.run()
            done.signal()
        }
        try waitUntil { !silent.requests.isEmpty }
        let stopped = ContinuousClock.now
        host.stop()
        done.wait()
        #expect(ContinuousClock.now - stopped < .seconds(10))
        let job = try #require(try fixture.engine.queue.jobs(integration: "acme-sink", limit: 1).first)
        #expect(job.state == .queued)
        #expect(job.attempts == 0)
    }
}

extension WithdrawalTests {
    /// An integration pinned to a build that is gone can be moved to another version, or to the newest, keeping its
    /// sync state: every update used to be refused, and remove + add forgot what it had sent.
    @Test func aPinnedIntegrationMovesToAnotherVersion() throws {
        let fixture = try EngineFixture()
        let plugins = fixture.folder.directory("versions")
        fixture.folder.copy(try CFixtures.build("v100", defines: [#"FIXTURE_VERSION="1.0.0""#]), to: "versions/v100.so")
        fixture.folder.copy(try CFixtures.build("v110", defines: [#"FIXTURE_VERSION="1.1.0""#]), to: "versions/v110.so")
        let (engine, _) = try fixture.otherHost(plugins: plugins)
        let catalog = engine.catalog
        defer { engine.supervisor.shutdown() }
        try engine.integrations.ensureTenant("acme")
        var request = IntegrationRequest(tenant: "acme", plugin: "c-fixture@1.0.0", configuration: [:], id: "pinned")
        request.testConnection = false
        try engine.addIntegration(request)
        try FileManager.default.removeItem(atPath: plugins + "/v100.so")
        try catalog.refresh()

        var realtime = IntegrationChanges()
        realtime.realtime = true
        realtime.testConnection = false
        #expect { try engine.updateIntegration("pinned", realtime) } throws: {
            "\($0)".contains("plugin c-fixture@1.0.0 is not loaded (loaded: 1.1.0)")
        }
        var newest = IntegrationChanges()
        (newest.pluginID, newest.versionPin) = ("c-fixture", .some(nil))
        let moved = try engine.updateIntegration("pinned", newest)
        #expect(moved.connectionTest != nil)  // tested with the build it moves to
        #expect(try engine.integrations.integration("pinned")?.versionPin == nil)
        var pinned = IntegrationChanges()
        (pinned.pluginID, pinned.versionPin) = ("c-fixture", .some("1.1.0"))
        _ = try engine.updateIntegration("pinned", pinned)
        #expect(try engine.integrations.integration("pinned")?.versionPin == "1.1.0")
        var other = IntegrationChanges()
        (other.pluginID, other.versionPin) = ("device42", .some(nil))
        #expect { try engine.updateIntegration("pinned", other) } throws: {
            "\($0)".contains("pinned runs plugin c-fixture, whose version can be chosen")
        }
    }
}
