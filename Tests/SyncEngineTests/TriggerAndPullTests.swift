import Foundation
import GRDB
import Inventory
import JSONCore
import SyncEngine
import TestSupport
import Testing

@Suite struct TriggerTests {
    @Test func weakRecordBecomesARealtimeJobAtOnce() throws {
        let fixture = try EngineFixture()
        try fixture.integration(realtime: true)
        try fixture.ingest([asset("calm", risk: 1)])
        #expect(try fixture.engine.pollEvents() == 1)  // the discovery
        try fixture.engine.drain(owner: "t")

        let started = ContinuousClock.now
        try fixture.ingest([asset("legacy", risk: 9, suite: "TLS_RSA_WITH_RC4_128_SHA")])
        #expect(try fixture.engine.pollEvents() == 1)
        #expect(ContinuousClock.now - started < .seconds(1))
        let job = try #require(try fixture.engine.queue.jobs(integration: "acme-sink", limit: 1).first)
        #expect(job.trigger == .realtime)
        #expect(job.priority == Job.Priority.critical)
        #expect(job.recordIDs?.count == 1)
        try fixture.engine.drain(owner: "t")
        #expect(fixture.sink.stored.values.contains { $0.fields["name"] == "legacy" })
        #expect(try fixture.engine.pollEvents() == 0)  // events are consumed once

        // The host fixed: no alert says so, a configuration change does, and the target shows the fix as soon as it
        // showed the alert (it waited for the next scheduled or manual push).
        try fixture.ingest([asset("legacy", risk: 1)])
        #expect(try fixture.engine.pollEvents() == 1)
        let fixed = try #require(try fixture.engine.queue.jobs(integration: "acme-sink", limit: 1).first)
        #expect(fixed.trigger == .realtime)
        try fixture.engine.drain(owner: "t")
        #expect(fixture.sink.stored.values.first { $0.fields["name"] == "legacy" }?.fields["risk"] == 10)
    }

    /// Events that come while the integration's plugin version is not loaded (pinned to one a new host has not
    /// found yet) still make their job: it waits for the plugin, retried, and delivers once the plugin is there.
    @Test func eventsWhileThePluginIsAwayAreNotPassedOver() throws {
        let fixture = try EngineFixture()
        try fixture.integration(realtime: true)
        func pin(_ version: String) throws {
            try fixture.store.pool.write { db in
                try db.execute(sql: "UPDATE integration SET version_pin = ?", arguments: [version])
            }
        }
        try pin("9.9.9")
        try fixture.ingest([asset("legacy", risk: 9)])
        #expect(try fixture.engine.pollEvents() == 1)
        let waiting = try #require(try fixture.engine.runNext(owner: "t"))
        #expect(waiting.state == .queued)
        #expect(waiting.error?.contains("plugin fixture-rest-sink@9.9.9 is not loaded") == true)

        try pin("1.0.0")
        fixture.clock.advance(600)
        try fixture.engine.drain(owner: "t")
        #expect(fixture.sink.stored.values.contains { $0.fields["name"] == "legacy" })
    }

    /// A tenant's real-time integration hears its tenant's next events after another tenant, whose events were
    /// the newest, is removed (and their numbers handed out again).
    @Test func eventsAfterAnotherTenantIsRemovedAreHeard() throws {
        let fixture = try EngineFixture()
        try fixture.integration(tenant: "globex")
        try fixture.ingest((0..<5).map { asset("g\($0)") }, tenant: "globex")
        try fixture.integration(tenant: "acme", realtime: true)
        try fixture.engine.integrations.removeTenant("globex")
        try fixture.ingest([asset("legacy", risk: 9)], tenant: "acme")
        #expect(try fixture.engine.pollEvents() == 1)
    }

