import Foundation
import GRDB
import JSONCore
import Sandbox
import SyncEngine
import Testing

/// Each connector against a simulator that throttles, fails half of its requests, or stops accepting the
/// credentials: the host honours Retry-After, nothing is lost or written twice, and bad credentials pause the
/// integration after one clear error instead of a retry storm.
@Suite struct ResilienceTests {
    @Test(arguments: Connector.allCases)
    func throttlingIsHonouredAndEverythingArrives(_ connector: Connector) throws {
        let (fixture, records) = try ConnectorFixture.ingested(connector)
        fixture.engine.batchSize = 5
        // A few requests a second; a 429 says `Retry-After: 1`.
        try fixture.setFaults([
            "rate_limit": ["limit": connector == .device42 ? 5 : 2, "window_seconds": 1, "retry_after_seconds": 1]
        ])

        let push = try fixture.run(.push)
        #expect(push.state == .succeeded, "\(push.error ?? "")")
        #expect(push.count("acknowledged") == records.count)
        #expect(fixture.hostsNotWrittenOnce(records).isEmpty)

        let served = fixture.requests
        let throttled = served.enumerated().filter { $0.element.status == 429 }
        #expect(!throttled.isEmpty, "the rule never throttled: the test proves nothing")
        // Two batches go out at once until the first 429; the one beside it was on its way before that 429 came
        // back (it arrives at once, or nearly: 0.5 s allows a loaded machine). Every request sent after a 429 waits
        // out its Retry-After.
        var onTheirWay = 0
        for (index, answer) in throttled {
            guard let next = served.dropFirst(index + 1).first else { continue }
            let gap = next.at.timeIntervalSince(answer.at)
            if gap < 0.5 && index == throttled[0].offset && onTheirWay == 0 {
                onTheirWay += 1
                continue
            }
            #expect(gap >= 0.99, "request \(index + 1) came \(gap) s after a 429 with Retry-After: 1")
        }
    }

    /// An answer that is not JSON (a proxy's error page) is the target's fault: the push is retried, not failed
    /// for good, and goes through once the target answers properly.
    @Test(arguments: Connector.allCases)
    func aGarbledAnswerIsRetried(_ connector: Connector) throws {
        let (fixture, records) = try ConnectorFixture.ingested(connector, hosts: 5)
        try fixture.setFaults(["malformed_bodies": true])
        let first = try fixture.run(.push)
        // Device42 reads nothing it needs from the answer to a write it made: that push succeeds as it is.
        #expect(first.state != .failed, "\(first.error ?? "")")
        try fixture.setFaults([:])
        var job = first
        for _ in 0..<3 where job.state == .queued {
            if let notBefore = job.notBefore { Thread.sleep(until: notBefore) }
            try fixture.engine.drain(owner: "test")
            job = try #require(try fixture.engine.queue.job(first.id))
        }
        #expect(job.state == .succeeded, "\(job.error ?? "")")
        #expect(fixture.hostsNotWrittenOnce(records).isEmpty)
    }

    /// A target that is down says why with the retry, in the job and `sync status`, not only "records to retry".
    @Test func aRetrySaysWhy() throws {
        let (fixture, _) = try ConnectorFixture.ingested(.device42, hosts: 3)
        try fixture.setFaults(["error_rate": 1.0])
        let job = try fixture.run(.push)
        #expect(job.state == .queued)
        #expect(job.error?.contains("records to retry (server_error:") == true, "\(job.error ?? "")")
    }

