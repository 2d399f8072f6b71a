import Foundation
import JSONCore
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The worker's life as seen from outside: `cryptoconnect plugins call` end to end, and no orphan when the host is
/// killed outright.
@Suite struct WorkerLifecycleTests {
    let data = TemporaryDirectory("data")

    private func write(_ document: JSON) -> String {
        data.file("input-\(UUID().uuidString).json", Data(document.serializedBytes()))
    }

    @Test func callPrintsResultsAndExitsZero() throws {
        let plugin = try CFixtures.build("good")
        let input = write(["records": [["key": "a", "fields": [:]], ["key": "b", "fields": [:]]]])
        let result = try Command.cryptoconnect(
            ["plugins", "call", plugin, "--op", "push", "--input", input, "--data-dir", data.path, "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        let outcome = try JSON.parse(result.stdout)
        #expect(outcome["status"] == "ok")
        #expect(outcome["results"]?.arrayValue?.compactMap { $0["key"]?.stringValue } == ["a", "b"])
    }

    @Test func crashIsClassifiedAndExitsNonZero() throws {
        let plugin = try CFixtures.build("good")
        let input = write(["records": [["key": "a", "fields": ["fault": "segfault"]]]])
        let result = try Command.cryptoconnect(
            ["plugins", "call", plugin, "--op", "push", "--input", input, "--data-dir", data.path])
        #expect(result.status == 1)
        #expect(result.stderr.contains("plugin_crashed: c-fixture@1.0.0 crashed with SIGSEGV (signal 11) during push"))
    }

    /// A call that writes more output than the host takes fails naming the limit (it grew the worker until its
    /// memory cap aborted it, reported as a crash, and the host held as much again).
    @Test func outputPastTheLimitIsRefusedByName() throws {
        let plugin = try CFixtures.build("good")
        let input = write(["records": [["key": "a", "fields": ["fault": "flood"]]]])
        let result = try Command.cryptoconnect(
            ["plugins", "call", plugin, "--op", "push", "--input", input, "--data-dir", data.path])
        #expect(result.status == 1)
        #expect(result.stderr.contains("wrote more than 64 MB of output in one call (the limit)"), "\(result.stderr)")
    }

    @Test func timeoutOptionBoundsAHang() throws {
        let plugin = try CFixtures.build("good")
        let input = write(["records": [["key": "a", "fields": ["fault": "hang"]]]])
        let started = ContinuousClock.now
        let result = try Command.cryptoconnect(
            [
                "plugins", "call", plugin, "--op", "push", "--input", input, "--timeout-ms", "300", "--data-dir",
                data.path,
                "--json",
            ])
        #expect(result.status == 1)
        #expect(try JSON.parse(result.stdout)["error"]?["code"] == "plugin_timeout")
        #expect(ContinuousClock.now - started < .seconds(5))
    }

    @Test func badArgumentsAreRefusedClearly() throws {
        let plugin = try CFixtures.build("good")
        let result = try Command.cryptoconnect(["plugins", "call", plugin, "--op", "dance", "--data-dir", data.path])
        #expect(result.status != 0)
        #expect(result.stderr.contains("--op must be one of test, schema, push, pull, event; got \"dance\""))
        let missing = try Command.cryptoconnect(
            ["plugins", "call", plugin, "--op", "push", "--input", data.path + "/none.json", "--data-dir", data.path])
        #expect(missing.stderr.contains("--input \(data.path)/none.json: cannot be read"))
    }

    /// `kill -9` of the host: its worker notices its parent is gone and exits within a second.
    @Test func killingTheHostLeavesNoWorker() throws {
        let plugin = try CFixtures.build("good")
        let input = write(["records": [["key": "a", "fields": ["fault": "hang"]]]])
        let host = try Spawned(
            PackagePaths.hostExecutable,
            ["plugins", "call", plugin, "--op", "push", "--input", input, "--data-dir", data.path])
        let worker = try waitForChild(of: host.pid)
        host.signal(SIGKILL)
        host.wait()
        let killed = ContinuousClock.now
        while isAlive(worker) {
            #expect(ContinuousClock.now - killed < .milliseconds(1500), "worker \(worker) outlived its host")
            if ContinuousClock.now - killed > .seconds(3) { Glibc.kill(worker, SIGKILL); break }
            Thread.sleep(forTimeInterval: 0.02)
        }
    }

    private func waitForChild(of parent: pid_t) throws -> pid_t {
        let deadline = ContinuousClock.now + .seconds(10)
        while ContinuousClock.now < deadline {
            for entry in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] {
                guard let pid = pid_t(entry),
                    let stat = try? String(contentsOfFile: "/proc/\(entry)/stat", encoding: .utf8),
                    let close = stat.lastIndex(of: ")")
                else { continue }
                let fields = stat[stat.index(close, offsetBy: 2)...].split(separator: " ")
                let cmdline = (try? String(contentsOfFile: "/proc/\(entry)/cmdline", encoding: .utf8)) ?? ""
                if fields.count > 1, pid_t(fields[1]) == parent, cmdline.contains("__worker") { return pid }
            }
            Thread.sleep(forTimeInterval: 0.02)
        }
        throw NoWorker()
    }

    /// Alive and not a zombie (a container's init may be slow to reap).
    private func isAlive(_ pid: pid_t) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else { return false }
        return stat[stat.index(close, offsetBy: 2)] != "Z"
    }

    struct NoWorker: Error {}
}