    /// While a real-time job waits (its target down), later events add their records to it instead of queuing a
    /// job each, and the more urgent event raises its priority.
    @Test func eventsJoinTheRealtimeJobStillWaiting() throws {
        let fixture = try EngineFixture()
        try fixture.integration(realtime: true)
        try fixture.ingest([asset("first", risk: 1)])
        #expect(try fixture.engine.pollEvents() == 1)
        try fixture.ingest([asset("second", risk: 9, suite: "TLS_RSA_WITH_RC4_128_SHA")])
        #expect(try fixture.engine.pollEvents() == 0)
        let jobs = try fixture.engine.queue.jobs(integration: "acme-sink")
        #expect(jobs.count == 1)
        #expect(jobs.first?.recordIDs?.count == 2)
        #expect(jobs.first?.priority == Job.Priority.critical)
    }

    @Test func integrationsOnlyHearTheirTenantsSubscribedEvents() throws {
        let fixture = try EngineFixture()
        try fixture.integration(tenant: "acme", realtime: true)
        try fixture.integration(tenant: "globex", realtime: false)
        try fixture.ingest([asset("x", risk: 9)], tenant: "globex")
        #expect(try fixture.engine.pollEvents() == 0)
        try fixture.ingest([asset("y", risk: 9)], tenant: "acme")
        #expect(try fixture.engine.pollEvents() == 1)
        #expect(try fixture.engine.queue.jobs(integration: "globex-sink").isEmpty)
    }

    /// A host's runners never all go to one plugin: one that hangs (its calls run to their deadline) would stall
    /// every other integration; the jobs of its other integrations wait while it holds its share.
    @Test func onePluginHoldsAtMostItsShareOfTheRunners() throws {
        let fixture = try EngineFixture()
        try fixture.integration(tenant: "acme")
        try fixture.integration(tenant: "globex")
        let first = try fixture.engine.queue.enqueue(
            integration: "acme-sink", tenant: "acme", kind: .push, trigger: .manual)
        let second = try fixture.engine.queue.enqueue(
            integration: "globex-sink", tenant: "globex", kind: .push, trigger: .manual)
        let queue = fixture.engine.queue
        #expect(try queue.lease(owner: "a", now: fixture.clock.now, lease: .seconds(60), runnerShare: 1)?.id == first)
        #expect(try queue.lease(owner: "b", now: fixture.clock.now, lease: .seconds(60), runnerShare: 1) == nil)
        #expect(try queue.lease(owner: "b", now: fixture.clock.now, lease: .seconds(60), runnerShare: 2)?.id == second)
    }

    /// Below critical priority, jobs take at most a host's runners less one, whatever their plugin: the last runner
    /// is an alert's, even one of a plugin at its share. Another tenant's bulk refreshes held an alert's push back
    /// until one of them ended.
    @Test func oneRunnerIsAlwaysFreeForAnAlert() throws {
        let fixture = try EngineFixture()
        for tenant in ["t1", "t2", "t3", "acme"] { try fixture.integration(tenant: tenant) }
        // t1-t3 each of a plugin of its own, none at its share: only the reserve holds the third back.
        try fixture.store.pool.write { db in
            for tenant in ["t1", "t2", "t3"] {
                try db.execute(
                    sql: "UPDATE integration SET plugin_id = ? WHERE id = ?",
                    arguments: ["p-\(tenant)", "\(tenant)-sink"])
            }
        }
        let queue = fixture.engine.queue
        func enqueue(_ tenant: String, _ priority: Int) throws -> Int64 {
            try queue.enqueue(
                integration: "\(tenant)-sink", tenant: tenant, kind: .push, trigger: .schedule, priority: priority)
        }
        func lease(_ owner: String) throws -> Job? {
            try queue.lease(owner: owner, now: fixture.clock.now, lease: .seconds(60), runnerShare: 2)  // 3 runners
        }
        for tenant in ["t1", "t2", "t3"] { _ = try enqueue(tenant, Job.Priority.bulk) }
        #expect(try lease("a") != nil)
        #expect(try lease("b") != nil)
        #expect(try lease("c") == nil)  // the third runner is kept for an alert
        let alert = try enqueue("acme", Job.Priority.critical)
        #expect(try lease("c")?.id == alert)
    }

