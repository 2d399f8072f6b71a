import Foundation
import HostServices
import Inventory
import JSONCore
import LoopbackHTTP
import PluginRuntime
import Store
import SyncEngine
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The engine as an operator drives it: `tenants`, `integrations`, `ingest`, `sync`, `dlq` and `serve` as real
/// processes against a real sink on 127.0.0.1.
@Suite(.serialized) struct SyncCommandTests {
    let folder = TemporaryDirectory("sync-cli")
    let sink: RecordSinkServer
    let key = MasterKey.generate()
    let token = "tok-\(UUID().uuidString)"

    init() throws {
        PackagePaths.useBuiltHost()
        sink = try RecordSinkServer()
        sink.requiredToken = token
        folder.copy(PackagePaths.plugin("fixture-rest-sink"), to: "plugins/libfixture-rest-sink.so")
    }

    var common: [String] { ["--data-dir", folder.path + "/data", "--plugins-dir", folder.path + "/plugins"] }
    var environment: [String: String] { ["CRYPTOCONNECT_MASTER_KEY": key] }

    /// Runs `cryptoconnect`; one still running after `timeout` is killed, so a hang fails the test.
    func cc(_ arguments: [String], timeout: Duration = .seconds(120)) throws -> Command.Result {
        try Command.cryptoconnect(arguments + common, environment: environment, timeout: timeout)
    }

    /// Adds `tenant` and its integration of the sink, `<tenant>-fixture-rest-sink`.
    func setUp(tenant: String = "acme", realtime: Bool = false, token: String? = nil, _ more: [String] = []) throws {
        #expect(try cc(["tenants", "add", tenant]).status == 0)
        let added = try cc(
            [
                "integrations", "add", "--tenant", tenant, "--plugin", "fixture-rest-sink", "--config",
                config(token: token ?? self.token),
            ] + (realtime ? ["--realtime"] : []) + more)
        #expect(added.status == 0, "\(added.stderr)")
    }

    /// A configuration file for the sink with `token`.
    func config(token: String) -> String {
        folder.file(
            "config-\(token).json",
            JSON([
                "base_url": .string(sink.baseURL), "auth": ["type": "bearer", "token": .string(token)],
                "retry": ["base_delay_ms": 10],
            ]).serialized())
    }

    /// Whether `text` is anywhere in the store's files (the database, its WAL and shared memory) in clear.
    func storeHolds(_ text: String) throws -> Bool {
        try FileManager.default.contentsOfDirectory(atPath: folder.path + "/data").contains { file in
            guard file.hasPrefix("cryptoconnect.sqlite") else { return false }
            let bytes = try Data(contentsOf: URL(fileURLWithPath: folder.path + "/data/" + file))
            return bytes.range(of: Data(text.utf8)) != nil
        }
    }

    func records(_ count: Int, prefix: String = "host") -> String {
        folder.file(
            "estate-\(prefix)-\(count).ndjson",
            (0..<count).map { asset("\(prefix)\($0)").serialized() }.joined(separator: "\n"))
    }

