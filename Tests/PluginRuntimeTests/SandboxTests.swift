import Foundation
import JSONCore
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
        var configuration = SupervisorConfiguration()
        configuration.sandbox = sandbox
        let supervisor = PluginSupervisor(configuration: configuration, log: CollectingLog())
        defer { supervisor.shutdown() }
        let (input, keys) = IsolationTests.batch([field: .string(path)])
        let outcome = try supervisor.call(
            try PluginBuilds.cFixture(),
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

    /// A store or key a sandboxed worker could read anyway (under /usr, say) is named, so `serve` can refuse it.
    @Test func aPathTheSandboxLeavesReadableIsNamed() {
        #expect(FileSandbox.readablePath(among: [folder.path + "/store.sqlite"]) == nil)
        #expect(FileSandbox.readablePath(among: ["/usr/local/var/cc/store.sqlite"]) == "/usr/local/var/cc/store.sqlite")
        #expect(FileSandbox.readablePath(among: ["/usrx/store.sqlite"]) == nil)
    }
}