    /// An alert's push may take the last runner even from a plugin at its share; other jobs of the plugin wait.
    @Test func anAlertMayGoPastItsPluginsShare() throws {
        let fixture = try EngineFixture()
        for tenant in ["t1", "t2", "t3", "acme"] { try fixture.integration(tenant: tenant) }
        let queue = fixture.engine.queue
        func lease(_ owner: String) throws -> Job? {
            try queue.lease(owner: owner, now: fixture.clock.now, lease: .seconds(60), runnerShare: 2)
        }
        for tenant in ["t1", "t2"] {
            _ = try queue.enqueue(integration: "\(tenant)-sink", tenant: tenant, kind: .push, trigger: .manual)
        }
        #expect(try lease("a") != nil)
        #expect(try lease("b") != nil)  // the plugin runs its share
        _ = try queue.enqueue(integration: "t3-sink", tenant: "t3", kind: .push, trigger: .manual)
        #expect(try lease("c") == nil)
        let alert = try queue.enqueue(
            integration: "acme-sink", tenant: "acme", kind: .push, trigger: .realtime, priority: Job.Priority.critical)
        #expect(try lease("c")?.id == alert)
    }

    @Test func criticalWorkIsLeasedBeforeBulkWork() throws {
        let fixture = try EngineFixture()
        try fixture.integration(id: "bulk")
        try fixture.integration(id: "urgent")
        let bulk = try fixture.engine.queue.enqueue(
            integration: "bulk", tenant: "acme", kind: .push, trigger: .schedule, priority: Job.Priority.bulk)
        let urgent = try fixture.engine.queue.enqueue(
            integration: "urgent", tenant: "acme", kind: .push, trigger: .realtime, priority: Job.Priority.critical)
        #expect(try fixture.engine.queue.lease(owner: "a", now: fixture.clock.now, lease: .seconds(60))?.id == urgent)
        #expect(try fixture.engine.queue.lease(owner: "b", now: fixture.clock.now, lease: .seconds(60))?.id == bulk)
    }

    @Test func scheduleFiresOnTime() throws {
        let fixture = try EngineFixture()
        try fixture.integration(schedule: "*/15 * * * *")
        #expect(try fixture.engine.tickSchedules(now: fixture.clock.now) == 0)  // 09:00: the first run is set to 09:15
        fixture.clock.advance(14 * 60)
        #expect(try fixture.engine.tickSchedules(now: fixture.clock.now) == 0)
        fixture.clock.advance(60)
        #expect(try fixture.engine.tickSchedules(now: fixture.clock.now) == 2)  // pull and push
        #expect(try fixture.engine.tickSchedules(now: fixture.clock.now) == 0)
        let next = try #require(try fixture.engine.integrations.integration("acme-sink")?.nextRunAt)
        #expect(next == ISODates.parse("2026-11-26T09:30:00Z"))
    }