    @Test func addingAnIntegrationSealsItsSecretsAndTestsTheConnection() throws {
        try setUp()
        let shown = try cc(["integrations", "show", "acme-fixture-rest-sink"])
        #expect(shown.stdout.contains("\"token\": \"********\""))
        #expect(!shown.stdout.contains(token))
        #expect(try !storeHolds(token))
        let bad = folder.file(
            "bad.json",
            JSON(["base_url": .string(sink.baseURL), "auth": ["type": "bearer", "token": "wrong-token-99"]])
                .serialized())
        let refused = try cc([
            "integrations", "add", "--tenant", "acme", "--plugin", "fixture-rest-sink", "--config", bad, "--name",
            "second",
        ])
        #expect(refused.status != 0)
        #expect(refused.stderr.contains("connection test failed: auth_error"))
        #expect(!refused.stderr.contains("wrong-token-99"))
        #expect(try cc(["integrations", "list"]).stdout.contains("second") == false)
        let noKey = try Command.cryptoconnect(
            [
                "integrations", "add", "--tenant", "acme", "--plugin", "fixture-rest-sink", "--config", bad, "--name",
                "third", "--no-test",
            ] + common,
            environment: ["CRYPTOCONNECT_MASTER_KEY": ""])
        #expect(noKey.status != 0)
        #expect(noKey.stderr.contains("which are stored sealed: set CRYPTOCONNECT_MASTER_KEY"))
        // A configuration copied from `integrations show` has the mask where the secret was: refused, not sealed.
        let copied = folder.file(
            "copied.json",
            JSON(["base_url": .string(sink.baseURL), "auth": ["type": "bearer", "token": "********"]]).serialized())
        let masked = try cc([
            "integrations", "add", "--tenant", "acme", "--plugin", "fixture-rest-sink", "--config", copied, "--name",
            "copy", "--no-test",
        ])
        #expect(masked.status != 0)
        #expect(masked.stderr.contains("auth.token is \"********\", the mask `integrations show` prints"))
        #expect(try !cc(["integrations", "list"]).stdout.contains("copy"))
        // A key named but unusable is named as such, before anything is queued (it used to say "no master key").
        let fifth = try cc([
            "integrations", "add", "--tenant", "acme", "--plugin", "fixture-rest-sink", "--config", bad, "--name",
            "fifth",
            "--no-test",
        ])
        #expect(fifth.status == 0, "\(fifth.stderr)")
        for (variable, value, problem) in [
            ("CRYPTOCONNECT_MASTER_KEY", "short", "must be 32 bytes encoded as base64"),
            ("CRYPTOCONNECT_MASTER_KEY_FILE", folder.path + "/no-such-key", "no-such-key cannot be read"),
        ] {
            let run = try Command.cryptoconnect(
                ["sync", "run", "fifth", "--wait"] + common, environment: [variable: value])
            #expect(run.status != 0)
            #expect(run.stderr.contains(problem), "\(run.stderr)")
            #expect(!run.stderr.contains("no master key"))
        }
        let jobs = try cc(["sync", "jobs", "fifth"])
        #expect(jobs.stdout == "No jobs for fifth.\n", "\(jobs.stdout) \(jobs.stderr)")
        for plugin in ["@1.0.0", "fixture-rest-sink@"] {
            let pinned = try cc([
                "integrations", "add", "--tenant", "acme", "--plugin", plugin, "--config", bad, "--name", "fourth",
                "--no-test",
            ])
            #expect(pinned.stderr.contains("--plugin \"\(plugin)\" must be a plugin id, optionally @VERSION"))
        }
        // Real time with no event to react to would never push.
        let deaf = try cc([
            "integrations", "add", "--tenant", "acme", "--plugin", "fixture-rest-sink", "--config", bad, "--realtime",
            "--events", "", "--no-test",
        ])
        #expect(deaf.status != 0)
        #expect(deaf.stderr.contains("--events: an empty event type (known: alert,"))
    }

    @Test func syncRunWaitAndStatus() throws {
        try setUp()
        #expect(try cc(["ingest", records(30), "--tenant", "acme"]).status == 0)
        let both = try cc(["sync", "run", "acme-fixture-rest-sink", "--push-only", "--pull-only"])
        #expect(both.stderr.contains("--push-only and --pull-only exclude each other"))
        let run = try cc(["sync", "run", "acme-fixture-rest-sink", "--wait"])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.contains("push job"))
        #expect(sink.created == 30)
        let status = try cc(["sync", "status", "--tenant", "acme"])
        #expect(status.stdout.contains("Integration: acme-fixture-rest-sink"))
        #expect(status.stdout.contains("Records Synced: 30 today"))
        #expect(status.stdout.contains("Success Rate: 100.0% (last 24h)"))
        let json = try JSON.parse(try cc(["sync", "status", "--json"]).stdout)
        #expect(json[0]?["status"] == "healthy")
        // Status only reads the store: it answers on a machine without the plugins folder.
        let elsewhere = try Command.cryptoconnect([
            "sync", "status", "--data-dir", folder.path + "/data", "--plugins-dir", folder.path + "/no-such-folder",
        ])
        #expect(elsewhere.status == 0, "\(elsewhere.stderr)")
        #expect(elsewhere.stdout.contains("Records Synced: 30 today"))

