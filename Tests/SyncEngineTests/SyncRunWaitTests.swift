import Foundation
import JSONCore
import TestSupport
import Testing

/// `sync run --wait` runs its own integration's jobs and stops waiting when the integration stops.
extension SyncCommandTests {
    /// The pull is refused and pauses the integration: the wait ends and says why, and the push it queued stays
    /// queued until the integration is enabled again.
    @Test func syncRunWaitStopsWhenThePullPausesTheIntegration() throws {
        try setUp()
        #expect(try cc(["ingest", records(20), "--tenant", "acme"]).status == 0)
        sink.requiredToken = "rotated-\(UUID().uuidString)"  // the stored token no longer works

        let run = try cc(["sync", "run", "acme-fixture-rest-sink", "--wait"], timeout: .seconds(30))
        #expect(run.status == 1, "\(run.stderr)")
        #expect(run.stdout.contains("pull job 1: failed (integration paused: the target refused the credentials"))
        #expect(run.stdout.contains("push job 2: queued"))
        #expect(run.stderr.contains("integration acme-fixture-rest-sink is paused: the target refused the credentials"))
        #expect(run.stderr.contains("Stopped waiting; 1 of its job(s) stay queued."), "\(run.stderr)")
        #expect(sink.created == 0)

        sink.requiredToken = token
        #expect(try cc(["integrations", "enable", "acme-fixture-rest-sink"]).status == 0)
        let resumed = try cc(["sync", "run", "acme-fixture-rest-sink", "--wait", "--pull-only"], timeout: .seconds(30))
        #expect(resumed.status == 0, "\(resumed.stderr)")
        #expect(sink.created == 20)  // the push left queued ran once the integration was enabled
    }

    /// Another tenant's queued job is left to `serve`.
    @Test func syncRunWaitRunsOnlyItsOwnIntegrationsJobs() throws {
        try setUp()
        try setUp(tenant: "globex")
        #expect(try cc(["ingest", records(10), "--tenant", "acme"]).status == 0)
        #expect(try cc(["ingest", records(10, prefix: "globex"), "--tenant", "globex"]).status == 0)
        #expect(try cc(["sync", "run", "globex-fixture-rest-sink", "--push-only"]).status == 0)

        let run = try cc(["sync", "run", "acme-fixture-rest-sink", "--wait", "--push-only"])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(sink.created == 10)
        #expect(!sink.stored.values.contains { $0.fields["name"]?.stringValue?.hasPrefix("globex") == true })
        let globex = try JSON.parse(try cc(["sync", "status", "--tenant", "globex", "--json"]).stdout)
        #expect(globex[0]?["queued_jobs"] == 1)
    }
}
