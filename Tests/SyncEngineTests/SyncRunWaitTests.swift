import Foundation
import JSONCore
import LoopbackHTTP
import Store
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// `sync run --wait` runs its own integration's jobs, stops waiting when the integration stops, and shares the
/// queue with `serve` without a job running twice.
extension SyncCommandTests {
    /// The pull is refused and pauses the integration: the wait ends and says why, and the pull and the push it
    /// queued stay queued until the integration is enabled again.
    @Test func syncRunWaitStopsWhenThePullPausesTheIntegration() throws {
        try setUp()
        #expect(try cc(["ingest", records(20), "--tenant", "acme"]).status == 0)
        sink.requiredToken = "rotated-\(UUID().uuidString)"  // the stored token no longer works

        let run = try cc(["sync", "run", "acme-fixture-rest-sink", "--wait"], timeout: .seconds(30))
        #expect(run.status == 1, "\(run.stderr)")
        #expect(run.stdout.contains("pull job 1: queued (integration paused: the target refused the credentials"))
        #expect(run.stdout.contains("push job 2: queued"))
        #expect(run.stderr.contains("integration acme-fixture-rest-sink is paused: the target refused the credentials"))
        #expect(run.stderr.contains("Stopped waiting; 2 of its job(s) stay queued."), "\(run.stderr)")
        #expect(sink.created == 0)
        // The box wraps the pause's reason, and does not repeat it as the last error.
        let box = try cc(["sync", "status"]).stdout
        #expect(box.split(separator: "\n").allSatisfy { $0.count <= 100 }, "\(box)")
        #expect(box.components(separatedBy: "refused the credentials").count == 2, "\(box)")
        // A new run is refused with the pause's own remedy, not "enable it", which would only fail again.
        let again = try cc(["sync", "run", "acme-fixture-rest-sink"])
        #expect(again.stderr.contains("integrations update acme-fixture-rest-sink --config"), "\(again.stderr)")
        #expect(!again.stderr.contains("integrations enable"))

        sink.requiredToken = token
        #expect(try cc(["integrations", "enable", "acme-fixture-rest-sink"]).status == 0)
        // The run joins the jobs still waiting, and reports what they did rather than a new job's nothing.
        let resumed = try cc(["sync", "run", "acme-fixture-rest-sink", "--wait"], timeout: .seconds(30))
        #expect(resumed.status == 0, "\(resumed.stderr)")
        #expect(resumed.stdout.contains("pull job 1: succeeded"), "\(resumed.stdout)")
        #expect(resumed.stdout.contains("push job 2: succeeded"), "\(resumed.stdout)")
        #expect(resumed.stdout.contains(#""acknowledged":20"#), "\(resumed.stdout)")
        #expect(sink.created == 20)  // the push left queued ran once the integration was enabled
        #expect(try JSON.parse(try cc(["sync", "status", "--json"]).stdout)[0]?["queued_jobs"] == 0)
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

    /// `serve` started while a `sync run --wait` is in the middle of a push leaves that job to its runner: one
    /// worker per lease, every record written once.
    @Test func serveNeverTakesTheJobOfARunningSyncRun() throws {
        try setUp()
        #expect(try cc(["ingest", records(300), "--tenant", "acme"]).status == 0)
        // The first batch is throttled for 12 s: the runner holds the job's lease inside that call while serve starts
        // (which takes a second or two, more on a loaded machine).
        sink.queue(HTTPServerResponse(status: 429, headers: [("Retry-After", "12")]))
        let before = sink.requests
        let output = folder.file("run.out", "")
        let errors = folder.file("run.err", "")
        let run = try Spawned(
            PackagePaths.hostExecutable, ["sync", "run", "acme-fixture-rest-sink", "--wait", "--push-only"] + common,
            environment: environment, stdout: output, stderr: errors)
        defer { if run.isRunning { run.signal(SIGKILL) } }
        try waitUntil(seconds: 30) { sink.requests > before }

        let log = folder.file("serve-beside-run.log", "")
        let serve = try startServe(log: log)
        defer { if serve.isRunning { serve.signal(SIGKILL) } }
        try waitUntil(seconds: 30) { (try? String(contentsOfFile: log, encoding: .utf8))?.contains("serving") == true }
        #expect(run.isRunning, "the run ended before serve started: the test proves nothing")
        #expect(run.wait() == 0, "\((try? String(contentsOfFile: errors, encoding: .utf8)) ?? "")")
        serve.signal(SIGTERM)
        #expect(serve.wait() == 0)

        #expect(sink.created == 300)
        let twice = sink.stored.values.filter { $0.writes > 1 }.count
        #expect(twice == 0, "\(twice) records were pushed twice")
        #expect(!(try String(contentsOfFile: log, encoding: .utf8)).contains("requeued"))
    }

    /// A `--wait` killed mid-push (Ctrl-C, kill -9) leaves its job running under a dead process's lease; the next
    /// `--wait` hands it back and finishes it at once, with no `serve` up and no waiting for the lease to expire.
    @Test func aKilledWaitsJobIsTakenUpByTheNextWait() throws {
        try setUp()
        #expect(try cc(["ingest", records(50), "--tenant", "acme"]).status == 0)
        sink.queue(HTTPServerResponse(status: 429, headers: [("Retry-After", "30")]))
        let before = sink.requests
        let run = try Spawned(
            PackagePaths.hostExecutable, ["sync", "run", "acme-fixture-rest-sink", "--wait", "--push-only"] + common,
            environment: environment, stdout: folder.file("killed.out", ""), stderr: folder.file("killed.err", ""))
        defer { if run.isRunning { run.signal(SIGKILL) } }
        try waitUntil(seconds: 30) { sink.requests > before }
        run.signal(SIGKILL)
        _ = run.wait()

        let next = try cc(["sync", "run", "acme-fixture-rest-sink", "--wait", "--push-only"], timeout: .seconds(40))
        #expect(next.status == 0, "\(next.stderr)")
        #expect(sink.created == 50)
    }
}

extension SyncCommandTests {
    /// A job left "running" by a process killed outright is listed as such until a host or a `--wait` takes it up
    /// (it used to look as if it still ran); an empty list says so, and a limit below 1 is refused.
    @Test func syncJobsTellsAJobWhoseProcessIsGone() throws {
        try setUp()
        #expect(try cc(["sync", "jobs", "acme-fixture-rest-sink"]).stdout == "No jobs for acme-fixture-rest-sink.\n")
        #expect(try cc(["sync", "run", "acme-fixture-rest-sink", "--push-only"]).status == 0)
        let store = try Store(path: folder.path + "/data/cryptoconnect.sqlite")
        try store.pool.write {
            try $0.execute(
                sql: "UPDATE job SET state = 'running', lease_owner = 'host-gone#4242', lease_expires = 9999999999999")
        }
        let jobs = try cc(["sync", "jobs", "acme-fixture-rest-sink"])
        #expect(jobs.stdout.contains("running (its process is gone; resumes at the next start)"), "\(jobs.stdout)")
        let zero = try cc(["sync", "jobs", "--limit", "0"])
        #expect(zero.status != 0)
        #expect(zero.stderr.contains("--limit must be at least 1, not 0"), "\(zero.stderr)")
    }
}

extension SyncCommandTests {
    /// `mapping apply --push-input` prints the items as the plugin gets them, so a partner can call the plugin
    /// with the preview (`plugins call` refused the preview's own shape).
    @Test func aMappingPreviewFeedsAPluginCall() throws {
        let mapping = folder.file("map.json", #"[{"source_field": "asset.hostname", "target_field": "name"}]"#)
        let preview = try Command.cryptoconnect([
            "mapping", "apply", "--mapping", mapping, "--input", records(3), "--push-input",
        ])
        #expect(preview.status == 0, "\(preview.stderr)")
        let items = try JSON.parse(preview.stdout)["records"]?.arrayValue ?? []
        #expect(items.count == 3)
        #expect(items.allSatisfy { $0["key"]?.stringValue?.count == 16 && $0["operation"] == "upsert" })
        let call = try Command.cryptoconnect([
            "plugins", "call", PackagePaths.plugin("fixture-rest-sink"), "--op", "push", "--config",
            config(token: token), "--input", folder.file("push.json", preview.stdout), "--data-dir",
            folder.path + "/call-data", "--json",
        ])
        #expect(call.status == 0, "\(call.stderr)")
        #expect(sink.created == 3)
        #expect(Set(sink.stored.values.compactMap { $0.fields["name"]?.stringValue }) == ["host0", "host1", "host2"])

        // A record the target refuses makes the call exit 1, as `sync run --wait` does (it exited 0).
        sink.rejectFieldValue = "host1"
        let refused = try Command.cryptoconnect([
            "plugins", "call", PackagePaths.plugin("fixture-rest-sink"), "--op", "push", "--config",
            config(token: token), "--input", folder.path + "/push.json", "--data-dir", folder.path + "/call-data",
        ])
        #expect(refused.status == 1)
        #expect(refused.stdout.contains("data_error"), "\(refused.stdout)")

        // A target that echoes the credential back: the call's failure shows it masked.
        sink.queue(HTTPServerResponse(status: 302, headers: [("Location", "https://elsewhere.example/?t=\(token)")]))
        let echoed = try Command.cryptoconnect([
            "plugins", "call", PackagePaths.plugin("fixture-rest-sink"), "--op", "push", "--config",
            config(token: token), "--input", folder.path + "/push.json", "--data-dir", folder.path + "/call-data",
        ])
        #expect(echoed.stderr.contains("redirected to https://elsewhere.example/?t=[REDACTED]"), "\(echoed.stderr)")
        #expect(!(echoed.stdout + echoed.stderr).contains(token))
    }
}

extension SyncCommandTests {
    /// A push that has been retrying through an outage is joined by a sync run by hand and run now, as urgent as the
    /// run asks, its attempts counted afresh: the wait used to return at once ("still retrying") without running it.
    @Test func aSyncRunByHandRunsTheRetryingJobItJoins() throws {
        try setUp()
        #expect(try cc(["ingest", records(5), "--tenant", "acme"]).status == 0)
        #expect(try cc(["sync", "run", "acme-fixture-rest-sink", "--push-only"]).stdout.contains("job 1 due now"))
        let store = try Store(path: folder.path + "/data/cryptoconnect.sqlite")
        try store.pool.write {
            try $0.execute(
                sql: """
                    UPDATE job SET attempts = 12, priority = 0, not_before = 9999999999999, error = 'server_error: 503'
                    """)
        }
        let run = try cc(["sync", "run", "acme-fixture-rest-sink", "--push-only", "--wait"], timeout: .seconds(30))
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.contains("push job 1: succeeded"), "\(run.stdout)")
        #expect(sink.created == 5)
        // `show` says which build the jobs ran with (the integration is pinned to no version).
        let shown = try cc(["integrations", "show", "acme-fixture-rest-sink"]).stdout
        #expect(shown.contains(#""last_run_with": "fixture-rest-sink@1.0.0""#), "\(shown)")
    }
}