    /// An integration whose plugin version is not loaded misses its run, said in the log; the others still run.
    @Test func aMissingPluginHoldsBackNoOtherSchedule() throws {
        let fixture = try EngineFixture()
        try fixture.integration(tenant: "acme", schedule: "*/15 * * * *")
        try fixture.integration(tenant: "globex", schedule: "*/15 * * * *")
        try fixture.store.pool.write { db in
            try db.execute(sql: "UPDATE integration SET version_pin = '9.9.9' WHERE tenant = 'acme'")
        }
        _ = try fixture.engine.tickSchedules(now: fixture.clock.now)
        fixture.clock.advance(15 * 60)
        #expect(try fixture.engine.tickSchedules(now: fixture.clock.now) == 2)  // globex's pull and push
        #expect(fixture.log.entries.contains { $0.message.contains("scheduled sync of acme-sink skipped") })
        #expect(
            try fixture.engine.integrations.integration("acme-sink")?.nextRunAt
                == ISODates.parse("2026-11-26T09:30:00Z"))
    }

    @Test func cronExpressions() throws {
        let start = ISODates.parse("2026-11-26T09:07:30Z")!  // a Thursday
        func next(_ text: String) throws -> String { ISODates.dateTime(try Schedule(text).next(after: start)) }
        #expect(try next("hourly") == "2026-11-26T10:00:00Z")
        #expect(try next("daily") == "2026-11-27T02:00:00Z")
        #expect(try next("weekly") == "2026-11-29T02:00:00Z")
        #expect(try next("30 8 * * 1-5") == "2026-11-27T08:30:00Z")
        #expect(try next("0 0 1 * *") == "2026-12-01T00:00:00Z")
        #expect(try next("*/20 9 * * *") == "2026-11-26T09:20:00Z")
        #expect(throws: Schedule.Problem.self) { try Schedule("every tuesday") }
        #expect { try Schedule("61 * * * *") } throws: { "\($0)".contains("minute field \"61\" is outside 0-59") }
        #expect { try Schedule("5-1 * * * *") } throws: { "\($0)".contains("minute range \"5-1\" runs backwards") }
        #expect { try Schedule("0 12 * DEC-FEB *") } throws: {
            "\($0)".contains("write 12,1-2 to go round, or 2-12")
        }
        #expect { try Schedule("1,2,,3 * * * *") } throws: { "\($0)".contains("an empty item in the minute field") }
        #expect { try Schedule("0 0 31 2 *") } throws: { "\($0)".contains("never fires") }
        #expect(try next("0 0 29 2 *") == "2028-02-29T00:00:00Z")
        // Both day fields restricted: either day runs; one beginning with `*`: both must match (Vixie cron).
        #expect(try next("0 2 1 * MON") == "2026-11-30T02:00:00Z")
        #expect(try next("0 2 */2 * MON") == "2026-12-07T02:00:00Z")
        // Names, in any case, as cron takes them.
        #expect(try next("30 8 * * MON-FRI") == "2026-11-27T08:30:00Z")
        #expect(try next("0 0 1 jan *") == "2027-01-01T00:00:00Z")
        #expect(try next("0 9 * * sat,Sun") == "2026-11-28T09:00:00Z")
        #expect { try Schedule("0 9 * * MONDAY") } throws: {
            "\($0)".contains("\"MONDAY\" in the day of week field is no name; use SUN, MON, TUE, WED, THU, FRI, SAT")
        }
    }

    @Test func expiredLeasesReturnToTheQueue() throws {
        let fixture = try EngineFixture()
        try fixture.integration()
        try fixture.engine.queue.enqueue(integration: "acme-sink", tenant: "acme", kind: .push, trigger: .manual)
        let leased = try #require(
            try fixture.engine.queue.lease(owner: "dead-host", now: fixture.clock.now, lease: .seconds(60)))
        #expect(try fixture.engine.queue.lease(owner: "b", now: fixture.clock.now, lease: .seconds(60)) == nil)
        #expect(try fixture.engine.queue.recoverLeases(now: fixture.clock.now.addingTimeInterval(30)) == 0)
        #expect(try fixture.engine.queue.recoverLeases(now: fixture.clock.now.addingTimeInterval(61)) == 1)
        #expect(
            try fixture.engine.queue.lease(owner: "b", now: fixture.clock.now, lease: .seconds(60))?.id == leased.id)
    }
}

@Suite struct PullTests {
    @Test func pullPagesCorrelatesAndTakesIdentityFieldsFromTheITAMSystem() throws {
        let fixture = try EngineFixture()
        try fixture.integration()
        fixture.engine.pageSize = 2
        try fixture.ingest([asset("web01", environment: "staging"), asset("db01"), asset("lonely")])
        fixture.sink.assets = [
            ["id": "cmdb-1", "name": "web01", "environment": "production", "serial_number": "SN-42", "risk": 10],
            // A CI our own push created: blank fields are unknown there, not values to take over.
            ["id": "cmdb-2", "name": "db01", "environment": "production", "serial_number": ""],
            ["id": "cmdb-3", "name": "printer7", "ip_address": "10.9.9.9"],
        ]
        let found = try fixture.engine.integrations.integration("acme-sink")!
        try fixture.engine.enqueueSync(found, trigger: .manual, full: false, kinds: [.pull])
        try fixture.engine.drain(owner: "t")
        let job = try #require(try fixture.engine.queue.jobs(integration: "acme-sink", limit: 1).first)
        #expect(job.state == .succeeded, "\(job.error ?? "")")
        #expect(job.stats?["pulled"] == 3)
        #expect(job.stats?["correlated"] == 2)
        #expect(job.stats?["calls"] == 2)  // two pages
        #expect(job.stats?["enriched"] == 1)
        #expect(job.stats?["errors"] == nil)

        let contexts = try AssetContextRepository(store: fixture.store).contexts(integration: "acme-sink")
        #expect(contexts.map(\.externalKey) == ["cmdb-1", "cmdb-2", "cmdb-3"])
        #expect(contexts[2].correlated.isEmpty)
        #expect(contexts[0].record[path: "crypto_implementation.risk_score"] == 1)  // reverse of scale_to_100

        // Identity fields belong to the ITAM system; crypto fields stay the platform's.
        let web = try #require(
            try fixture.engine.inventory.list(tenant: "acme").first { $0.document[path: "asset.hostname"] == "web01" })
        #expect(web.document[path: "asset.environment"] == "production")
        #expect(web.document[path: "asset.serial_number"] == "SN-42")
        #expect(web.document[path: "crypto_implementation.risk_score"] == 3)
    }
}