    /// Credentials refused in the middle of Device42's writes: the writes it took before keep their results (the
    /// push pauses the integration, and does not send them again once it is resumed).
    @Test func device42KeepsWhatItWroteBeforeCredentialsWereRefused() throws {
        let (fixture, _) = try ConnectorFixture.ingested(.device42)
        try fixture.setFaults(["latency_ms": 40])
        let engine = fixture.engine
        let integration = try #require(try engine.integrations.integration(fixture.integrationID))
        try engine.enqueueSync(integration, trigger: .manual, full: false, kinds: [.push])
        let done = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            try? engine.drain(owner: "test")
            done.signal()
        }
        func accepted() -> Int { fixture.requests.filter { $0.method == "PUT" && $0.status == 200 }.count }
        let deadline = Date().addingTimeInterval(10)
        while accepted() < 5, Date() < deadline { Thread.sleep(forTimeInterval: 0.01) }
        try fixture.setFaults(["reject_credentials": true])
        done.wait()
        let synced = try engine.store.pool.read { db in
            try Int.fetchOne(
                db, sql: "SELECT COUNT(*) FROM sync_state WHERE integration = ? AND status = 'synced'",
                arguments: [fixture.integrationID])!
        }
        #expect(accepted() >= 5)
        #expect(synced >= accepted())  // every host written is acknowledged (a host's records with it)
        #expect(try engine.integrations.integration(fixture.integrationID)?.pausedReason != nil)
    }

    @Test(arguments: Connector.allCases)
    func aServerFailingHalfItsRequestsLosesNothingAndDuplicatesNothing(_ connector: Connector) throws {
        let (fixture, records) = try ConnectorFixture.ingested(connector)
        let before = fixture.targetRecords()
        try fixture.setFaults(["error_rate": 0.5])

        // Every second request fails. Two batches in flight can fall into step with that pattern, so that one of
        // them meets only failures until its retries run out: the job then retries, and still loses nothing.
        let push = try fixture.runUntilDone(.push)
        #expect(push.state == .succeeded, "\(push.error ?? "")")
        #expect(push.count("acknowledged") == records.count)
        #expect(push.count("dead_lettered") == 0)
        let served = fixture.requests
        #expect(served.filter { $0.status == 503 }.count >= served.count / 2 - 1)

        #expect(fixture.hostsNotWrittenOnce(records).isEmpty)
        let written = fixture.targetRecords()
        let hosts = ConnectorFixture.hosts(records)
        let expectedRecords = before.count + (connector == .serviceNow ? hosts.subtracting(before.keys).count : 0)
        #expect(written.count == expectedRecords)
        if connector == .device42 {
            // One accepted write per device: a retried write never lands twice.
            #expect(served.filter { $0.method == "PUT" && $0.status == 200 }.count == records.count)
        }

        let pull = try fixture.run(.pull)
        #expect(pull.state == .succeeded, "\(pull.error ?? "")")
        #expect(pull.count("pulled") > fixture.engine.pageSize)
    }

    @Test(arguments: Connector.allCases)
    func badCredentialsPauseTheIntegrationAfterOneClearError(_ connector: Connector) throws {
        let (fixture, _) = try ConnectorFixture.ingested(connector)
        try fixture.setFaults(["reject_credentials": true])
        let sentBefore = fixture.requests.count

        let push = try fixture.run(.push)
        #expect(push.state == .queued)  // it waits for new credentials
        #expect(push.error?.hasPrefix("integration paused: the target refused the credentials") == true)
        let integration = try #require(try fixture.engine.integrations.integration(fixture.integrationID))
        let reason = try #require(integration.pausedReason)
        #expect(reason.contains("the target refused the credentials"), "\(reason)")
        #expect(!reason.contains(connector == .lansweeper ? "sandbox-lansweeper-pat" : "password"))
        #expect(fixture.requests.count - sentBefore <= 2, "a retry storm: \(fixture.requests.count - sentBefore)")

        // Paused means paused: a scheduled or manual sync queues nothing that runs, and the target hears nothing.
        let sentAfterPause = fixture.requests.count
        _ = try? fixture.run(.push)
        _ = try? fixture.run(.pull)
        #expect(fixture.requests.count == sentAfterPause)
        let status = try fixture.engine.status(tenant: fixture.tenant).first!
        #expect(status.health == "paused")
    }
}

/// One bad record in a batch fails alone, with the target's own words, and lands in the dead-letter queue; the
/// rest of the batch is delivered.
@Suite struct PartialBatchTests {
    @Test(arguments: Connector.allCases)
    func aRecordTheTargetRefusesFailsAloneAndIsDeadLettered(_ connector: Connector) throws {
        let (fixture, records) = try ConnectorFixture.ingested(connector)
        let expectedError: String
        var bad = records[0]
        if connector == .serviceNow {
            // Two CIs answering to one name: IRE cannot tell which one the record means.
            let host = ConnectorFixture.hosts([records[0]]).first!
            let client = SandboxClient(sandbox: fixture.sandbox)
            for serial in ["DUP-1", "DUP-2"] {
                let created = client.send(
                    "POST", "/api/now/table/cmdb_ci_linux_server", as: "servicenow",
                    body: #"{"name": "\#(host)", "serial_number": "\#(serial)"}"#)
                #expect(created.status == 201)
            }
            expectedError = "MULTIPLE_DUPLICATE_RECORDS"
        } else {
            // A host the ITAM system has never discovered.
            var asset = bad["asset"]!.objectValue!
            asset["hostname"] = "ghost-001.corp.example.com"
            asset["ip_address"] = "192.0.2.77"
            var document = bad.objectValue!
            document["asset"] = .object(asset)
            bad = .object(document)
            try fixture.ingest([bad])
            expectedError = connector == .lansweeper ? "no Lansweeper asset named ghost-001" : "Device ghost-001"
        }

        let push = try fixture.run(.push)
        let total = connector == .serviceNow ? records.count : records.count + 1
        #expect(push.state == .succeeded, "\(push.error ?? "")")
        #expect(push.count("dead_lettered") == 1)
        #expect(push.count("acknowledged") == total - 1)
        let letters = try fixture.engine.delivery.deadLetters(integration: fixture.integrationID)
        #expect(letters.count == 1)
        #expect(letters.first?.error.contains(expectedError) == true, "\(letters.first?.error ?? "no dead letter")")
        let host = bad["asset"]!["hostname"]!.stringValue!
        #expect(letters.first?.payload.serialized().contains(host) == true, "the dead letter keeps what was sent")
    }
}
