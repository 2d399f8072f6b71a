import Foundation
import JSONCore
import PluginABI
import PluginRuntime
import TestSupport
import Testing

/// Faulty plugins in real worker processes: each fault becomes its classified error in bounded time, a healthy
/// plugin keeps answering meanwhile, and the next call to the faulty plugin gets a fresh worker.
@Suite struct IsolationTests {
    let log = CollectingLog()
    let supervisor: PluginSupervisor

    init() {
        var configuration = SupervisorConfiguration()
        // Long enough for the "allocate" fault to reach the memory limit on a loaded 2-core machine (it timed out at
        // 2 s while three builds ran), short enough for the "hang" fault.
        configuration.timeouts[.push] = .seconds(4)
        configuration.memoryLimitBytes = 160 << 20
        configuration.restartBackoff = .milliseconds(10)
        configuration.quarantineAfter = 3
        supervisor = PluginSupervisor(configuration: configuration, log: log)
    }

    static func batch(_ fields: JSON, keys: [String] = ["r1"]) -> (input: [UInt8], keys: [String]) {
        let records: JSON = .array(keys.map { ["key": .string($0), "fields": fields] })
        let batch: JSON = ["records": records]
        return (batch.serializedBytes(), keys)
    }

    func push(_ build: PluginBuild, _ fields: JSON, tenant: String = "t1", isolation: IsolationLevel = .process)
        throws(PluginCallError) -> CallOutcome
    {
        let (input, keys) = Self.batch(fields)
        return try supervisor.call(
            build,
            instance: InstanceSpec(key: "integration-\(tenant)", tenant: tenant, configuration: Array("{}".utf8)),
            isolation: isolation, operation: .push, input: input, expectedKeys: keys, services: TestServices())
    }

    @Test(arguments: [
        ("segfault", PluginCallError.Code.crashed, "crashed with SIGSEGV (signal 11) during push"),
        ("abort", .crashed, "crashed with SIGABRT (signal 6) during push"),
        ("exit", .crashed, "exited (exit status 0) during push"),
        ("hang", .timeout, "did not finish push in time; its worker was killed"),
        ("allocate", .memoryLimit, "exceeded its memory limit of 160 MB during push"),
        ("garbage", .protocolError, "returned push output that is not JSON"),
        ("unknown_key", .protocolError, "emitted a result for unknown record \"no-such-record\""),
        ("scribble", .protocolError, "broke the worker protocol during push"),
    ])
    func faultIsClassifiedAndContained(fault: String, code: PluginCallError.Code, message: String) throws {
        let faulty = try PluginBuilds.cFixture()
        let healthy = try PluginBuilds.cFixture("healthy", defines: ["FIXTURE_ID=\"c-healthy\""])

        // A healthy plugin keeps answering on another thread while the faulty one misbehaves.
        let stop = LockedFlag()
        let counts = LockedCounts()
        let done = DispatchSemaphore(value: 0)
        let supervisor = self.supervisor
        Thread.detachNewThread {
            while !stop.isSet {
                let (input, keys) = Self.batch(["n": 1])
                let outcome = try? supervisor.call(
                    healthy, instance: InstanceSpec(key: "healthy", tenant: nil, configuration: Array("{}".utf8)),
                    operation: .push, input: input, expectedKeys: keys, services: TestServices())
                counts.add(ok: outcome?.status == .ok)
            }
            done.signal()
        }

        let started = ContinuousClock.now
        #expect {
            _ = try push(faulty, ["fault": .string(fault)])
        } throws: { error in
            guard let error = error as? PluginCallError else { return false }
            return error.code == code && error.message.contains(message)
        }
        #expect(ContinuousClock.now - started < .seconds(10))

        // The next call to the faulty plugin gets a fresh worker and succeeds.
        let next = try push(faulty, ["n": 2])
        #expect(next.status == .ok)
        #expect(next.results.map(\.key) == ["r1"])