extension PullTests {
    /// A full pull handed back at a stop goes on from its last stored page when taken up again, instead of
    /// starting over (on a host restarted often, a large one would never finish).
    @Test func aStoppedFullPullGoesOnFromItsCheckpoint() throws {
        let fixture = try EngineFixture()
        try fixture.integration()
        fixture.engine.pageSize = 2
        fixture.sink.assets = (0..<6).map { ["id": .string("cmdb-\($0)"), "name": .string("host\($0)")] }
        try fixture.engine.enqueueSync(
            try #require(try fixture.engine.integrations.integration("acme-sink")), trigger: .manual, full: true,
            kinds: [.pull])
        fixture.engine.stopRequested = true  // handed back after its first page
        #expect(try fixture.engine.runNext(owner: "t")?.state == .queued)
        fixture.engine.stopRequested = false
        try fixture.engine.drain(owner: "t")
        let job = try #require(try fixture.engine.queue.jobs(integration: "acme-sink", limit: 1).first)
        #expect(job.state == .succeeded)
        #expect(job.stats?["pulled"] == 6)
        #expect(job.stats?["calls"] == 3)  // three pages in all, none twice
    }

    /// A record kept with a discovery time in the future (stored before such times were refused) still takes the
    /// ITAM system's fields: its enrichment is not checked against the clock again.
    @Test func aRecordWithAStoredFutureTimeIsStillEnriched() throws {
        let fixture = try EngineFixture()
        try fixture.integration()
        try fixture.ingest([asset("web01")])
        try fixture.store.pool.write { db in
            try db.execute(sql: "UPDATE inventory_record SET discovered_at = '2062-11-26T00:00:00Z'")
        }
        fixture.sink.assets = [["id": "cmdb-1", "name": "web01", "serial_number": "SN-42"]]
        try fixture.engine.enqueueSync(
            try #require(try fixture.engine.integrations.integration("acme-sink")), trigger: .manual, full: false,
            kinds: [.pull])
        try fixture.engine.drain(owner: "t")
        let job = try #require(try fixture.engine.queue.jobs(integration: "acme-sink", limit: 1).first)
        #expect(job.stats?["enriched"] == 1, "\(job.stats?.serialized() ?? "")")
        let web = try #require(try fixture.engine.inventory.list(tenant: "acme").first)
        #expect(web.document[path: "asset.serial_number"] == "SN-42")
    }

    /// A pull fills in a serial number the scanner does not know; the next scan of the same estate changes nothing,
    /// so nothing is sent again and no alert repeats.
    @Test func aRescanAfterAPullChangesNothingAndSendsNothing() throws {
        let fixture = try EngineFixture()
        let integration = try fixture.integration()
        let scan = [asset("web01", risk: 8)]
        try fixture.ingest(scan)
        _ = try fixture.push("acme-sink")
        fixture.sink.assets = [["id": "cmdb-1", "name": "web01", "serial_number": "SN-42"]]
        try fixture.engine.enqueueSync(integration, trigger: .manual, full: false, kinds: [.pull])
        try fixture.engine.drain(owner: "t")
        #expect(try fixture.push("acme-sink").stats?["acknowledged"] == 1)  // the serial number, once

        let rescan = try fixture.ingest(scan)
        #expect(rescan.counts.unchanged == 1)
        #expect(rescan.counts.events.isEmpty)
        #expect(try fixture.push("acme-sink").stats?["selected"] == 0)
    }
}

