import Foundation
import JSONCore
import LoopbackHTTP
import PluginABI
import PluginRuntime
import TestSupport
import Testing

/// With the plugin sandbox, a worker opens only what it is granted: the system's libraries, and the folders an
/// operator names for writing; never the host's store or key. Without it, a plugin opens what the host may.
@Suite(.enabled(if: FileSandbox.isAvailable, "the kernel has no landlock"))
struct SandboxTests {
    let folder = TemporaryDirectory("sandbox")

    /// What the fixture plugin could open, asked for in a push (`read_file` or `write_file`).
    func open(_ field: String, _ path: String, sandbox: FileSandbox?) throws -> JSON {
        try push([field: .string(path)], sandbox: sandbox)
    }

    /// What the fixture plugin answers to a push of one record with `fields`.
    func push(_ fields: JSON, sandbox: FileSandbox?, plugin: PluginBuild? = nil) throws -> JSON {
        var configuration = SupervisorConfiguration()
        configuration.sandbox = sandbox
        let supervisor = PluginSupervisor(configuration: configuration, log: CollectingLog())
        defer { supervisor.shutdown() }
        let (input, keys) = IsolationTests.batch(fields)
        let outcome = try supervisor.call(
            try plugin ?? PluginBuilds.cFixture(),
            instance: InstanceSpec(key: "integration-t1", tenant: "t1", configuration: Array("{}".utf8)),
            isolation: .process, operation: .push, input: input, expectedKeys: keys, services: TestServices())
        return try JSON.parse(outcome.output)
    }

    @Test func aSandboxedPluginOpensOnlyWhatItIsGranted() throws {
        let store = folder.file("data/cryptoconnect.sqlite", "the host's store")
        let key = folder.file("master.key", "the host's key")
        let exports = folder.directory("exports")
        let sandbox = FileSandbox(writable: [exports])

        #expect(try open("read_file", store, sandbox: nil) == ["opened": true, "errno": 0])
        for secret in [store, key] {
            #expect(
                try open("read_file", secret, sandbox: sandbox) == ["opened": false, "errno": .integer(Int64(EACCES))])
        }
        #expect(try open("read_file", "/etc/ld.so.cache", sandbox: sandbox)["opened"] == true)
        #expect(try open("write_file", exports + "/out.ndjson", sandbox: sandbox)["opened"] == true)
        #expect(FileManager.default.fileExists(atPath: exports + "/out.ndjson"))
        #expect(try open("write_file", folder.path + "/elsewhere.ndjson", sandbox: sandbox)["opened"] == false)
    }

    /// None of a plugin's code runs outside the sandbox: a constructor that reads as the plugin loads finds the
    /// store out of reach too. Nor may a plugin open a TCP connection (its HTTP goes through the host), or signal
    /// the host, where the kernel can refuse them.
    @Test func aPluginCannotReachOutsideTheSandbox() throws {
        let store = folder.file("data/cryptoconnect.sqlite", "the host's store")
        let reader = try PluginBuilds.cFixture("reads-at-load", defines: ["FIXTURE_READS_AT_LOAD=\"\(store)\""])
        #expect(try push(["opened_at_load": true], sandbox: nil, plugin: reader) == ["opened": true])
        #expect(try push(["opened_at_load": true], sandbox: FileSandbox(), plugin: reader) == ["opened": false])
        let listening = try RecordingServer { _, _ in HTTPServerResponse(status: 200, json: "{}") }
        let port = try #require(listening.baseURL.split(separator: ":").last.flatMap { Int($0) })
        #expect(try push(["connect_port": .integer(Int64(port))], sandbox: nil)["connected"] == true)
        #expect(try push(["signal_host": true], sandbox: nil)["signalled"] == true)
        if FileSandbox.refusesNetwork {
            #expect(try push(["connect_port": .integer(Int64(port))], sandbox: FileSandbox())["connected"] == false)
        }
        if FileSandbox.refusesSignals {
            #expect(try push(["signal_host": true], sandbox: FileSandbox())["signalled"] == false)
        }
    }

    /// Reading a plugin's manifest loads it, which runs its code: with the sandbox, that is confined too.
    @Test func aManifestScanIsConfinedToo() throws {
        let marker = folder.path + "/written-at-load"
        let writer = try PluginBuilds.cFixture("writes-at-load", defines: ["FIXTURE_WRITES_AT_LOAD=\"\(marker)\""])
        try? FileManager.default.removeItem(atPath: marker)  // building the fixture read its manifest, unconfined
        let confined = ManifestScanner(sandbox: FileSandbox()).scan(writer.cachedPath)
        #expect((try? confined.get())?.id != nil, "\(confined)")
        #expect(!FileManager.default.fileExists(atPath: marker))
        _ = ManifestScanner().scan(writer.cachedPath)
        #expect(FileManager.default.fileExists(atPath: marker))
    }

    /// In the host's process a plugin reaches all the host reaches: with the sandbox on, it is not run there.
    @Test func aPluginInTheHostsProcessIsNotRunSandboxed() throws {
        var configuration = SupervisorConfiguration()
        configuration.sandbox = FileSandbox()
        let supervisor = PluginSupervisor(configuration: configuration, log: CollectingLog())
        let (input, keys) = IsolationTests.batch(["name": "web01"])
        #expect {
            try supervisor.call(
                try PluginBuilds.cFixture(),
                instance: InstanceSpec(key: "integration-t1", tenant: "t1", configuration: Array("{}".utf8)),
                isolation: .none, operation: .push, input: input, expectedKeys: keys, services: TestServices())
        } throws: {
            "\($0)".contains("isolation none), which the plugin sandbox cannot confine")
        }
    }

    /// A store or key a sandboxed worker could read anyway (under /usr, say) is named, so `serve` can refuse it.
    @Test func aPathTheSandboxLeavesReadableIsNamed() {
        #expect(FileSandbox.readablePath(among: [folder.path + "/store.sqlite"]) == nil)
        #expect(FileSandbox.readablePath(among: ["/usr/local/var/cc/store.sqlite"]) == "/usr/local/var/cc/store.sqlite")
        #expect(FileSandbox.readablePath(among: ["/usrx/store.sqlite"]) == nil)
    }
}