        // Removing an integration that has sent records says what goes with it, and needs --yes.
        let refused = try cc(["integrations", "remove", "acme-fixture-rest-sink"])
        #expect(refused.status != 0)
        #expect(
            refused.stderr.contains(
                "acme-fixture-rest-sink has sent 30 record(s) (added again, it sends them all anew), and holds its "
                    + "configuration, sealed credentials, 0 open dead letter(s) and 0 queued or running job(s); add "
                    + "--yes to remove it with them"))
        #expect(try cc(["integrations", "remove", "acme-fixture-rest-sink", "--yes"]).status == 0)
        #expect(try cc(["integrations", "remove", "acme-fixture-rest-sink"]).stderr.contains("no integration"))
    }

    @Test func serveReactsInRealTimeAndStopsCleanlyOnSIGTERM() throws {
        try setUp(realtime: true)
        let serve = try startServe()
        defer { if serve.isRunning { serve.signal(SIGKILL) } }
        #expect(
            try cc([
                "ingest",
                folder.file(
                    "weak.json", JSON.array([asset("legacy", risk: 9, suite: "TLS_RSA_WITH_RC4_128_SHA")]).serialized()),
                "--tenant", "acme",
            ]).status == 0)
        let ingested = Date()
        try waitUntil(seconds: 10) { !sink.stored.isEmpty }
        #expect(Date().timeIntervalSince(ingested) < 3)
        serve.signal(SIGTERM)
        #expect(serve.wait() == 0)
    }

    /// The limits `serve` is given hold its plugins: a call past `--call-timeout` has its worker stopped, and the
    /// host says what it runs with. Limits that cannot work are refused with the option and the rule.
    @Test func serveHoldsPluginsToTheLimitsItIsGiven() throws {
        try setUp()
        #expect(try cc(["ingest", records(5), "--tenant", "acme"]).status == 0)
        #expect(try cc(["sync", "run", "acme-fixture-rest-sink", "--push-only"]).status == 0)
        sink.latency = 3  // the target answers after the call's deadline
        let log = folder.file("limited.log", "")
        let serve = try startServe(
            log: log, ["--call-timeout", "1", "--plugin-memory-limit", "256", "--quarantine-after", "9"])
        defer { if serve.isRunning { serve.signal(SIGKILL) } }
        try waitUntil(seconds: 30) {
            (try String(contentsOfFile: log, encoding: .utf8)).contains("did not finish push in time")
        }
        serve.signal(SIGTERM)
        #expect(serve.wait() == 0)
        let text = try String(contentsOfFile: log, encoding: .utf8)
        #expect(
            text.contains(
                "plugin limits: 256 MiB of memory, calls of 1 s, 4 workers per plugin, 4 batches in flight, "
                    + "quarantine after 9 faults for 300 s"), "\(text)")
        // The sink took the batch, but its answer came after the deadline: nothing was acknowledged, and the job
        // waits to try again.
        let store = try Store(path: folder.path + "/data/cryptoconnect.sqlite")
        let job = try #require(try JobQueue(store: store).jobs(limit: 1).first)
        #expect(job.state == .queued && job.error?.contains("did not finish push in time") == true, "\(job)")
        for (option, value, message) in [
            ("--plugin-memory-limit", "64", "--plugin-memory-limit must be 0 (no limit) or 128 MiB to 1 TiB, got 64"),
            ("--workers-per-plugin", "0", "--workers-per-plugin must be 1 to 64, got 0"),
            ("--batches-in-flight", "5", "--batches-in-flight must be 1 to --workers-per-plugin (4), got 5"),
            ("--call-timeout", "0", "--call-timeout must be 1 to 86400 seconds, got 0"),
            ("--plugin-sandbox-allow", folder.path, "--plugin-sandbox-allow needs --plugin-sandbox"),
        ] {
            let refused = try cc(["serve", option, value])
            #expect(refused.status != 0)
            #expect(refused.stderr.contains(message), "\(refused.stderr)")
        }
    }

    /// A sandboxed host pushes as any other (the SDK plugin needs nothing the sandbox withholds), and refuses to
    /// start when the store would be within its plugins' reach.
    @Test(.enabled(if: FileSandbox.isAvailable, "the kernel has no landlock"))
    func aSandboxedHostPushesAndKeepsItsStoreFromPlugins() throws {
        try setUp()
        #expect(try cc(["ingest", records(5), "--tenant", "acme"]).status == 0)
        #expect(try cc(["sync", "run", "acme-fixture-rest-sink", "--push-only"]).status == 0)
        let log = folder.file("sandboxed.log", "")
        let serve = try startServe(log: log, ["--plugin-sandbox"])
        defer { if serve.isRunning { serve.signal(SIGKILL) } }
        try waitUntil(seconds: 30) { sink.stored.count == 5 }
        serve.signal(SIGTERM)
        #expect(serve.wait() == 0)
        #expect(
            try String(contentsOfFile: log, encoding: .utf8).contains("quarantine after 5 faults for 300 s, sandboxed"))

        // Allowed to write where the host's copies of plugins live, a plugin could change what the host loads.
        let cache = try cc(["serve", "--plugin-sandbox", "--plugin-sandbox-allow", folder.path + "/data/plugin-cache"])
        #expect(cache.stderr.contains("would let plugins write in \(folder.path)/data/plugin-cache"), "\(cache.stderr)")
        let exposed = try cc(["serve", "--plugin-sandbox", "--plugin-sandbox-allow", folder.path])
        #expect(exposed.status != 0)
        #expect(
            exposed.stderr.contains(
                "--plugin-sandbox would leave \(folder.path)/data/cryptoconnect.sqlite within plugins' reach"),
            "\(exposed.stderr)")
    }

    /// `kill -9` in the middle of a push (a delta or `--full`), then `serve` again: the job completes, every record
    /// arrives, none twice, and only what the killed host had not committed is sent again.
    @Test(arguments: [false, true]) func killedMidPushTheHostFinishesTheJobOnRestart(full: Bool) throws {
        try setUp()
        let count = Int(ProcessInfo.processInfo.environment["CC_CRASH_RECORDS"] ?? "") ?? 8000
        #expect(try cc(["ingest", records(count), "--tenant", "acme"]).status == 0)
        #expect(
            try cc(["sync", "run", "acme-fixture-rest-sink", "--push-only"] + (full ? ["--full"] : [])).status == 0)
        var serve = try startServe()
        try waitUntil(seconds: 60) { sink.stored.count >= count / 4 }
        serve.signal(SIGKILL)
        serve.wait()
        let before = sink.stored.count
        #expect(before < count, "the push finished before the kill; raise CC_CRASH_RECORDS")
        serve = try startServe()
        defer { if serve.isRunning { serve.signal(SIGKILL) } }
        try waitUntil(seconds: 120) { sink.stored.count == count }
        try waitUntil(seconds: 10) {
            (try? JSON.parse(try cc(["sync", "status", "--json"]).stdout))?[0]?["queued_jobs"] == 0
        }
        #expect(sink.created == count)  // every record once: upserts by correlation id, nothing created twice
        serve.signal(SIGTERM)
        serve.wait()
        // A full push used to start over from the first record; now it too resends only the last few batches.
        let resent = sink.stored.values.reduce(0) { $0 + $1.writes } - count
        #expect(resent < before / 2, "\(resent) of the \(before) records sent before the kill were sent again")
        if full {  // its counts were saved with its progress, so the killed attempt's work is counted once
            let store = try Store(path: folder.path + "/data/cryptoconnect.sqlite")
            let job = try #require(try JobQueue(store: store).jobs(limit: 1).first)
            #expect(job.state == .succeeded)
            #expect(job.stats?["acknowledged"] == JSON(count))
            #expect(job.stats?["selected"] == JSON(count))
        }
    }

    /// SIGTERM to `sync run --wait` hands its running job back to the queue at the next batch, as `serve` does,
    /// instead of leaving it "running" until some runner finds its lease dead; `serve` then finishes it.
    @Test func aStoppedWaitHandsItsJobBack() throws {
        try setUp()
        #expect(try cc(["ingest", records(3000), "--tenant", "acme"]).status == 0)
        sink.latency = 0.05
        let stderr = folder.file("wait.log", "")
        let wait = try Spawned(
            PackagePaths.hostExecutable, ["sync", "run", "acme-fixture-rest-sink", "--push-only", "--wait"] + common,
            environment: environment, stderr: stderr)
        defer { if wait.isRunning { wait.signal(SIGKILL) } }
        try waitUntil(seconds: 60) { sink.stored.count >= 200 }
        wait.signal(SIGTERM)
        #expect(wait.wait() == 1)
        #expect(
            try String(contentsOfFile: stderr, encoding: .utf8).contains(
                "stopped by a signal; 1 job(s) went back to the queue"))
        let store = try Store(path: folder.path + "/data/cryptoconnect.sqlite")
        #expect(try JobQueue(store: store).jobs(limit: 1).first?.state == .queued)
        #expect(sink.stored.count < 3000)
        sink.latency = 0
        let serve = try startServe()
        defer { if serve.isRunning { serve.signal(SIGKILL) } }
        try waitUntil(seconds: 60) { sink.stored.count == 3000 }
        serve.signal(SIGTERM)
        serve.wait()
    }

    func startServe(log: String? = nil, _ more: [String] = []) throws -> Spawned {
        try Spawned(
            PackagePaths.hostExecutable, ["serve"] + more + common, environment: environment,
            stderr: log ?? folder.file("serve-\(UUID().uuidString).log", ""))
    }

    func waitUntil(seconds: Double, _ condition: () throws -> Bool) throws {
        let deadline = Date().addingTimeInterval(seconds)
        while try !condition() {
            guard Date() < deadline else { throw TimedOut() }
            Thread.sleep(forTimeInterval: 0.05)
        }
    }

    struct TimedOut: Error {}
}