extension PullTests {
    /// Crypto fields given to the ITAM system: the CI gives them back as text, as ServiceNow's Table API does, and
    /// the values arrive typed. A score the push rounded (7.25 sent as 73) is no change when it comes back; a score
    /// the ITAM system changed is.
    @Test func pulledTextIsTypedAndARoundedScoreIsNoChange() throws {
        let fixture = try EngineFixture()
        let integration = try fixture.integration(
            mapping: [
                ["source_field": "asset.hostname", "target_field": "name"],
                ["source_field": "crypto_implementation.key_size", "target_field": "key_size"],
                [
                    "source_field": "crypto_implementation.risk_score", "target_field": "risk",
                    "transform": "scale_to_100",
                ],
            ], sourceOfTruth: ["crypto_implementation": "itam"])
        try fixture.ingest([
            [
                "asset": ["hostname": "web01"],
                "crypto_implementation": ["protocol": "TLS", "port": 443, "key_size": 2048, "risk_score": 7.25],
            ]
        ])
        let eventsBefore = try fixture.engine.inventory.events(tenant: "acme").count
        func pull(_ fields: JSON, errors: JSON? = nil) throws -> JSON {
            fixture.sink.assets = [fields]
            try fixture.engine.enqueueSync(integration, trigger: .manual, full: false, kinds: [.pull])
            try fixture.engine.drain(owner: "t")
            let job = try #require(try fixture.engine.queue.jobs(integration: "acme-sink", limit: 1).first)
            #expect(job.stats?["errors"] == errors)
            return try #require(try fixture.engine.inventory.list(tenant: "acme").first).document
        }
        var record = try pull(["id": "cmdb-1", "name": "web01", "key_size": "2048", "risk": "73"])
        #expect(record[path: "crypto_implementation.risk_score"] == 7.25)
        #expect(try fixture.engine.inventory.events(tenant: "acme").count == eventsBefore)

        record = try pull(["id": "cmdb-1", "name": "web01", "key_size": "4096", "risk": "40"])
        #expect(record[path: "crypto_implementation.key_size"] == 4096)
        #expect(record[path: "crypto_implementation.risk_score"] == 4)

        // A value validation refuses is named by the CI it came from and the record it was for.
        let id = try fixture.engine.inventory.list(tenant: "acme")[0].id
        record = try pull(
            ["id": "cmdb-1", "name": "web01", "key_size": "lots", "risk": "40"],
            errors: [
                .string(
                    "enrichment from cmdb-1 (for record \(id)): crypto_implementation.key_size: must be a positive "
                        + "integer, got \"lots\"")
            ])
        #expect(record[path: "crypto_implementation.key_size"] == 4096)

        // A value no transform could have made is named too, not dropped unseen; a blank one is unknown.
        record = try pull(
            ["id": "cmdb-1", "name": "web01", "key_size": "", "risk": "abc"],
            errors: [
                .string(
                    "enrichment from cmdb-1 (for record \(id)): crypto_implementation.risk_score: risk: expected a "
                        + "number 0-100, got \"abc\"")
            ])
        #expect(record[path: "crypto_implementation.risk_score"] == 4)
    }
}