        stop.set()
        done.wait()
        #expect(counts.ok > 0)
        #expect(counts.failed == 0)
    }

    /// A plugin's worker gets the host's environment without its CRYPTOCONNECT_* variables: the master key among
    /// them would open every tenant's secrets. In the host's own process (`none`) nothing can be hidden.
    @Test func aWorkerNeverSeesTheHostsOwnVariables() throws {
        setenv("CRYPTOCONNECT_TEST_CANARY", "master-key-stand-in", 1)
        let plugin = try PluginBuilds.cFixture()
        let outcome = try push(plugin, ["fault": "environment"])
        #expect(outcome.status == .ok)
        let seen = try JSON.parse(outcome.output)
        #expect(seen["host_variables"] == 0)
        #expect(seen["has_path"] == true)  // the rest of the environment is kept
        let inProcess = try push(plugin, ["fault": "environment"], isolation: .none)
        #expect((try JSON.parse(inProcess.output))["host_variables"]?.intValue ?? 0 >= 1)
    }

    @Test func printingMegabytesDoesNotCorruptTheChannel() throws {
        let plugin = try PluginBuilds.cFixture()
        let outcome = try push(plugin, ["fault": "print"])
        #expect(outcome.status == .ok)
        #expect(outcome.results.map(\.status) == [.ok])
        // Output reaches the host log tagged with the plugin, capped rather than flooding it.
        try waitUntil { log.entries.contains { $0.message.contains("suppressed") } }
        let lines = log.entries.filter { $0.source.hasPrefix("plugin c-fixture@1.0.0") }
        #expect(lines.contains { $0.source.hasSuffix("stdout") && $0.message.hasPrefix("xxxx") })
        #expect(lines.contains { $0.source.hasSuffix("stderr") && $0.message == "noise on stderr" })
        #expect(lines.count <= 2 * OutputPumpLimits.linesPerSecond + 10)
    }

    @Test func pluginChosenErrorsAreOutcomesNotFaults() throws {
        let plugin = try PluginBuilds.cFixture()
        for _ in 0..<4 {
            let outcome = try push(plugin, ["fault": "auth"])
            #expect(outcome.status == .auth)
            #expect(PluginFailure(status: .auth, output: outcome.output).message == "credentials refused by the target")
        }
        #expect(supervisor.health.allSatisfy { !$0.quarantined && $0.consecutiveFaults == 0 })
    }

    @Test func keepsCrashingMeansQuarantined() throws {
        let plugin = try PluginBuilds.cFixture()
        for _ in 0..<3 {
            #expect(throws: PluginCallError.self) { try push(plugin, ["fault": "segfault"]) }
        }
        #expect {
            _ = try push(plugin, ["n": 1])
        } throws: { error in
            let error = error as? PluginCallError
            return error?.code == .quarantined && error?.message.contains("after 3 consecutive failures") == true
        }
        #expect(supervisor.health.first?.quarantined == true)
        supervisor.resetQuarantine(sha256: plugin.sha256)
        #expect(try push(plugin, ["n": 1]).status == .ok)
    }

    @Test func tenantIsolationKeepsOneCustomersCrashFromAnother() throws {
        let plugin = try PluginBuilds.cFixture()
        func pid(_ tenant: String) throws -> Int? {
            let outcome = try supervisor.call(
                plugin, instance: InstanceSpec(key: "i-\(tenant)", tenant: tenant, configuration: Array("{}".utf8)),
                isolation: .tenant, operation: .test, services: TestServices())
            return try JSON.parse(outcome.output)["pid"]?.intValue
        }
        let before = try pid("acme")
        #expect(throws: PluginCallError.self) {
            try push(plugin, ["fault": "segfault"], tenant: "globex", isolation: .tenant)
        }
        #expect(try pid("acme") == before)
        #expect(try pid("globex") != before)
        #expect(Set(supervisor.health.map(\.tenant)) == ["acme", "globex"])
    }

    /// The process id of the worker that answers a test call to `plugin`.
    func workerPID(_ plugin: PluginBuild) throws -> Int? {
        let outcome = try supervisor.call(
            plugin, instance: InstanceSpec(key: "i", tenant: nil, configuration: Array("{}".utf8)), operation: .test,
            services: TestServices())
        return try JSON.parse(outcome.output)["pid"]?.intValue
    }

    /// A worker that dies while idle (the OOM killer, say) is replaced at the next call: the call is answered, and
    /// the host is not killed by writing to it (SIGPIPE).
    @Test func aWorkerThatDiedWhileIdleIsReplaced() throws {
        let plugin = try PluginBuilds.cFixture()
        let first = try #require(try workerPID(plugin))
        Glibc.kill(pid_t(first), SIGKILL)
        Thread.sleep(forTimeInterval: 0.2)
        let second = try #require(try workerPID(plugin))
        #expect(second != first)
        #expect(log.entries.contains { $0.message.contains("(pid \(first)) died while idle; starting another") })
    }

    /// Workers idle too long are stopped (the build an upgrade replaced keeps none); the next call starts another.
    @Test func idleWorkersAreStopped() throws {
        let plugin = try PluginBuilds.cFixture()
        let first = try #require(try workerPID(plugin))
        supervisor.stopWorkers(idleLongerThan: .seconds(60))
        #expect(supervisor.health.first?.workers == 1)  // not idle long enough
        supervisor.stopWorkers(idleLongerThan: .zero)
        #expect(supervisor.health.first?.workers == 0)
        #expect(try workerPID(plugin) != first)
    }

    @Test func twoVersionsAnswerSideBySide() throws {
        let v1 = try PluginBuilds.cFixture("v1", defines: ["FIXTURE_VERSION=\"1.0.0\""])
        let v2 = try PluginBuilds.cFixture("v2", defines: ["FIXTURE_VERSION=\"2.0.0\""])
        #expect(v1.manifest.id == v2.manifest.id)
        #expect(v1.cachedPath != v2.cachedPath)
        let supervisor = self.supervisor
        let answers = LockedList()
        DispatchQueue.concurrentPerform(iterations: 8) { index in
            let build = index % 2 == 0 ? v1 : v2
            let outcome = try? supervisor.call(
                build, instance: InstanceSpec(key: "i\(index)", tenant: nil, configuration: Array("{}".utf8)),
                operation: .test, services: TestServices())
            let answered = outcome.flatMap { try? JSON.parse($0.output)["version"]?.stringValue } ?? "no answer"
            answers.append("\(build.manifest.version) answered \(answered)")
        }
        #expect(answers.items.count == 8)
        #expect(answers.items.allSatisfy { $0 == "1.0.0 answered 1.0.0" || $0 == "2.0.0 answered 2.0.0" })
        #expect(Set(answers.items).count == 2)
    }

    @Test func hostServicesCrossTheWorkerChannel() throws {
        let plugin = try PluginBuilds.cFixture()
        let services = TestServices(checkpoint: "1", clock: 1_234_567)
        let outcome = try supervisor.call(
            plugin, instance: InstanceSpec(key: "i", tenant: nil, configuration: Array("{}".utf8)),
            operation: .pull, input: Array(#"{"page_size":10}"#.utf8), services: services)
        let output = try JSON.parse(outcome.output)
        #expect(output["previous"] == "1")
        #expect(output["stored"] == "yes")
        #expect(output["found"] == 1)
        #expect(output["clock"] == 1_234_567)
        #expect(services.checkpointValue == "2")
        #expect(services.values == ["pulled": "yes"])
        #expect(outcome.records.count == 2)
    }

    @Test func inProcessIsolationRunsTheSameCalls() throws {
        let plugin = try PluginBuilds.cFixture()
        let outcome = try push(plugin, ["n": 1], isolation: .none)
        #expect(outcome.status == .ok)
        #expect(outcome.results.map(\.key) == ["r1"])
        #expect {
            _ = try push(plugin, ["fault": "unknown_key"], isolation: .none)
        } throws: { ($0 as? PluginCallError)?.code == .protocolError }
    }

    private func waitUntil(_ condition: () -> Bool) throws {
        let deadline = ContinuousClock.now + .seconds(5)
        while !condition() {
            guard ContinuousClock.now < deadline else { throw TimedOut() }
            Thread.sleep(forTimeInterval: 0.02)
        }
    }

    struct TimedOut: Error {}
}

final class LockedCounts: @unchecked Sendable {
    private let lock = NSLock()
    private var values = (ok: 0, failed: 0)
    var ok: Int { lock.withLock { values.ok } }
    var failed: Int { lock.withLock { values.failed } }
    func add(ok success: Bool) { lock.withLock { if success { values.ok += 1 } else { values.failed += 1 } } }
}

final class LockedFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false
    var isSet: Bool { lock.withLock { value } }
    func set() { lock.withLock { value = true } }
}
