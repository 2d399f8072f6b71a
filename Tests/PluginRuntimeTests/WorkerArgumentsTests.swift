import PluginRuntime
import Testing

/// A worker reads back the command line the supervisor wrote, and nothing else.
@Suite struct WorkerArgumentsTests {
    @Test func aWorkerReadsBackWhatTheSupervisorWrites() {
        let cases = [
            WorkerArguments(pluginPath: "/cache/a b.so", parent: 4242),
            WorkerArguments(pluginPath: "/cache/p.so", parent: 7, memoryLimit: 512 << 20),
            WorkerArguments(pluginPath: "/cache/p.so", parent: 7, sandbox: FileSandbox()),
            WorkerArguments(
                pluginPath: "/cache/p.so", parent: 7, memoryLimit: 1 << 30,
                sandbox: FileSandbox(writable: ["/var/out", "--sandbox"])),
        ]
        for written in cases {
            #expect(WorkerArguments(written.line) == written, "\(written.line)")
        }
        #expect(
            WorkerArguments(pluginPath: "/p.so", parent: 9, memoryLimit: 5).line == [
                "__worker", "/p.so", "--channel-fd", "3", "--parent-pid", "9", "--memory-limit-bytes", "5",
            ])
    }

    @Test func whatTheSupervisorNeverWritesIsRefused() {
        for line in [
            ["__scan-plugin", "/p.so", "--channel-fd", "3", "--parent-pid", "9"],
            ["__worker", "/p.so", "--channel-fd", "3"],
            ["__worker", "/p.so", "--channel-fd", "3", "--parent-pid"],
            ["__worker", "/p.so", "--channel-fd", "3", "--parent-pid", "nine"],
            ["__worker", "/p.so", "--channel-fd", "3", "--parent-pid", "9", "--memory-limit-bytes", "lots"],
            ["__worker", "/p.so", "--channel-fd", "3", "--parent-pid", "9", "--verbose", "yes"],
            ["__worker", "/p.so", "--channel-fd", "3", "--parent-pid", "9", "--sandbox-writable", "/tmp"],
            ["__worker"],
        ] {
            #expect(WorkerArguments(line) == nil, "\(line)")
        }
    }
}