extension PullTests {
    /// Two CIs share an address (a virtual IP, NAT, a reused lease): the one that names another host is another
    /// machine, so its serial number never reaches this record. A CI that names the host by its short name is the
    /// same machine.
    @Test func aCINamingAnotherHostIsNotCorrelatedByASharedAddress() throws {
        let fixture = try EngineFixture()
        let integration = try fixture.integration()
        func endpoint(_ host: String, _ ip: String) -> JSON {
            [
                "asset": ["hostname": .string(host), "ip_address": .string(ip)],
                "crypto_implementation": ["protocol": "TLS", "port": 443],
            ]
        }
        try fixture.ingest([endpoint("web01.example.com", "10.0.0.5"), endpoint("web02.example.com", "10.0.0.6")])
        fixture.sink.assets = [
            ["id": "cmdb-rogue", "name": "rogue-box", "ip_address": "10.0.0.5", "serial_number": "ROGUE-1"],
            ["id": "cmdb-web01", "name": "web01.example.com", "ip_address": "10.0.0.5", "serial_number": "SN-1"],
            ["id": "cmdb-web02", "name": "web02", "ip_address": "10.0.0.6", "serial_number": "SN-2"],
            // The same short name in another domain is another host.
            [
                "id": "cmdb-staging", "name": "web01.staging.example.com", "ip_address": "10.0.0.5",
                "serial_number": "ST-1",
            ],
        ]
        try fixture.engine.enqueueSync(integration, trigger: .manual, full: false, kinds: [.pull])
        try fixture.engine.drain(owner: "t")
        let job = try #require(try fixture.engine.queue.jobs(integration: "acme-sink", limit: 1).first)
        #expect(job.stats?["correlated"] == 2)
        let contexts = try AssetContextRepository(store: fixture.store).contexts(integration: "acme-sink")
        #expect(contexts.first { $0.externalKey == "cmdb-rogue" }?.correlated == [])
        #expect(contexts.first { $0.externalKey == "cmdb-staging" }?.correlated == [])
        let serials = try fixture.engine.inventory.list(tenant: "acme").map {
            "\($0.document[path: "asset.hostname"]?.stringValue ?? "?")=\($0.document[path: "asset.serial_number"]?.stringValue ?? "-")"
        }
        #expect(serials.sorted() == ["web01.example.com=SN-1", "web02.example.com=SN-2"])
    }
}

extension TriggerTests {
    /// Real time switched on later reacts to events from then on, not to the backlog since the integration was added.
    @Test func realTimeSwitchedOnLaterIgnoresTheBacklog() throws {
        let fixture = try EngineFixture()
        try fixture.integration()
        try fixture.ingest([asset("old1", risk: 9), asset("old2", risk: 9)])
        var changes = IntegrationChanges()
        changes.realtime = true
        changes.testConnection = false
        _ = try fixture.engine.updateIntegration("acme-sink", changes)
        #expect(try fixture.engine.pollEvents() == 0)
        try fixture.ingest([asset("new1", risk: 9)])
        #expect(try fixture.engine.pollEvents() == 1)
    }
}

@Suite struct StatusTests {
    @Test func statusShowsTheMetricsBox() throws {
        let fixture = try EngineFixture()
        try fixture.integration()
        fixture.sink.rejectFieldValue = "bad"
        try fixture.ingest([asset("a"), asset("b"), asset("bad")])
        _ = try fixture.push("acme-sink")
        let status = try #require(try fixture.engine.status(now: fixture.clock.now).first)
        #expect(status.health == "degraded")
        #expect(status.recordsSyncedToday == 2)
        #expect(status.openErrors == 1)
        #expect(abs((status.successRate ?? 0) - 2.0 / 3.0) < 0.001)
        #expect((status.averageLatencyMilliseconds ?? 0) > 0)
        #expect(status.lastSync != nil)
    }

    /// A failed job is an open error until a job of its kind succeeds after it; then it counts as resolved, and
    /// the box shows the integration healthy. The JSON carries the schedule and next run the box shows.
    @Test func aFailureFixedSinceIsResolved() throws {
        let fixture = try EngineFixture()
        try fixture.integration(schedule: "daily")
        try fixture.ingest([asset("a")])
        fixture.sink.refuseRequestsContaining = "\"a\""  // the target refuses the batch whole
        #expect(try fixture.push("acme-sink").state == .failed)
        var status = try #require(try fixture.engine.status(now: fixture.clock.now).first)
        #expect(status.openErrors == 1)
        fixture.sink.refuseRequestsContaining = nil
        #expect(try fixture.push("acme-sink").state == .succeeded)
        status = try #require(try fixture.engine.status(now: fixture.clock.now).first)
        #expect(status.openErrors == 0)
        #expect(status.resolvedErrors == 1)
        #expect(status.health == "healthy")
        #expect(status.json["schedule"] == "daily")
        #expect(status.json["next_run"]?.stringValue != nil)
    }