extension SyncCommandTests {
    /// A mistyped tenant or integration is named as such, not answered with an empty listing.
    @Test func aTypoInATenantOrIntegrationIsNamed() throws {
        try setUp()
        let status = try cc(["sync", "status", "--tenant", "acmee"])
        #expect(status.status != 0)
        #expect(status.stderr.contains("no tenant acmee (tenants: acme)"), "\(status.stderr)")
        for command in [
            ["sync", "jobs", "acme-fixture-rest-snk"], ["dlq", "list", "--integration", "acme-fixture-rest-snk"],
            ["metrics", "--integration", "acme-fixture-rest-snk"],
        ] {
            let run = try cc(command)
            #expect(run.status != 0, "\(command)")
            #expect(run.stderr.contains("no integration acme-fixture-rest-snk"), "\(command): \(run.stderr)")
        }
        for command in [["dlq", "list", "--tenant", "acmee"], ["integrations", "list", "--tenant", "acmee"]] {
            let run = try cc(command)
            #expect(run.stderr.contains("no tenant acmee (tenants: acme)"), "\(command): \(run.stderr)")
        }
    }
}

extension SyncCommandTests {
    /// A target that echoes the credential back (here in a redirect's Location, which the failure names) leaves it
    /// masked in the job's error, the pause reason, the status and the store: read-only commands show what is stored
    /// without the key that would let them mask it.
    @Test func aCredentialATargetEchoesBackIsNeverStored() throws {
        try setUp()
        #expect(try cc(["ingest", records(3), "--tenant", "acme"]).status == 0)
        sink.queue(HTTPServerResponse(status: 302, headers: [("Location", "https://elsewhere.example/?t=\(token)")]))
        let run = try cc(["sync", "run", "acme-fixture-rest-sink", "--push-only", "--wait"])
        #expect(run.status != 0)
        #expect(run.stdout.contains("redirected to https://elsewhere.example/?t="), "\(run.stdout)")
        for command in [["sync", "jobs", "acme-fixture-rest-sink"], ["sync", "status"]] {
            let shown = try cc(command)
            #expect(!(shown.stdout + shown.stderr).contains(token), "\(command)")
        }
        #expect(!(run.stdout + run.stderr).contains(token))
        #expect(try !storeHolds(token))
    }