    /// A job that went back to the queue (its host stopped) goes on counting from what it had done; records synced
    /// today are the records, whichever jobs sent them and however often.
    @Test func countsGoOnAcrossAttemptsAndRecordsAreCountedOnce() throws {
        let fixture = try EngineFixture()
        let integration = try fixture.integration()
        try fixture.ingest([asset("a"), asset("b"), asset("c")])
        try fixture.engine.enqueueSync(integration, trigger: .manual, full: false, kinds: [.push])
        let queued = try #require(try fixture.engine.queue.jobs(integration: "acme-sink", limit: 1).first)
        try fixture.engine.queue.requeue(
            queued.id, notBefore: nil, stats: ["pushed": 40, "acknowledged": 40, "retry_later": 2, "calls": 1])
        try fixture.engine.drain(owner: "test")
        let job = try #require(try fixture.engine.queue.job(queued.id))
        #expect(job.stats?["acknowledged"] == 43)
        #expect(job.stats?["calls"] == 2)
        #expect(job.stats?["retry_later"] == 0)
        _ = try fixture.push("acme-sink", full: true)
        #expect(try fixture.engine.status(now: fixture.clock.now).first?.recordsSyncedToday == 3)
    }
}

extension StatusTests {
    /// An integration removed and added again under its name starts without the old one's HTTP metrics, also in a
    /// host that ran the old one: its runtime's metrics carried over, and a job that ended after the removal saved
    /// them again (its status showed the old latency, and `metrics` listed a removed integration).
    @Test func anIntegrationAddedAgainStartsWithoutTheOldOnesMetrics() throws {
        let fixture = try EngineFixture()
        try fixture.integration()
        try fixture.ingest([asset("a")])
        #expect(try fixture.push("acme-sink").state == .succeeded)
        #expect(try fixture.engine.status(now: fixture.clock.now).first?.averageLatencyMilliseconds != nil)
        let old = try fixture.engine.runtime(
            for: try #require(try fixture.engine.integrations.integration("acme-sink")))

        try fixture.engine.integrations.remove("acme-sink")
        // A job of the old one ending after the removal saves its metrics.
        try fixture.store.saveMetrics(
            integration: "acme-sink", document: try #require(old.http).metrics.snapshot.json.serialized(),
            ifStored: true)
        #expect(try fixture.store.metricsDocuments().isEmpty)

        try fixture.integration()
        let status = try #require(try fixture.engine.status(now: fixture.clock.now).first)
        #expect(status.averageLatencyMilliseconds == nil)
        let again = try fixture.engine.runtime(
            for: try #require(try fixture.engine.integrations.integration("acme-sink")))
        #expect(again.http?.metrics.snapshot.attempts == 0)
    }
}

extension PullTests {
    /// A pull does not start from a page another job stored: it would count only the rest and look complete.
    @Test func aPullStartsFromItsOwnPageOnly() throws {
        let fixture = try EngineFixture()
        try fixture.integration()
        fixture.engine.pageSize = 2
        fixture.sink.assets = (0..<6).map { ["id": .string("cmdb-\($0)"), "name": .string("host\($0)")] }
        try fixture.store.pool.write {  // left by a pull job that gave up on its third page
            try $0.execute(
                sql: """
                    INSERT INTO integration_state (integration, key, value)
                    VALUES ('acme-sink', '__pull_cursor', '4'), ('acme-sink', '__pull_cursor_job', '999')
                    """)
        }
        try fixture.engine.enqueueSync(
            try #require(try fixture.engine.integrations.integration("acme-sink")), trigger: .manual, full: false,
            kinds: [.pull])
        try fixture.engine.drain(owner: "t")
        let job = try #require(try fixture.engine.queue.jobs(integration: "acme-sink", limit: 1).first)
        #expect(job.state == .succeeded)
        #expect(job.stats?["pulled"] == 6)
    }
}