    /// Secrets are sealed under one master key: another is refused before it seals anything or runs a job (it was
    /// accepted, leaving no key that opened every integration, and each job failed on its own).
    @Test func anotherMasterKeyIsRefusedBeforeItSealsOrRuns() throws {
        try setUp()
        let other = ["CRYPTOCONNECT_MASTER_KEY": MasterKey.generate()]
        #expect(try cc(["tenants", "add", "globex"]).status == 0)
        let added = try Command.cryptoconnect(
            [
                "integrations", "add", "--tenant", "globex", "--plugin", "fixture-rest-sink", "--config",
                config(token: "tok-globex-1"), "--no-test",
            ] + common, environment: other)
        let run = try Command.cryptoconnect(
            ["sync", "run", "acme-fixture-rest-sink", "--wait"] + common, environment: other)
        // Nor may the only integration's credentials move the store to another key: a host running with the
        // store's key would fail its jobs.
        let moved = try Command.cryptoconnect(
            ["integrations", "update", "acme-fixture-rest-sink", "--config", config(token: "tok-moved"), "--no-test"]
                + common, environment: other)
        for refused in [added, run, moved] {
            #expect(refused.status != 0)
            #expect(
                refused.stderr.contains("sealed under master key") || refused.stderr.contains("sealed with master key"),
                "\(refused.stderr)")
        }
        // No key at all: a service started without its variable used to fail every queued job for good.
        for command in [["serve"], ["sync", "run", "acme-fixture-rest-sink", "--wait"]] {
            let keyless = try Command.cryptoconnect(
                command + common, environment: ["CRYPTOCONNECT_MASTER_KEY": "", "CRYPTOCONNECT_MASTER_KEY_FILE": ""],
                timeout: .seconds(20))
            #expect(keyless.status != 0)
            #expect(
                keyless.stderr.contains("no master key is configured, and the store holds sealed secrets"),
                "\(command): \(keyless.stderr)")
        }
        #expect(try cc(["integrations", "list"]).stdout.contains("globex") == false)
        #expect(try cc(["sync", "jobs", "acme-fixture-rest-sink"]).stdout.contains("No jobs"))
        // A command that only queues a job needs no key.
        let queued = try Command.cryptoconnect(
            ["sync", "run", "acme-fixture-rest-sink"] + common,
            environment: ["CRYPTOCONNECT_MASTER_KEY": "", "CRYPTOCONNECT_MASTER_KEY_FILE": ""])
        #expect(queued.status == 0, "\(queued.stderr)")
    }

    /// A store an earlier release left under two keys: a job refuses to run, rotation names the integrations whose
    /// secrets the key cannot open, and entering their credentials again brings the store back to one key.
    @Test func aStoreUnderTwoKeysIsBroughtBackToOne() throws {
        try setUp()
        try setUp(tenant: "globex")
        let store = try Store(path: folder.path + "/data/cryptoconnect.sqlite")
        try store.pool.write {
            try $0.execute(sql: "UPDATE secret SET key_id = 'an-older-key' WHERE owner = 'globex-fixture-rest-sink'")
        }
        let run = try cc(["sync", "run", "acme-fixture-rest-sink", "--wait"])
        #expect(run.stderr.contains("the store's secrets are sealed under master key an-older-key"), "\(run.stderr)")
        let newKey = folder.file("new.key", MasterKey.generate())
        chmod(newKey, 0o600)
        let rotate = try cc(["secrets", "rotate", "--new-key-file", newKey])
        #expect(rotate.status != 0)
        #expect(rotate.stderr.contains("the secrets of globex-fixture-rest-sink are sealed under another master key"))
        let again = try cc([
            "integrations", "update", "globex-fixture-rest-sink", "--config", config(token: token), "--no-test",
        ])
        #expect(again.status == 0, "\(again.stderr)")
        #expect(try cc(["sync", "run", "acme-fixture-rest-sink", "--wait"]).status == 0)
    }

    /// A new tenant or integration named like an existing one but for case is refused: an ingest into "Acme" used
    /// to fill a second inventory beside "acme", which none of acme's integrations pushed.
    @Test func aNameDifferingOnlyInCaseIsRefused() throws {
        try setUp()
        let records = folder.file("records.ndjson", asset("web01.example.com").serialized() + "\n")
        let twin = "differs only in case from the existing tenant acme: names are case-sensitive; use acme"
        for command in [["tenants", "add", "ACME"], ["ingest", records, "--tenant", "Acme"]] {
            let run = try cc(command)
            #expect(run.status != 0, "\(command)")
            #expect(run.stderr.contains(twin), "\(command): \(run.stderr)")
        }
        let renamed = try cc([
            "integrations", "add", "--tenant", "acme", "--plugin", "fixture-rest-sink", "--config",
            config(token: token), "--name", "ACME-fixture-rest-sink", "--no-test",
        ])
        #expect(renamed.stderr.contains("differs only in case from the existing integration acme-fixture-rest-sink"))
        #expect(try cc(["tenants", "list"]).stdout.split(separator: "\n") == ["acme"])
        #expect(try cc(["ingest", records, "--tenant", "acme"]).status == 0)
        #expect(try cc(["inventory", "list", "--tenant", "acme"]).stdout.contains("web01.example.com"))
    }
}

extension SyncCommandTests {
    /// A scheduled integration says when it next runs, in `integrations show` and in the status box, before the
    /// scheduler has first seen it.
    @Test func aScheduleSaysWhenItNextRuns() throws {
        try setUp(["--schedule", "0 8 * * MON-FRI", "--no-test"])
        let shown = try JSON.parse(try cc(["integrations", "show", "acme-fixture-rest-sink"]).stdout)
        let next = try #require(shown["next_run_at"]?.stringValue.flatMap(ISODates.parse))
        #expect(next > Date())
        #expect(ISODates.dateTime(next).hasSuffix("T08:00:00Z"))
        let status = try cc(["sync", "status"]).stdout
        #expect(status.contains("Next Run: \(ISODates.dateTime(next)) (0 8 * * MON-FRI)"), "\(status)")
        // Disabled, it runs on no schedule, and says none.
        #expect(try cc(["integrations", "disable", "acme-fixture-rest-sink"]).status == 0)
        #expect(try !cc(["sync", "status"]).stdout.contains("Next Run"))
        #expect(
            try JSON.parse(try cc(["integrations", "show", "acme-fixture-rest-sink"]).stdout)["next_run_at"] == .null)
    }
}
